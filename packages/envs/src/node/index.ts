/**
 * `@mipjs/envs/node`: Node-only helpers (file output). The main entry stays browser-safe.
 */

export { oracleNumber, oracleReplayInput } from './oracle-input.js';
export { encodePng, writePng } from './png.js';
