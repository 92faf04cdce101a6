/**
 * `@mipjs/data/normalizers`: the browser-safe part of `@mipjs/data`. The normalizer classes and
 * their JSON form, with no `node:` import and no file-format library (h5wasm, zarrita, hyparquet),
 * so a bundle that runs a trained policy in the browser can undo the dataset normalisation.
 *
 * ```ts
 * import { parseNormalizers } from '@mipjs/data/normalizers';
 * const { obs, action } = parseNormalizers(await (await fetch('run/normalizers.json')).text());
 * const y = obs.normalize(new Float32Array([...]));
 * ```
 *
 * Also the conversion of relative (EEF-frame) action chunks back to absolute, which a deployed
 * robomimic `relative` policy applies after unnormalising.
 *
 * The main entry re-exports all of this, plus `saveNormalizers` / `loadNormalizers` (Node files).
 */
export { CompositeNormalizer, type NormalizerSlice } from './composite-normalizer.js';
export { DataError } from './data-error.js';
export { GaussianNormalizer } from './gaussian-normalizer.js';
export { IdentityNormalizer } from './identity-normalizer.js';
export { MinMaxNormalizer } from './minmax-normalizer.js';
export {
  formatNormalizersJSON,
  NORMALIZERS_FORMAT,
  type Normalizer,
  type NormalizerJSON,
  parseNormalizersJSON,
} from './normalizer.js';
export { normalizerFromJSON, parseNormalizers } from './normalizer-json.js';
export { type EefObsLayout, relativeChunksToAbsolute } from './relative-actions.js';
