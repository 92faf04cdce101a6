import { readFile, rename, writeFile } from 'node:fs/promises';
import {
  formatNormalizersJSON,
  type Normalizer,
  type NormalizerJSON,
  parseNormalizersJSON,
} from './normalizer.js';
import { normalizerFromJSON } from './normalizer-json.js';

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
  await writeFileAtomic(path, formatNormalizersJSON(normalizers));
}

/** Reads the raw JSON written by {@link saveNormalizers}; pass each entry to `normalizerFromJSON`. */
export async function readNormalizersJSON(path: string): Promise<Record<string, NormalizerJSON>> {
  return parseNormalizersJSON(await readFile(path, 'utf8'), path);
}

/** Loads a file written by `saveNormalizers`. */
export async function loadNormalizers(path: string): Promise<Record<string, Normalizer>> {
  const raw = await readNormalizersJSON(path);
  const out: Record<string, Normalizer> = {};
  for (const [k, j] of Object.entries(raw)) out[k] = normalizerFromJSON(j);
  return out;
}
