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
  /**
   * Lower-case hex SHA-256 of the data file, checked on load ({@link verifyWeightsChecksum}).
   * Written by {@link saveWeights}; absent in manifests saved before checksums existed (those load
   * unverified, with one warning per process).
   */
  sha256?: string;
  variables: WeightEntry[];
}

/** Weights that cannot be loaded: a bad manifest, a corrupt or modified data file, non-finite values. */
export class WeightsError extends Error {
  override name = 'WeightsError';
}

/**
 * The lower-case hex SHA-256 of `data`, by Web Crypto (`crypto.subtle`: browsers, Node >= 19),
 * so the browser entry needs nothing from `node:`.
 */
export async function weightsChecksum(data: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

let warnedUnverified = false;

/**
 * Checks `data` against the manifest's `sha256`: a mismatch (flipped bytes, a truncated or
 * replaced file) is a {@link WeightsError} naming `where`. A manifest without a checksum (saved
 * before mip.js wrote one) is accepted, and the first such load of the process prints one warning.
 * Returns whether the data was verified.
 *
 * ```ts
 * const verified = await verifyWeightsChecksum(manifest, data, 'runs/a/checkpoint/ema/network');
 * ```
 */
export async function verifyWeightsChecksum(
  manifest: WeightsManifest,
  data: Uint8Array,
  where: string,
): Promise<boolean> {
  if (manifest.sha256 === undefined) {
    if (!warnedUnverified) {
      warnedUnverified = true;
      console.warn(
        `mipjs: ${where} has no weights checksum (saved by an older mip.js); loaded without verifying it (this warning is shown once)`,
      );
    }
    return false;
  }
  const actual = await weightsChecksum(data);
  if (actual !== manifest.sha256) {
    throw new WeightsError(
      `${where}: the weights data does not match its checksum (sha256 ${actual}, the manifest says ${manifest.sha256}): the file is corrupt or was modified`,
    );
  }
  return true;
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
  return packWeights(net, (v) => v.dataSync() as Float32Array);
}

/**
 * {@link serializeWeights} reading each variable with `await data()`: the form for backends that
 * cannot read a tensor synchronously (WebGPU in Node, where `dataSync` needs OffscreenCanvas) and
 * the one that does not stall a WebGL / WebGPU pipeline.
 *
 * ```ts
 * const { manifest, data } = await serializeWeightsAsync(net); // same bytes as serializeWeights
 * ```
 */
export async function serializeWeightsAsync(
  net: Network,
): Promise<{ manifest: WeightsManifest; data: Uint8Array }> {
  const values = await Promise.all(net.variables.map((v) => v.data()));
  return packWeights(net, (_, i) => values[i] as Float32Array);
}

/** The manifest and byte buffer of `net`, its variables' values given by `read`. */
function packWeights(
  net: Network,
  read: (v: Network['variables'][number], i: number) => Float32Array,
): { manifest: WeightsManifest; data: Uint8Array } {
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
  for (const [i, v] of net.variables.entries()) view.set(read(v, i), entries[i].offset / 4);
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
  if (manifest?.format !== 'mipjs-weights' || manifest.version !== 1 || !Array.isArray(manifest.variables)) {
    throw new WeightsError(
      `not a mipjs weights manifest (format ${String(manifest.format)}, version ${String(manifest.version)})`,
    );
  }
  if (data.byteLength !== manifest.byteLength) {
    throw new WeightsError(
      `weights data has ${data.byteLength} bytes, the manifest says ${manifest.byteLength}`,
    );
  }
  const byName = new Map(manifest.variables.map((e) => [e.name, e]));
  const names = variableNames(net);
  const extra = new Set(byName.keys());
  // Validate everything before assigning anything.
  const plan = net.variables.map((v, i) => {
    const e = byName.get(names[i]);
    if (!e)
      throw new WeightsError(
        `variable '${names[i]}' (shape [${v.shape.join(', ')}]) is missing from the weights`,
      );
    if (e.dtype !== v.dtype)
      throw new WeightsError(
        `variable '${names[i]}': dtype ${e.dtype} in the weights, ${v.dtype} in the network`,
      );
    if (e.shape.length !== v.shape.length || e.shape.some((d, k) => d !== v.shape[k])) {
      throw new WeightsError(
        `variable '${names[i]}': shape [${e.shape.join(', ')}] in the weights, [${v.shape.join(', ')}] in the network`,
      );
    }
    if (
      e.offset < 0 ||
      e.offset % 4 !== 0 ||
      e.offset + e.byteLength > data.byteLength ||
      e.byteLength !== v.size * 4
    ) {
      throw new WeightsError(`variable '${names[i]}': byte range ${e.offset}+${e.byteLength} is invalid`);
    }
    extra.delete(names[i]);
    return e;
  });
  if (extra.size > 0)
    throw new WeightsError(`the weights have variables the network lacks: ${[...extra].join(', ')}`);
  // The variables tile the data file in order, without gaps or overlaps: a damaged offset that
  // still lands in range would otherwise read another variable's bytes.
  let next = 0;
  for (const e of [...manifest.variables].sort((p, q) => p.offset - q.offset)) {
    if (e.offset !== next)
      throw new WeightsError(
        `variable '${e.name}': byte offset ${e.offset}, expected ${next} (the variables tile the data file)`,
      );
    next += e.byteLength;
  }
  if (next !== data.byteLength)
    throw new WeightsError(`the variables cover ${next} bytes of a ${data.byteLength}-byte data file`);
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  const floats = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  // Non-finite weights evaluate to NaN actions with no error anywhere else: refuse them by name.
  plan.forEach((e, i) => {
    const values = floats.subarray(e.offset / 4, (e.offset + e.byteLength) / 4);
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) {
        throw new WeightsError(
          `variable '${names[i]}' holds a non-finite value (${values[k]} at index ${k}); the weights are corrupt or the training diverged`,
        );
      }
    }
  });
  net.variables.forEach((v, i) => {
    const e = plan[i];
    const t = tf.tensor(floats.subarray(e.offset / 4, (e.offset + e.byteLength) / 4), v.shape, 'float32');
    v.assign(t);
    t.dispose();
  });
}

/**
 * Network factories beyond `createNetwork`'s kinds (a package network), by saved kind: each gets
 * the saved `config` and rebuilds the architecture the weights are assigned to.
 */
export interface NetworkFactories {
  networks?: Readonly<Record<string, (config: Record<string, unknown>) => Network>>;
}

/**
 * Rebuilds a network from serialized weights: `options.networks[manifest.kind](manifest.config)`
 * when given, else `createNetwork(manifest.kind, manifest.config)`.
 */
export function deserializeWeights(
  manifest: WeightsManifest,
  data: Uint8Array,
  options: NetworkFactories = {},
): Network {
  let net: Network;
  try {
    const own = options.networks && Object.hasOwn(options.networks, manifest.kind);
    net = own
      ? options.networks![manifest.kind]!(manifest.config)
      : createNetwork(manifest.kind, manifest.config);
  } catch (error) {
    throw new WeightsError(
      `cannot rebuild network '${String(manifest?.kind)}' from the manifest: ${(error as Error).message}`,
    );
  }
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
  const serialized = await serializeWeightsAsync(net);
  const { data } = serialized;
  const manifest: WeightsManifest = { ...serialized.manifest, sha256: await weightsChecksum(data) };
  const target = path.resolve(dir);
  await makeParentDirs(target);
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

/**
 * Creates the missing parents of `target` one level at a time. Node 20's recursive `mkdir` spins
 * forever at 100% CPU where a directory cannot be made (e.g. under `/proc`); a plain `mkdir` per
 * level fails at once, and the error names the directory.
 */
async function makeParentDirs(target: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const missing: string[] = [];
  let dir = path.dirname(target);
  for (;;) {
    const stat = await fs.stat(dir).catch(() => null);
    if (stat) {
      if (!stat.isDirectory()) throw new WeightsError(`cannot create ${target}: ${dir} is not a directory`);
      break;
    }
    missing.push(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new WeightsError(`cannot create directory ${d}: ${(error as Error).message}`);
    }
  }
}

async function readDir(dir: string): Promise<{ manifest: WeightsManifest; data: Uint8Array }> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(manifestPath, 'utf8');
  } catch (error) {
    throw new WeightsError(
      `cannot read ${manifestPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let manifest: WeightsManifest;
  try {
    manifest = JSON.parse(text) as WeightsManifest;
  } catch (error) {
    throw new WeightsError(`${manifestPath}: expected a JSON weights manifest (${(error as Error).message})`);
  }
  if (manifest?.format !== 'mipjs-weights')
    throw new WeightsError(
      `${manifestPath}: expected a mipjs weights manifest, found format ${String(manifest?.format)}`,
    );
  const dataPath = path.join(dir, manifest.dataFile ?? DATA_FILE);
  let buf: Buffer;
  try {
    buf = await fs.readFile(dataPath);
  } catch (error) {
    throw new WeightsError(
      `cannot read ${dataPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const data = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  await verifyWeightsChecksum(manifest, data, dataPath);
  return { manifest, data };
}

/** Runs `fn`, prefixing a {@link WeightsError}'s message with the weights directory. */
function naming<T>(dir: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof WeightsError && !error.message.startsWith(dir))
      throw new WeightsError(`${dir}: ${error.message}`);
    throw error;
  }
}

/**
 * Loads a network saved by {@link saveWeights} (rebuilt from the manifest's kind and config; a
 * kind outside `createNetwork`'s by `options.networks`, see {@link deserializeWeights}).
 *
 * ```ts
 * const net = await loadWeights('runs/x/checkpoint/ema/network', { networks: { example_mlp: exampleNetwork.create } });
 * ```
 */
export async function loadWeights(dir: string, options: NetworkFactories = {}): Promise<Network> {
  const { manifest, data } = await readDir(dir);
  return naming(dir, () => deserializeWeights(manifest, data, options));
}

/** Loads saved weights into an existing network of the same architecture. */
export async function loadWeightsInto(net: Network, dir: string): Promise<void> {
  const { manifest, data } = await readDir(dir);
  naming(dir, () => assignWeights(net, manifest, data));
}
