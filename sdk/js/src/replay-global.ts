// The recorder chunk as a classic script (dist/lore-replay.js, served by
// Lore at /sdk-replay.js): the script-tag SDK (lore.js) loads it and finds
// it on window.
import { start } from "./replay";

(window as unknown as { __loreRecorder: unknown }).__loreRecorder = { start };
