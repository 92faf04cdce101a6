import { CompositeNormalizer } from './composite-normalizer.js';
import { GaussianNormalizer } from './gaussian-normalizer.js';
import { IdentityNormalizer } from './identity-normalizer.js';
import { MinMaxNormalizer } from './minmax-normalizer.js';
import { type Normalizer, type NormalizerJSON, parseNormalizersJSON } from './normalizer.js';

/** Rebuilds a normalizer from `toJSON()` output; statistics come back bit for bit. */
export function normalizerFromJSON(json: NormalizerJSON): Normalizer {
  switch (json.kind) {
    case 'minmax':
      // Constant features were already reported when the stats were fitted.
      return new MinMaxNormalizer(json.min, json.max, { warn: false });
    case 'gaussian':
      return new GaussianNormalizer(json.mean, json.std);
    case 'identity':
      return new IdentityNormalizer(json.dim);
    case 'composite':
      return new CompositeNormalizer(
        json.parts.map((p) => ({ start: p.start, end: p.end, normalizer: normalizerFromJSON(p.normalizer) })),
      );
    default:
      throw new Error(`normalizerFromJSON: unknown kind '${(json as { kind: unknown }).kind}'`);
  }
}

/**
 * The normalizers of a normalizer file's text (or parsed JSON), by name: the in-memory twin of
 * `loadNormalizers`, for fetched files (browser). `label` names the source in errors.
 *
 * ```ts
 * const { obs, action } = parseNormalizers(await (await fetch('run/normalizers.json')).text());
 * ```
 */
export function parseNormalizers(text: string | unknown, label?: string): Record<string, Normalizer> {
  const out: Record<string, Normalizer> = {};
  for (const [k, j] of Object.entries(parseNormalizersJSON(text, label))) out[k] = normalizerFromJSON(j);
  return out;
}
