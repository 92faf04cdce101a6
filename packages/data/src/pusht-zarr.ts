import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import FileSystemStore from '@zarrita/storage/fs';
import ZipFileStore from '@zarrita/storage/zip';
import * as zarr from 'zarrita';
import { assertFinite, DataError } from './data-error.js';
import { EpisodeStore } from './episode-store.js';
import type { TensorData } from './tensor-data.js';

/** Options of {@link loadZarrReplayBuffer}. */
export interface ZarrReplayBufferOptions {
  /** Arrays to read from `data/<key>`; each must have time as its first axis. */
  keys: readonly string[];
}

/** The PushT arrays MIP uses (spec §7.3): `state [T,5]`, `keypoint [T,9,2]`, `action [T,2]`. */
export const PUSHT_KEYS = ['state', 'keypoint', 'action'] as const;

type Readable = zarr.Readable;

/**
 * unzipit `Reader` over a local file with positioned reads: only the zip directory and the chunks
 * actually requested are read, so opening the 300 MB PushT zip (mostly images) for its low-dim
 * arrays does not load the whole file into memory.
 */
class LocalFileReader {
  constructor(readonly path: string) {}
  async getLength(): Promise<number> {
    return (await stat(this.path)).size;
  }
  async read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    const handle = await open(this.path, 'r');
    try {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  }
}

async function openStore(path: string): Promise<Readable> {
  if (!existsSync(path))
    throw new DataError(path, '/', 'an existing Zarr directory or .zip file', 'no such file');
  if (path.endsWith('.zip')) {
    return new ZipFileStore(new LocalFileReader(path));
  }
  return new FileSystemStore(path);
}

/** Zarr metadata documents: absent ones are normal (zarrita probes v2 and v3 names). */
const METADATA_KEY = /(^|\/)(\.zarray|\.zattrs|\.zgroup|\.zmetadata|zarr\.json)$/;

/** A chunk key that the store does not hold. */
class MissingChunk extends Error {
  constructor(readonly chunkPath: string) {
    super(`missing chunk ${chunkPath}`);
  }
}

/**
 * The store, but a chunk it lacks is an error: zarrita fills a missing chunk with the array's
 * fill value, so a deleted chunk file would silently turn part of the data into zeros.
 * Every chunk read here lies inside the array's extent (whole arrays are read).
 */
function strictStore(store: Readable): Readable {
  return {
    async get(key, options) {
      const value = await store.get(key, options);
      if (value === undefined && !METADATA_KEY.test(key)) throw new MissingChunk(key);
      return value;
    },
  };
}

/**
 * The array, but every decoded chunk must hold its full chunk shape: an uncompressed chunk file
 * cut short decodes to a shorter array, whose missing tail zarrita would read as zeros. Errors
 * name the chunk by its coordinates.
 */
function sizeCheckedArray(
  arr: zarr.Array<zarr.DataType, Readable>,
  path: string,
  key: string,
): zarr.Array<zarr.DataType, Readable> {
  const expected = arr.chunks.reduce((a, b) => a * b, 1);
  const getChunk: typeof arr.getChunk = async (coords, ...rest) => {
    const chunk = await arr.getChunk(coords, ...rest);
    const length = (chunk.data as { length: number }).length;
    if (length !== expected) {
      throw new DataError(
        path,
        `${key}/${coords.join('.')}`,
        `a chunk of ${expected} values (chunk shape [${arr.chunks}])`,
        `${length} values (the chunk file is truncated or not this array's)`,
      );
    }
    return chunk;
  };
  return new Proxy(arr, {
    get(target, prop) {
      if (prop === 'getChunk') return getChunk;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Bytes per element of a Zarr v2 dtype string (`<f4` -> 4), or null when it names none. */
const itemSize = (dtype: unknown) =>
  typeof dtype === 'string' ? Number(/(\d+)$/.exec(dtype)?.[1]) || null : null;

/**
 * A check of each raw chunk before it is decoded, from the array's `.zarray`. Blosc decodes a
 * truncated chunk without complaint (its header says how long the chunk should be, but the
 * decoder does not compare): here a chunk whose length is not the header's `cbytes`, or whose
 * `nbytes` is not a full chunk, is refused. zlib and gzip carry their own checksums.
 */
async function chunkCheck(
  store: Readable,
  path: string,
  key: string,
): Promise<((chunkPath: string, bytes: Uint8Array) => void) | null> {
  const raw = await store.get(`/${key}/.zarray`);
  if (!raw) return null;
  let meta: { compressor?: { id?: string } | null; chunks?: number[]; dtype?: unknown };
  try {
    meta = JSON.parse(new TextDecoder().decode(raw));
  } catch (e) {
    throw new DataError(path, `${key}/.zarray`, 'Zarr v2 array metadata (JSON)', String(e));
  }
  if (meta.compressor?.id !== 'blosc' || !Array.isArray(meta.chunks)) return null;
  const size = itemSize(meta.dtype);
  const full = size === null ? null : meta.chunks.reduce((a, b) => a * b, 1) * size;
  return (chunkPath, bytes) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const where = chunkPath.replace(/^\//, '');
    if (bytes.byteLength < 16)
      throw new DataError(path, where, 'a Blosc chunk (16-byte header)', `${bytes.byteLength} bytes`);
    const nbytes = view.getUint32(4, true);
    const cbytes = view.getUint32(12, true);
    if (cbytes !== bytes.byteLength)
      throw new DataError(
        path,
        where,
        `${cbytes} bytes (its Blosc header's cbytes)`,
        `${bytes.byteLength} (truncated)`,
      );
    if (full !== null && nbytes !== full)
      throw new DataError(path, where, `a Blosc chunk of ${full} bytes decoded`, `${nbytes} in its header`);
  };
}

async function readArray(store: Readable, path: string, key: string): Promise<TensorData> {
  const check = await chunkCheck(store, path, key).catch((e: unknown) => {
    if (e instanceof DataError) throw e;
    return null;
  });
  const checked: Readable = check
    ? {
        async get(k, options) {
          const value = await store.get(k, options);
          if (value && !METADATA_KEY.test(k)) check(k, value);
          return value;
        },
      }
    : store;
  let arr: zarr.Array<zarr.DataType, Readable>;
  try {
    arr = await zarr.open(zarr.root(checked).resolve(key), { kind: 'array' });
  } catch (e) {
    throw new DataError(
      path,
      key,
      'a Zarr v2 array (a .zarray entry)',
      e instanceof zarr.NotFoundError ? 'nothing' : String(e),
    );
  }
  const wellFormed = (v: unknown) => Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 0);
  if (!wellFormed(arr.shape) || !wellFormed(arr.chunks) || arr.chunks.includes(0)) {
    throw new DataError(
      path,
      `${key}/.zarray`,
      'Zarr v2 array metadata with integer shape and chunks',
      `shape ${JSON.stringify(arr.shape)}, chunks ${JSON.stringify(arr.chunks)}`,
    );
  }
  // zarrita cannot read zero-size arrays (an empty episode_ends); they need no chunks anyway.
  if (arr.shape.includes(0)) return { data: new Float32Array(0), shape: [...arr.shape] };
  let chunk: { data: unknown; shape: number[] };
  try {
    chunk = (await zarr.get(sizeCheckedArray(arr, path, key))) as { data: unknown; shape: number[] };
  } catch (e) {
    if (e instanceof DataError) throw e;
    if (e instanceof MissingChunk) {
      throw new DataError(
        path,
        key,
        `every chunk inside the array's extent (shape [${arr.shape}], chunks [${arr.chunks}])`,
        `${e.chunkPath.replace(/^\//, '')} missing`,
      );
    }
    // Codecs come from each .zarray's `compressor` / `filters`; an unsupported one surfaces here.
    throw new DataError(path, key, `chunks decodable with the codecs named in ${key}/.zarray`, String(e));
  }
  const raw = chunk.data;
  if (!ArrayBuffer.isView(raw) || raw instanceof DataView) {
    throw new DataError(path, key, 'a numeric array', `dtype ${arr.dtype}`);
  }
  // A typed-array copy converts natively; `Float32Array.from(raw, Number)` calls the mapper per
  // element (2.3 s instead of 0.03 s for one 161-frame chunk of PushT's data/img). Only the 64-bit
  // integer arrays (episode_ends) need the mapper.
  const data =
    raw instanceof BigInt64Array || raw instanceof BigUint64Array
      ? Float32Array.from(raw, Number)
      : new Float32Array(raw as unknown as ArrayLike<number>);
  return { data, shape: [...chunk.shape] };
}

/**
 * Loads a Diffusion-Policy `ReplayBuffer` stored as a Zarr v2 group (a directory, or a `.zip` of
 * one as in `pusht_cchi_v7_replay.zarr.zip`): `data/<key>` arrays with time first and
 * `meta/episode_ends` (int64, exclusive cumulative ends).
 *
 * Codecs are whatever each array's `.zarray` names (zarrita + numcodecs: blosc, zlib, gzip, lz4,
 * zstd, or none); nothing assumes the Blosc-lz4 default of diffusion_policy. All arrays are returned
 * as float32, as the reference casts them in `__getitem__`.
 */
export async function loadZarrReplayBuffer(
  path: string,
  options: ZarrReplayBufferOptions,
): Promise<EpisodeStore> {
  try {
    return await readReplayBuffer(path, options);
  } catch (error) {
    // Anything not foreseen below still names the store, on one line.
    if (error instanceof DataError) throw error;
    throw new DataError(path, '/', 'a readable Zarr v2 replay buffer', String(error).split('\n')[0]);
  }
}

async function readReplayBuffer(path: string, options: ZarrReplayBufferOptions): Promise<EpisodeStore> {
  if (options.keys.length === 0) throw new DataError(path, 'data', 'at least one key to load');
  const store = strictStore(await openStore(path));
  const endsArr = await readArray(store, path, 'meta/episode_ends');
  if (endsArr.shape.length !== 1) {
    throw new DataError(path, 'meta/episode_ends', 'a 1-D array', `shape [${endsArr.shape}]`);
  }
  const ends = Array.from(endsArr.data);
  if (ends.length === 0) throw new DataError(path, 'meta/episode_ends', 'at least one episode', '0 episodes');
  const total = ends[ends.length - 1]!;
  const arrays: Record<string, TensorData> = {};
  for (const key of options.keys) {
    const full = `data/${key}`;
    const a = await readArray(store, path, full);
    if (a.shape.length === 0 || a.shape[0] !== total) {
      throw new DataError(
        path,
        full,
        `${total} rows (the last meta/episode_ends entry)`,
        `shape [${a.shape}]`,
      );
    }
    assertFinite(
      a.data,
      path,
      full,
      a.shape.slice(1).reduce((p, q) => p * q, 1),
    );
    arrays[key] = a;
  }
  return new EpisodeStore(arrays, ends, { source: path, skipFiniteCheck: true });
}

/** Loads the PushT replay buffer (`state`, `keypoint`, `action` by default). */
export async function loadPushTZarr(
  path: string,
  keys: readonly string[] = PUSHT_KEYS,
): Promise<EpisodeStore> {
  return loadZarrReplayBuffer(path, { keys });
}

/**
 * The agent position `state[:, :2]` as its own `[T, 2]` array: the keypoint task's second
 * observation key (`agent_pos`, with its own MinMax in the reference). Add it with
 * `store.withArrays({ agent_pos: pushTAgentPos(store) })`.
 */
export function pushTAgentPos(store: EpisodeStore): TensorData {
  const state = store.get('state');
  const width = state.shape.slice(1).reduce((a, b) => a * b, 1);
  const T = state.shape[0]!;
  const data = new Float32Array(T * 2);
  for (let t = 0; t < T; t++) data.set(state.data.subarray(t * width, t * width + 2), t * 2);
  return { data, shape: [T, 2] };
}
