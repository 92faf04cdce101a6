import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * A per-feature affine map on the last axis of a row-major array.
 *
 * `normalize` and `unnormalize` accept any array whose length is a multiple of `dim` (so the same
 * object serves `[D]`, `[T, D]` and `[B, T, D]` data) and return new arrays. Statistics are kept as
 * float64 numbers so that `toJSON` / `normalizerFromJSON` reproduce them exactly.
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

/** Checks that `length` is a multiple of `dim`; the shared precondition of every normalizer. */
export function checkLastAxis(name: string, length: number, dim: number): void {
  if (dim <= 0 || length % dim !== 0) {
    throw new RangeError(`${name}: array of length ${length} is not a multiple of the feature width ${dim}`);
  }
}

/**
 * Writes `text` atomically: to a temp file beside the target, then `rename`, so a crash or a
 * concurrent reader never sees a half-written stats file.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

/** Saves a set of named normalizers (e.g. `{obs, action}`) as one JSON file, atomically. */
export async function saveNormalizers(path: string, normalizers: Record<string, Normalizer>): Promise<void> {
  const json: Record<string, NormalizerJSON> = {};
  for (const [k, n] of Object.entries(normalizers)) json[k] = n.toJSON();
  await writeFileAtomic(
    path,
    `${JSON.stringify({ format: 'mipjs-normalizers', version: 1, normalizers: json }, null, 2)}\n`,
  );
}

/** Reads the raw JSON written by {@link saveNormalizers}; pass each entry to `normalizerFromJSON`. */
export async function readNormalizersJSON(path: string): Promise<Record<string, NormalizerJSON>> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as {
    format?: string;
    normalizers?: Record<string, NormalizerJSON>;
  };
  if (
    parsed.format !== 'mipjs-normalizers' ||
    typeof parsed.normalizers !== 'object' ||
    parsed.normalizers === null
  ) {
    throw new Error(`${path}: not a mipjs normalizer file (expected format 'mipjs-normalizers')`);
  }
  return parsed.normalizers;
}
