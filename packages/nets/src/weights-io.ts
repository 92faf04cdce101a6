import * as tf from '@tensorflow/tfjs-core';
import { createNetwork } from './create-network.js';
import type { Network } from './network.js';

/** One variable's entry in a weights manifest. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Byte offset in the data file. */
  offset: number;
  byteLength: number;
}

/** The JSON manifest of a weights directory (`manifest.json`). */
export interface WeightsManifest {
  format: 'mipjs-weights';
  version: 1;
  /** Network kind (`net.kind`). */
  kind: string;
  /** Network config (`net.config`): `createNetwork(kind, config)` rebuilds the architecture. */
  config: Record<string, unknown>;
  /** Name of the binary file (little-endian float32, concatenated in `variables` order). */
  dataFile: string;
  byteLength: number;
  variables: WeightEntry[];
}

export const MANIFEST_FILE = 'manifest.json';
export const DATA_FILE = 'weights.bin';

/** The stable names of a network's variables (index names when it has none). */
export function variableNames(net: Pick<Network, 'variables' | 'namedVariables'>): string[] {
  const named = net.namedVariables;
  if (named && named.length === net.variables.length) return named.map((v) => v.name);
  return net.variables.map((_, i) => `var_${String(i).padStart(4, '0')}`);
}

/** A network's weights as a manifest and one byte buffer (no file system needed). */
export function serializeWeights(net: Network): { manifest: WeightsManifest; data: Uint8Array } {
  const names = variableNames(net);
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const [i, v] of net.variables.entries()) {
    if (v.dtype !== 'float32')
      throw new Error(`variable '${names[i]}' has dtype ${v.dtype}; only float32 is supported`);
    entries.push({ name: names[i], shape: [...v.shape], dtype: 'float32', offset, byteLength: v.size * 4 });
    offset += v.size * 4;
  }
  const data = new Uint8Array(offset);
  const view = new Float32Array(data.buffer);
  for (const [i, v] of net.variables.entries()) view.set(v.dataSync() as Float32Array, entries[i].offset / 4);
  return {
    manifest: {
      format: 'mipjs-weights',
      version: 1,
      kind: net.kind,
      config: { ...net.config },
      dataFile: DATA_FILE,
      byteLength: offset,
      variables: entries,
    },
    data,
  };
}

/**
 * Assigns serialized weights to an existing network. Every variable of the network must be in
 * the manifest with the same shape and dtype; the error names the missing or mismatched one.
 */
export function assignWeights(net: Network, manifest: WeightsManifest, data: Uint8Array): void {
  if (manifest.format !== 'mipjs-weights' || manifest.version !== 1) {
    throw new Error(
      `not a mipjs weights manifest (format ${String(manifest.format)}, version ${String(manifest.version)})`,
    );
  }
  if (data.byteLength !== manifest.byteLength) {
    throw new Error(`weights data has ${data.byteLength} bytes, the manifest says ${manifest.byteLength}`);
  }
  const byName = new Map(manifest.variables.map((e) => [e.name, e]));
  const names = variableNames(net);
  const extra = new Set(byName.keys());
  // Validate everything before assigning anything.
  const plan = net.variables.map((v, i) => {
    const e = byName.get(names[i]);
    if (!e)
      throw new Error(`variable '${names[i]}' (shape [${v.shape.join(', ')}]) is missing from the weights`);
    if (e.dtype !== v.dtype)
      throw new Error(`variable '${names[i]}': dtype ${e.dtype} in the weights, ${v.dtype} in the network`);
    if (e.shape.length !== v.shape.length || e.shape.some((d, k) => d !== v.shape[k])) {
      throw new Error(
        `variable '${names[i]}': shape [${e.shape.join(', ')}] in the weights, [${v.shape.join(', ')}] in the network`,
      );
    }
    if (
      e.offset < 0 ||
      e.offset % 4 !== 0 ||
      e.offset + e.byteLength > data.byteLength ||
      e.byteLength !== v.size * 4
    ) {
      throw new Error(`variable '${names[i]}': byte range ${e.offset}+${e.byteLength} is invalid`);
    }
    extra.delete(names[i]);
    return e;
  });
  if (extra.size > 0)
    throw new Error(`the weights have variables the network lacks: ${[...extra].join(', ')}`);
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  const floats = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  net.variables.forEach((v, i) => {
    const e = plan[i];
    const t = tf.tensor(floats.subarray(e.offset / 4, (e.offset + e.byteLength) / 4), v.shape, 'float32');
    v.assign(t);
    t.dispose();
  });
}

/** Rebuilds a network from serialized weights (`createNetwork(manifest.kind, manifest.config)`). */
export function deserializeWeights(manifest: WeightsManifest, data: Uint8Array): Network {
  const net = createNetwork(manifest.kind, manifest.config);
  try {
    assignWeights(net, manifest, data);
  } catch (err) {
    net.dispose();
    throw err;
  }
  return net;
}

/**
 * Saves a network to a directory: `manifest.json` + `weights.bin`. Atomic: written to a fresh
 * temporary directory next to `dir`, then renamed into place (an existing `dir` is replaced only
 * after the new one is complete). Node only (the file system is imported lazily, so browser
 * bundles that never call it do not need `node:fs`).
 */
export async function saveWeights(net: Network, dir: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const { manifest, data } = serializeWeights(net);
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  await fs.mkdir(tmp);
  try {
    await fs.writeFile(path.join(tmp, DATA_FILE), data);
    await fs.writeFile(path.join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    let old: string | null = null;
    try {
      await fs.rename(tmp, target);
    } catch {
      // The target exists: move it aside, move the new one in, then drop the old one.
      old = `${target}.old-${process.pid}-${Date.now()}`;
      await fs.rename(target, old);
      await fs.rename(tmp, target);
    }
    if (old) await fs.rm(old, { recursive: true, force: true });
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function readDir(dir: string): Promise<{ manifest: WeightsManifest; data: Uint8Array }> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as WeightsManifest;
  const buf = await fs.readFile(path.join(dir, manifest.dataFile ?? DATA_FILE));
  return { manifest, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/** Loads a network saved by {@link saveWeights} (rebuilt from the manifest's kind and config). */
export async function loadWeights(dir: string): Promise<Network> {
  const { manifest, data } = await readDir(dir);
  return deserializeWeights(manifest, data);
}

/** Loads saved weights into an existing network of the same architecture. */
export async function loadWeightsInto(net: Network, dir: string): Promise<void> {
  const { manifest, data } = await readDir(dir);
  assignWeights(net, manifest, data);
}
