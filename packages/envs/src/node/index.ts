/**
 * `@mipjs/envs/node`: Node-only helpers (file output). The main entry stays browser-safe.
 */
export { encodePng, writePng } from './png.js';
