import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadPushTZarr, loadZarrReplayBuffer } from '@mipjs/data';

/** The real PushT demonstrations (`../shared/data`, outside the repository). */
export const PUSHT_ZARR = resolve(
  import.meta.dirname,
  '../../../../../shared/data/pusht/pusht_cchi_v7_replay.zarr',
);

/** The committed copy of the low-dimensional arrays (`datasets/pusht`, in the repository). */
export const PUSHT_LOWDIM_ZARR = resolve(
  import.meta.dirname,
  '../../../../datasets/pusht/pusht_cchi_v7_lowdim.zarr',
);

/** Why the low-dimensional real-data tests skip, or null when the data is there. */
export function realDataMissing(): string | null {
  return existsSync(PUSHT_LOWDIM_ZARR) || existsSync(PUSHT_ZARR)
    ? null
    : `real PushT data not found at ${PUSHT_LOWDIM_ZARR} nor ${PUSHT_ZARR}`;
}

/** Why the image tests skip (they need `data/img` from ../shared/data), or null. */
export function imagesMissing(): string | null {
  return existsSync(join(PUSHT_ZARR, 'data', 'img')) ? null : `PushT images not found at ${PUSHT_ZARR}`;
}

export interface LowDim {
  state: Float32Array;
  action: Float32Array;
  keypoint: Float32Array;
  nContacts: Float32Array;
  episodeEnds: number[];
}

let cached: LowDim | null = null;

/** All low-dimensional arrays (about 1.3 MB), loaded once per test file. */
export async function loadLowDim(): Promise<LowDim> {
  if (cached) return cached;
  const path = existsSync(PUSHT_LOWDIM_ZARR) ? PUSHT_LOWDIM_ZARR : PUSHT_ZARR;
  const store = await loadPushTZarr(path, ['state', 'action', 'keypoint', 'n_contacts']);
  cached = {
    state: store.get('state').data as Float32Array,
    action: store.get('action').data as Float32Array,
    keypoint: store.get('keypoint').data as Float32Array,
    nContacts: store.get('n_contacts').data as Float32Array,
    episodeEnds: [...store.episodeEnds],
  };
  return cached;
}

/**
 * Frames of `data/img` (and their states) for the given 161-row chunks only, without reading the
 * 2.8 GB image array: a temporary Zarr store whose arrays are those chunks, linked.
 */
export async function loadImageChunks(chunks: number[]): Promise<{ img: Float32Array; state: Float32Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'pusht-img-'));
  try {
    const rows = 161;
    const total = chunks.length * rows;
    for (const key of ['img', 'state']) {
      const src = join(PUSHT_ZARR, 'data', key);
      const dst = join(dir, 'data', key);
      mkdirSync(dst, { recursive: true });
      const meta = JSON.parse(readFileSync(join(src, '.zarray'), 'utf8'));
      meta.shape[0] = total;
      writeFileSync(join(dst, '.zarray'), JSON.stringify(meta));
      const suffix = key === 'img' ? '.0.0.0' : '.0';
      chunks.forEach((c, i) => symlinkSync(join(src, `${c}${suffix}`), join(dst, `${i}${suffix}`)));
    }
    const meta = join(dir, 'meta', 'episode_ends');
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      join(meta, '.zarray'),
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
    const ends = new BigInt64Array([BigInt(total)]);
    writeFileSync(join(meta, '0'), new Uint8Array(ends.buffer));
    for (const g of ['', 'data', 'meta']) writeFileSync(join(dir, g, '.zgroup'), '{"zarr_format": 2}');
    const store = await loadZarrReplayBuffer(dir, { keys: ['img', 'state'] });
    return { img: store.get('img').data as Float32Array, state: store.get('state').data as Float32Array };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
