// rrweb's player and its styles, in a chunk of their own: loaded the first
// time a replay is opened, so no other page pays for them.
import '@rrweb/replay/dist/style.css';
export { Replayer } from '@rrweb/replay';
