import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
}

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
  const manifest: Manifest = { format: 'mipjs-tensors', version: 1, entries };
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(manifest, null, 1)}\n`);
  writeFileSync(join(dir, `${base}.bin`), new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength));
}

/** Reads what {@link writeTensorStore} wrote, as a name-keyed map. */
export function readTensorStore(dir: string, base: string): Map<string, NamedArray> {
  const manifest = JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8')) as Manifest;
  if (manifest.format !== 'mipjs-tensors')
    throw new Error(`${join(dir, base)}.json is not a mipjs tensor store`);
  const raw = readFileSync(join(dir, `${base}.bin`));
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const all = new Float32Array(copy.buffer);
  const out = new Map<string, NamedArray>();
  for (const e of manifest.entries) {
    if (e.offset + e.length > all.length) throw new Error(`${join(dir, base)}.bin is truncated`);
    out.set(e.name, { name: e.name, shape: e.shape, data: all.slice(e.offset, e.offset + e.length) });
  }
  return out;
}
