import type { Recorder, RecorderOptions } from "./replay-types";
export declare function start(o: RecorderOptions): Recorder;
