import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { deflateSync } from 'node:zlib';
import { zipSync } from 'fflate';
import Blosc from 'numcodecs/blosc';
import { describe, expect, it, vi } from 'vitest';
import { DataError } from './data-error.js';
import { MinMaxNormalizer } from './minmax-normalizer.js';
import { loadNormalizers, saveNormalizers } from './normalizer-io.js';
import { loadPushTZarr, loadZarrReplayBuffer, pushTAgentPos } from './pusht-zarr.js';
import { WindowDataset } from './window-dataset.js';

const base = mkdtempSync(join(tmpdir(), 'mipjs-zarr-'));

type Codec = 'zlib' | 'blosc' | 'raw' | 'unknown';
interface ArraySpec {
  data: Float32Array | BigInt64Array;
  shape: number[];
  chunkRows: number;
  codec: Codec;
}

/** Writes one Zarr v2 array: `.zarray` metadata plus C-order chunks along the first axis. */
async function writeArray(root: string, key: string, spec: ArraySpec): Promise<void> {
  const dir = join(root, key);
  mkdirSync(dir, { recursive: true });
  const isInt = spec.data instanceof BigInt64Array;
  const compressor =
    spec.codec === 'zlib'
      ? { id: 'zlib', level: 5 }
      : spec.codec === 'blosc'
        ? { id: 'blosc', cname: 'lz4', clevel: 5, shuffle: 1, blocksize: 0 }
        : spec.codec === 'unknown'
          ? { id: 'no-such-codec' }
          : null;
  const zarray = {
    zarr_format: 2,
    shape: spec.shape,
    chunks: [spec.chunkRows, ...spec.shape.slice(1)],
    dtype: isInt ? '<i8' : '<f4',
    compressor,
    fill_value: 0,
    order: 'C',
    filters: null,
  };
  writeFileSync(join(dir, '.zarray'), JSON.stringify(zarray));
  writeFileSync(join(dir, '.zattrs'), '{}');
  const rowSize = spec.shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = spec.shape[0]!;
  const blosc = Blosc.fromConfig({ cname: 'lz4', clevel: 5, shuffle: 1, blocksize: 0 });
  for (let c = 0; c * spec.chunkRows < Math.max(rows, 1); c++) {
    // v2 chunks are always full size; the tail of the last one is padding.
    const chunk = isInt
      ? new BigInt64Array(spec.chunkRows * rowSize)
      : new Float32Array(spec.chunkRows * rowSize);
    const part = spec.data.subarray(
      c * spec.chunkRows * rowSize,
      Math.min(rows, (c + 1) * spec.chunkRows) * rowSize,
    );
    (chunk as Float32Array).set(part as Float32Array);
    const bytes = new Uint8Array(chunk.buffer);
    const suffix = spec.shape
      .slice(1)
      .map(() => '.0')
      .join('');
    const encoded =
      spec.codec === 'zlib' ? deflateSync(bytes) : spec.codec === 'blosc' ? await blosc.encode(bytes) : bytes;
    writeFileSync(join(dir, `${c}${suffix}`), encoded);
  }
}

interface FixtureOptions {
  ends?: bigint[];
  T?: number;
  actionRows?: number;
  omit?: string;
  nanInState?: boolean;
  actionCodec?: Codec;
}

/** A tiny PushT-layout replay buffer: data/{state,keypoint,action}, meta/episode_ends. */
async function writePushT(name: string, o: FixtureOptions = {}): Promise<string> {
  const root = join(base, name);
  mkdirSync(root, { recursive: true });
  const T = o.T ?? 10;
  writeFileSync(join(root, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
  for (const g of ['data', 'meta']) {
    mkdirSync(join(root, g), { recursive: true });
    writeFileSync(join(root, g, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
  }
  const state = Float32Array.from({ length: T * 5 }, (_, i) => i * 0.5);
  if (o.nanInState) state[12] = Number.NaN;
  if (o.omit !== 'state')
    await writeArray(root, 'data/state', { data: state, shape: [T, 5], chunkRows: 4, codec: 'zlib' });
  if (o.omit !== 'keypoint')
    await writeArray(root, 'data/keypoint', {
      data: Float32Array.from({ length: T * 18 }, (_, i) => 100 + i),
      shape: [T, 9, 2],
      chunkRows: 3,
      codec: 'blosc',
    });
  const aRows = o.actionRows ?? T;
  await writeArray(root, 'data/action', {
    data: Float32Array.from({ length: aRows * 2 }, (_, i) => -i),
    shape: [aRows, 2],
    chunkRows: 8,
    codec: o.actionCodec ?? 'raw',
  });
  const ends = BigInt64Array.from(o.ends ?? [4n, 10n]);
  await writeArray(root, 'meta/episode_ends', {
    data: ends,
    shape: [ends.length],
    chunkRows: Math.max(ends.length, 1),
    codec: 'zlib',
  });
  return root;
}

function zipDir(root: string): string {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(root, p).split('\\').join('/')] = new Uint8Array(readFileSync(p));
    }
  };
  walk(root);
  const out = `${root}.zip`;
  // level 0 = stored entries, as zarr's ZipStore writes them.
  writeFileSync(out, zipSync(files, { level: 0 }));
  return out;
}

describe('loadPushTZarr', () => {
  it('reads state / keypoint / action and episode_ends from a directory store (zlib, blosc, raw chunks)', async () => {
    const root = await writePushT('pusht_cchi_v7_replay.zarr');
    const store = await loadPushTZarr(root);
    expect(store.episodeEnds).toEqual([4, 10]);
    expect(store.get('state').shape).toEqual([10, 5]);
    expect(store.get('keypoint').shape).toEqual([10, 9, 2]);
    expect(store.get('action').shape).toEqual([10, 2]);
    expect(Array.from(store.get('state').data.subarray(45, 50))).toEqual([22.5, 23, 23.5, 24, 24.5]);
    expect(store.get('keypoint').data[179]).toBe(279);
    expect(Array.from(store.get('action').data.subarray(18, 20))).toEqual([-18, -19]);
  });

  it('reads the same data from a .zip store', async () => {
    const root = await writePushT('zipped.zarr');
    const dirStore = await loadPushTZarr(root);
    const zipStore = await loadPushTZarr(zipDir(root));
    expect(zipStore.episodeEnds).toEqual(dirStore.episodeEnds);
    for (const k of ['state', 'keypoint', 'action']) {
      expect(Array.from(zipStore.get(k).data)).toEqual(Array.from(dirStore.get(k).data));
    }
    expect(zipStore.source.endsWith('.zip')).toBe(true);
    const withPos = zipStore.withArrays({ agent_pos: pushTAgentPos(zipStore) });
    expect(withPos.get('agent_pos').shape).toEqual([10, 2]);
    expect(Array.from(withPos.get('agent_pos').data.subarray(2, 4))).toEqual([2.5, 3]);
    expect(() => zipStore.withArrays({ bad: { data: new Float32Array(3), shape: [3] } })).toThrow(
      /'bad': expected 10 time steps/,
    );
  });

  it('reads only the requested keys', async () => {
    const root = await writePushT('subset.zarr', { omit: 'keypoint' });
    const store = await loadZarrReplayBuffer(root, { keys: ['state', 'action'] });
    expect(store.keys).toEqual(['state', 'action']);
  });

  it('names file, key and expectation for bad input', async () => {
    const cases: [Promise<string>, RegExp][] = [
      [
        writePushT('missing.zarr', { omit: 'keypoint' }),
        /missing\.zarr: 'data\/keypoint': expected a Zarr v2 array/,
      ],
      [
        writePushT('ragged.zarr', { actionRows: 9 }),
        /'data\/action': expected 10 rows \(the last meta\/episode_ends entry\), found shape \[9,2\]/,
      ],
      [
        writePushT('nan.zarr', { nanInState: true }),
        /'data\/state': expected finite values, found NaN at row 2/,
      ],
      [
        writePushT('order.zarr', { ends: [6n, 4n, 10n] }),
        /'meta\/episode_ends': expected strictly increasing/,
      ],
      [writePushT('zero.zarr', { ends: [], T: 0 }), /'meta\/episode_ends': expected at least one episode/],
      [
        writePushT('codec.zarr', { actionCodec: 'unknown' }),
        /'data\/action': expected chunks decodable with the codecs named in data\/action\/\.zarray/,
      ],
      [
        Promise.resolve(join(base, 'absent.zarr.zip')),
        /absent\.zarr\.zip: '\/': expected an existing Zarr directory/,
      ],
    ];
    for (const [pathP, message] of cases) {
      const err = await loadPushTZarr(await pathP).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('a truncated, resized or deleted chunk is a DataError naming the array and the chunk, never zeros', async () => {
    // Raw (uncompressed) action chunk cut in half: decodes to fewer values.
    const truncated = await writePushT('truncated-chunk.zarr');
    const chunk = join(truncated, 'data/action/1.0');
    const bytes = readFileSync(chunk);
    writeFileSync(chunk, bytes.subarray(0, bytes.length / 2));
    await expect(loadPushTZarr(truncated)).rejects.toThrow(
      /truncated-chunk\.zarr: 'data\/action\/1\.0': expected a chunk of 16 values \(chunk shape \[8,2\]\), found 8 values/,
    );
    // A valid zlib stream of the wrong size (another array's chunk).
    const resized = await writePushT('resized-chunk.zarr');
    writeFileSync(join(resized, 'data/state/1.0'), deflateSync(new Uint8Array(4 * 7)));
    await expect(loadPushTZarr(resized)).rejects.toThrow(
      /'data\/state\/1\.0': expected a chunk of 20 values \(chunk shape \[4,5\]\), found 7 values/,
    );
    // A deleted chunk inside the extent: zarrita would return the fill value (0) there.
    const deleted = await writePushT('deleted-chunk.zarr');
    rmSync(join(deleted, 'data/state/2.0'));
    const err = await loadPushTZarr(deleted).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(
      /deleted-chunk\.zarr: 'data\/state': expected every chunk inside the array's extent \(shape \[10,5\], chunks \[4,5\]\), found data\/state\/2\.0 missing/,
    );
    // The same holds inside a zip.
    const zipped = await writePushT('deleted-in-zip.zarr');
    rmSync(join(zipped, 'data/keypoint/1.0.0'));
    await expect(loadPushTZarr(zipDir(zipped))).rejects.toThrow(
      /'data\/keypoint': expected every chunk .* missing/,
    );
  });

  it('runs the README flow: load, split, fit, save, window, batch', async () => {
    const root = await writePushT('readme.zarr', { T: 30, ends: [8n, 14n, 22n, 30n] });
    const store = await loadPushTZarr(zipDir(root));
    const { train, val } = store.splitByEpisode({ valFraction: 0.25, seed: 0 });
    expect(train.numEpisodes).toBe(3);
    expect(val!.numEpisodes).toBe(1);
    const obs = MinMaxNormalizer.fit(train.features(['state']).data, 5);
    const action = MinMaxNormalizer.fit(train.get('action').data, 2);
    const file = join(base, 'normalizers.json');
    await saveNormalizers(file, { obs, action });
    const loaded = await loadNormalizers(file);
    const dataset = new WindowDataset(train, {
      horizon: 4,
      obsSteps: 2,
      actSteps: 2,
      obsKeys: ['state'],
      normalizers: { obs: loaded['obs']!, action: loaded['action']! },
    });
    const batches = [...dataset.batches({ batchSize: 5, seed: 0, epochs: 2 })];
    expect(batches[0]!.obs.shape).toEqual([5, 2, 5]);
    expect(batches[0]!.action.shape).toEqual([5, 4, 2]);
    for (const b of batches)
      for (const v of [...b.obs.data, ...b.action.data]) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6);
    vi.restoreAllMocks();
  });
});
