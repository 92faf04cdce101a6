/**
 * A per-feature affine map on the last axis of a row-major array.
 *
 * `normalize` and `unnormalize` accept any array whose length is a multiple of `dim` (so the same
 * object serves `[D]`, `[T, D]` and `[B, T, D]` data) and return new arrays. Statistics are kept as
 * float64 numbers so that `toJSON` / `normalizerFromJSON` reproduce them exactly.
 *
 * This module is browser-safe (no `node:` imports); the file I/O is in `normalizer-io.ts`.
 */
export interface Normalizer {
  /** Width of the last axis. */
  readonly dim: number;
  normalize(x: Float32Array): Float32Array;
  unnormalize(y: Float32Array): Float32Array;
  toJSON(): NormalizerJSON;
}

/** Serialised form of every normalizer (`kind` selects the class). */
export type NormalizerJSON =
  | { kind: 'minmax'; min: number[]; max: number[] }
  | { kind: 'gaussian'; mean: number[]; std: number[] }
  | { kind: 'identity'; dim: number }
  | { kind: 'composite'; parts: { start: number; end: number; normalizer: NormalizerJSON }[] };

/** The `format` tag of a normalizer file (`{ format, version: 1, normalizers: {name: json} }`). */
export const NORMALIZERS_FORMAT = 'mipjs-normalizers';

/** Checks that `length` is a multiple of `dim`; the shared precondition of every normalizer. */
export function checkLastAxis(name: string, length: number, dim: number): void {
  if (dim <= 0 || length % dim !== 0) {
    throw new RangeError(`${name}: array of length ${length} is not a multiple of the feature width ${dim}`);
  }
}

/** The text of a normalizer file for a set of named normalizers (what `saveNormalizers` writes). */
export function formatNormalizersJSON(normalizers: Record<string, Normalizer>): string {
  const json: Record<string, NormalizerJSON> = {};
  for (const [k, n] of Object.entries(normalizers)) json[k] = n.toJSON();
  return `${JSON.stringify({ format: NORMALIZERS_FORMAT, version: 1, normalizers: json }, null, 2)}\n`;
}

/**
 * Parses the text (or the already parsed JSON value) of a normalizer file into its raw entries;
 * pass each to `normalizerFromJSON`. `label` (a path or URL) names the source in errors. No file
 * system: the browser reads a fetched `normalizers.json` with this.
 */
export function parseNormalizersJSON(
  text: string | unknown,
  label = 'normalizers',
): Record<string, NormalizerJSON> {
  let parsed: { format?: string; normalizers?: Record<string, NormalizerJSON> };
  try {
    parsed = (typeof text === 'string' ? JSON.parse(text) : text) as typeof parsed;
  } catch (error) {
    throw new Error(`${label}: not JSON (${(error as Error).message})`);
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    parsed.format !== NORMALIZERS_FORMAT ||
    typeof parsed.normalizers !== 'object' ||
    parsed.normalizers === null
  ) {
    throw new Error(`${label}: not a mipjs normalizer file (expected format '${NORMALIZERS_FORMAT}')`);
  }
  return parsed.normalizers;
}
