// The recorder chunk as the ESM build imports it (dist/lore-replay.mjs,
// built from replay.ts).
import type { Recorder, RecorderOptions } from "./replay-types";
export declare function start(o: RecorderOptions): Recorder;
