import { existsSync } from 'node:fs';
import type { File as H5File } from 'h5wasm/node';
import { assertFinite, DataError } from './data-error.js';
import { EpisodeStore } from './episode-store.js';
import { axisAngleActionsToRotation6d } from './rotation.js';

/** The reference's low-dim observation keys, in its order (spec §7.4). */
export const ROBOMIMIC_LOW_DIM_KEYS = [
  'object',
  'robot0_eef_pos',
  'robot0_eef_quat',
  'robot0_gripper_qpos',
] as const;

/** Options of {@link loadRobomimicHdf5}. */
export interface RobomimicOptions {
  /** Observation keys under `data/demo_N/obs`, concatenated in this order. Default {@link ROBOMIMIC_LOW_DIM_KEYS}. */
  obsKeys?: readonly string[];
  /**
   * `'rotation6d'` (default): absolute `[pos3, axis-angle3, grip1]` actions (7-D, 14-D for two arms)
   * become `[pos3, rot6d, grip1]` (10-D / 20-D), the reference's `abs_action` path.
   * `'raw'`: actions as stored (e.g. delta actions).
   */
  actionSpace?: 'rotation6d' | 'raw';
  /** Use only the demos listed in `mask/<filter>` (e.g. `'train'`, `'valid'`). */
  filter?: string;
}

/** What {@link loadRobomimicHdf5} returns. */
export interface RobomimicDataset {
  /** Arrays `obs` `[T, D]` (obsKeys concatenated) and `action` `[T, A]`, one episode per demo. */
  store: EpisodeStore;
  /** Demo names in episode order (`demo_0, demo_1, ..., demo_10`: numeric order). */
  demos: string[];
  /** Width of each observation key, in `obsKeys` order. */
  obsKeyDims: Record<string, number>;
  /** 1, or 2 for dual-arm (Transport) actions. */
  arms: number;
}

function demoNumber(name: string): number {
  const m = /^demo_(\d+)$/.exec(name);
  return m ? Number(m[1]) : Number.NaN;
}

/** The h5wasm module (its classes are needed for `instanceof`). */
type H5wasm = typeof import('h5wasm/node');

let h5wasmLoading: Promise<H5wasm> | undefined;

/**
 * h5wasm, imported on first use: loading it takes ~0.17 s, which every process that imports
 * `@mipjs/data` (each sweep worker, the CLI) would otherwise pay without reading HDF5.
 */
function loadH5wasm(): Promise<H5wasm> {
  h5wasmLoading ??= import('h5wasm/node');
  return h5wasmLoading;
}

function readFloat(
  { Dataset }: H5wasm,
  file: H5File,
  path: string,
  key: string,
  what: string,
): { data: Float32Array; shape: number[] } {
  const entity = file.get(key);
  if (!(entity instanceof Dataset)) {
    throw new DataError(path, key, what, entity === null ? 'nothing' : 'a group or link');
  }
  const shape = entity.shape ?? [];
  const value = entity.value;
  if (!ArrayBuffer.isView(value) || value instanceof DataView) {
    throw new DataError(path, key, `${what} with a numeric dtype`, `dtype ${JSON.stringify(entity.dtype)}`);
  }
  const data = Float32Array.from(value as unknown as ArrayLike<number>, Number);
  const width = shape.slice(1).reduce((a, b) => a * b, 1);
  assertFinite(data, path, key, width);
  return { data, shape: shape.length === 1 ? [shape[0]!, 1] : shape };
}

/**
 * Loads a robomimic HDF5 file (`low_dim.hdf5`, `low_dim_abs.hdf5`, ...) through h5wasm.
 *
 * Demos are sorted by their number (`demo_2` before `demo_10`), since lexical order would shuffle
 * episodes relative to the reference. Every dataset is checked for presence, equal length within a
 * demo, equal width across demos and finite values, and failures name the exact HDF5 path.
 */
export async function loadRobomimicHdf5(
  path: string,
  options: RobomimicOptions = {},
): Promise<RobomimicDataset> {
  const obsKeys = options.obsKeys ?? ROBOMIMIC_LOW_DIM_KEYS;
  const actionSpace = options.actionSpace ?? 'rotation6d';
  if (obsKeys.length === 0) throw new DataError(path, 'obs', 'at least one observation key');
  if (!existsSync(path)) throw new DataError(path, '/', 'an existing HDF5 file', 'no such file');
  const lib = await loadH5wasm();
  const { default: h5wasm, Group, Dataset } = lib;
  const h5 = await h5wasm.ready;
  // HDF5 errors throw (with the diagnostic stack in the message) instead of printing dozens of
  // C diagnostic lines to stderr; hdf5Failure keeps the innermost reason for one DataError line.
  h5.activate_throwing_error_handler();
  let file: H5File;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (error) {
    throw hdf5Failure(path, '/', error);
  }
  try {
    const data = file.get('data');
    if (!(data instanceof Group))
      throw new DataError(
        path,
        'data',
        'a group of demo_N groups',
        data === null ? 'nothing' : 'not a group',
      );
    let demos = data
      .keys()
      .filter((k) => Number.isFinite(demoNumber(k)))
      .sort((a, b) => demoNumber(a) - demoNumber(b));
    if (options.filter !== undefined) {
      const maskKey = `mask/${options.filter}`;
      const mask = file.get(maskKey);
      if (!(mask instanceof Dataset))
        throw new DataError(path, maskKey, 'a dataset of demo names', 'nothing');
      const raw = mask.value;
      const names = new Set(
        (Array.isArray(raw) ? raw : [raw]).map((v) =>
          v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v),
        ),
      );
      demos = demos.filter((d) => names.has(d));
    }
    if (demos.length === 0) throw new DataError(path, 'data', 'at least one demo_N group', '0 demos');

    const obsChunks: Float32Array[] = [];
    const actChunks: Float32Array[] = [];
    const ends: number[] = [];
    const obsKeyDims: Record<string, number> = {};
    let actWidth = -1;
    let total = 0;
    for (const demo of demos) {
      const actKey = `data/${demo}/actions`;
      const act = readFloat(lib, file, path, actKey, 'an actions dataset [T, A]');
      const T = act.shape[0]!;
      const A = act.shape.slice(1).reduce((a, b) => a * b, 1);
      if (T === 0) throw new DataError(path, actKey, 'at least one time step', '0');
      if (actWidth === -1) actWidth = A;
      else if (A !== actWidth)
        throw new DataError(path, actKey, `width ${actWidth} like the first demo`, `${A}`);
      const perKey: { data: Float32Array; width: number }[] = [];
      for (const key of obsKeys) {
        const obsKey = `data/${demo}/obs/${key}`;
        if (file.get(obsKey) === null) {
          const group = file.get(`data/${demo}/obs`);
          const available = group instanceof Group ? group.keys().join(', ') : 'none: no obs group';
          throw new DataError(path, obsKey, `an observation key (available: ${available})`, 'no such key');
        }
        const o = readFloat(lib, file, path, obsKey, 'an observation dataset [T, d]');
        const width = o.shape.slice(1).reduce((a, b) => a * b, 1);
        if (o.shape[0] !== T) throw new DataError(path, obsKey, `${T} rows like ${actKey}`, `${o.shape[0]}`);
        if (obsKeyDims[key] === undefined) obsKeyDims[key] = width;
        else if (obsKeyDims[key] !== width)
          throw new DataError(path, obsKey, `width ${obsKeyDims[key]} like the first demo`, `${width}`);
        perKey.push({ data: o.data, width });
      }
      const D = perKey.reduce((s, p) => s + p.width, 0);
      const obs = new Float32Array(T * D);
      for (let t = 0; t < T; t++) {
        let col = 0;
        for (const p of perKey) {
          obs.set(p.data.subarray(t * p.width, (t + 1) * p.width), t * D + col);
          col += p.width;
        }
      }
      obsChunks.push(obs);
      actChunks.push(act.data);
      total += T;
      ends.push(total);
    }

    let arms = 1;
    let actions = concat(actChunks, total * actWidth);
    let A = actWidth;
    if (actionSpace === 'rotation6d') {
      if (actWidth !== 7 && actWidth !== 14) {
        throw new DataError(
          path,
          `data/${demos[0]}/actions`,
          'width 7 (pos, axis-angle, gripper) or 14 (two arms) to convert to rotation 6D',
          `${actWidth}`,
        );
      }
      arms = actWidth / 7;
      actions = axisAngleActionsToRotation6d(actions, arms);
      A = 10 * arms;
    } else {
      arms = actWidth % 7 === 0 ? actWidth / 7 : 1;
    }
    const D = Object.values(obsKeyDims).reduce((a, b) => a + b, 0);
    const store = new EpisodeStore(
      {
        obs: { data: concat(obsChunks, total * D), shape: [total, D] },
        action: { data: actions, shape: [total, A] },
      },
      ends,
      { source: path, skipFiniteCheck: true },
    );
    return { store, demos, obsKeyDims, arms };
  } catch (error) {
    throw error instanceof DataError ? error : hdf5Failure(path, '/', error);
  } finally {
    try {
      file.close();
    } catch {
      // a file that failed mid-read may not close cleanly; the DataError above says why
    }
  }
}

/**
 * One {@link DataError} for an HDF5 library failure: the innermost reason of the diagnostic stack
 * (e.g. `truncated file: eof = 900, ... stored_eof = 6048`), not the whole stack.
 */
function hdf5Failure(path: string, key: string, error: unknown): DataError {
  const text = error instanceof Error ? error.message : String(error);
  const reasons = [...text.matchAll(/#\d+: .* in [\w.]+\(\): (.+)$/gm)].map((m) => m[1]!.trim());
  const reason = reasons.at(-1) ?? text.split('\n')[0]!.trim();
  return new DataError(path, key, 'a readable HDF5 file', `HDF5: ${reason}`);
}

function concat(parts: Float32Array[], n: number): Float32Array {
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
