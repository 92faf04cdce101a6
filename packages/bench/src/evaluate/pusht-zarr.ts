import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataError, type EpisodeStore, loadZarrReplayBuffer } from '@mipjs/data';
import { ConfigError } from '../config/config.js';
import { makeDir, readJsonFile } from '../io/io.js';

/** The arrays of a PushT replay buffer that `validate-env` reads (all float32, flat). */
export interface PushTArrays {
  state: Float32Array;
  action: Float32Array;
  /** Absent when the store has no `data/keypoint`. */
  keypoint: Float32Array | null;
  episodeEnds: number[];
}

const isMissingKey = (e: unknown, key: string) =>
  e instanceof DataError && e.key === key && e.found === 'nothing';

/**
 * Loads `data/state`, `data/action` (required) and `data/keypoint` (when present) of a Zarr
 * replay buffer; bad paths become one-line {@link ConfigError}s.
 */
export async function loadPushTArrays(path: string): Promise<PushTArrays> {
  if (!existsSync(path))
    throw new ConfigError(`validate-env: cannot read --data ${path}: no such file or directory`);
  let store: EpisodeStore;
  try {
    store = await loadZarrReplayBuffer(path, { keys: ['state', 'action'] });
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ConfigError(`validate-env: --data ${path} is not a PushT Zarr replay buffer (${why})`);
  }
  const state = store.get('state');
  const action = store.get('action');
  if (
    state.shape.length !== 2 ||
    state.shape[1] !== 5 ||
    action.shape.length !== 2 ||
    action.shape[1] !== 2
  ) {
    throw new ConfigError(
      `validate-env: --data ${path}: expected data/state [T, 5] and data/action [T, 2], found [${state.shape}] and [${action.shape}]`,
    );
  }
  let keypoint: Float32Array | null = null;
  try {
    keypoint = (await loadZarrReplayBuffer(path, { keys: ['keypoint'] })).get('keypoint')
      .data as Float32Array;
  } catch (e) {
    if (!isMissingKey(e, 'data/keypoint'))
      throw new ConfigError(`validate-env: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    state: state.data as Float32Array,
    action: action.data as Float32Array,
    keypoint,
    episodeEnds: [...store.episodeEnds],
  };
}

/** Why the images of `path` cannot be read lazily, or null when `data/img` is there. */
export function pushTImagesMissing(path: string): string | null {
  if (!statSync(path).isDirectory())
    return `${path} is not a Zarr directory (data/img is read chunk by chunk from a directory store only)`;
  if (!existsSync(join(path, 'data', 'img', '.zarray'))) return `${path} has no data/img`;
  return null;
}

/**
 * Reads the given frames of `data/img` (`[T, 96, 96, 3]`, 0-255) chunk by chunk: each chunk that
 * holds a requested frame is decoded alone (through a temporary one-chunk Zarr store whose chunk
 * file links to the original) and only the requested frames are kept, as bytes. The whole array
 * (2.8 GB as float32 for PushT) is never decoded at once.
 */
export async function readPushTFrames(
  path: string,
  frames: readonly number[],
  onChunk: (done: number, total: number) => void = () => {},
): Promise<Map<number, Uint8Array>> {
  const src = join(resolve(path), 'data', 'img');
  const meta = readJsonFile(join(src, '.zarray'), 'Zarr v2 array metadata') as {
    shape: number[];
    chunks: number[];
    dimension_separator?: string;
  };
  const [total, ...frameShape] = meta.shape;
  const rows = meta.chunks[0]!;
  if (meta.chunks.slice(1).some((c, i) => c !== frameShape[i]))
    throw new ConfigError(
      `validate-env: ${src}: expected one frame per chunk row (chunks [n, ${frameShape}])`,
    );
  const size = frameShape.reduce((a, b) => a * b, 1);
  const sep = meta.dimension_separator ?? '.';
  const byChunk = new Map<number, number[]>();
  for (const t of frames) {
    if (!Number.isInteger(t) || t < 0 || t >= total!) continue;
    const c = Math.floor(t / rows);
    byChunk.set(c, [...(byChunk.get(c) ?? []), t]);
  }
  const out = new Map<number, Uint8Array>();
  const chunks = [...byChunk.keys()].sort((a, b) => a - b);
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-pusht-img-'));
  try {
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const n = Math.min(rows, total! - c * rows);
      const one = join(dir, `c${c}`);
      const img = join(one, 'data', 'img');
      makeDir(img);
      makeDir(join(one, 'meta', 'episode_ends'));
      for (const g of ['', 'data', 'meta']) writeFileSync(join(one, g, '.zgroup'), '{"zarr_format": 2}');
      writeFileSync(join(img, '.zarray'), JSON.stringify({ ...meta, shape: [n, ...frameShape] }));
      const key = [c, ...frameShape.map(() => 0)].join(sep);
      const local = [0, ...frameShape.map(() => 0)].join(sep);
      if (sep === '/') makeDir(join(img, ...local.split('/').slice(0, -1)));
      symlinkSync(join(src, key), join(img, local));
      writeFileSync(
        join(one, 'meta', 'episode_ends', '.zarray'),
        JSON.stringify({
          chunks: [1],
          compressor: null,
          dtype: '<i8',
          fill_value: 0,
          filters: null,
          order: 'C',
          shape: [1],
          zarr_format: 2,
        }),
      );
      writeFileSync(
        join(one, 'meta', 'episode_ends', '0'),
        new Uint8Array(new BigInt64Array([BigInt(n)]).buffer),
      );
      let data: Float32Array;
      try {
        data = (await loadZarrReplayBuffer(one, { keys: ['img'] })).get('img').data as Float32Array;
      } catch (e) {
        throw new ConfigError(`validate-env: ${src} chunk ${c}: ${(e as Error).message.split('\n')[0]}`);
      }
      for (const t of byChunk.get(c)!) {
        const j = t - c * rows;
        out.set(t, Uint8Array.from(data.subarray(j * size, (j + 1) * size)));
      }
      rmSync(one, { recursive: true, force: true });
      onChunk(i + 1, chunks.length);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
