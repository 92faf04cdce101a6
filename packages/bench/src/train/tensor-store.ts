import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileError, readJsonFile } from '../io/io.js';

/** A named float32 array with its shape. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface Manifest {
  format: 'mipjs-tensors';
  version: 1;
  entries: { name: string; shape: number[]; offset: number; length: number }[];
  /** Hex SHA-256 of `<base>.bin` (absent in stores written before it existed). */
  sha256?: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes named float32 arrays as `<base>.json` (names, shapes, offsets) and `<base>.bin`
 * (little-endian float32, concatenated). Holds the AdamW moments inside a checkpoint directory
 * that is itself written atomically (the weights use @mipjs/nets' `saveWeights`).
 */
export function writeTensorStore(dir: string, base: string, arrays: NamedArray[]): void {
  const total = arrays.reduce((n, a) => n + a.data.length, 0);
  const bin = new Float32Array(total);
  const entries: Manifest['entries'] = [];
  let offset = 0;
  for (const a of arrays) {
    const expected = a.shape.reduce((p, d) => p * d, 1);
    if (expected !== a.data.length) {
      throw new Error(`tensor '${a.name}': shape [${a.shape}] does not hold ${a.data.length} values`);
    }
    bin.set(a.data, offset);
    entries.push({ name: a.name, shape: a.shape, offset, length: a.data.length });
    offset += a.data.length;
  }
  const bytes = new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength);
  const manifest: Manifest = { format: 'mipjs-tensors', version: 1, entries, sha256: sha256(bytes) };
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(manifest, null, 1)}\n`);
  writeFileSync(join(dir, `${base}.bin`), bytes);
}

/**
 * Reads what {@link writeTensorStore} wrote, as a name-keyed map. A store whose data does not
 * match its checksum, or that holds a non-finite value, is a {@link FileError} naming the file.
 */
export function readTensorStore(dir: string, base: string): Map<string, NamedArray> {
  const manifest = readJsonFile(join(dir, `${base}.json`), 'a mipjs tensor store manifest') as Manifest;
  if (manifest?.format !== 'mipjs-tensors' || !Array.isArray(manifest.entries))
    throw new FileError(`${join(dir, base)}.json is not a mipjs tensor store`);
  const binPath = join(dir, `${base}.bin`);
  let raw: Buffer;
  try {
    raw = readFileSync(binPath);
  } catch (error) {
    throw new FileError(
      `cannot read ${binPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (manifest.sha256 !== undefined && sha256(raw) !== manifest.sha256)
    throw new FileError(
      `${binPath}: the data does not match its checksum (sha256): the file is corrupt or was modified`,
    );
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const all = new Float32Array(copy.buffer);
  const out = new Map<string, NamedArray>();
  // Entries tile the data in order with their shapes' sizes: a damaged offset, length or shape
  // in the manifest is refused instead of reading other values.
  let next = 0;
  for (const e of manifest.entries) {
    const size = Array.isArray(e.shape) ? e.shape.reduce((p, d) => p * d, 1) : Number.NaN;
    if (e.offset !== next || e.length !== size)
      throw new FileError(
        `${join(dir, base)}.json: entry '${e.name}' (offset ${e.offset}, length ${e.length}, shape [${e.shape}]) does not follow the previous entries (offset ${next}, length ${size})`,
      );
    next += e.length;
  }
  if (next * 4 !== raw.byteLength)
    throw new FileError(`${binPath}: ${raw.byteLength} bytes, the manifest's entries cover ${next * 4}`);
  for (const e of manifest.entries) {
    if (e.offset + e.length > all.length) throw new FileError(`${binPath} is truncated`);
    const data = all.slice(e.offset, e.offset + e.length);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new FileError(`${binPath}: '${e.name}' holds a non-finite value (${data[bad]} at index ${bad})`);
    out.set(e.name, { name: e.name, shape: e.shape, data });
  }
  return out;
}
