/**
 * Property-based tests (fast-check, seeded) of the loaders of @mipjs/data and the bench's run-folder
 * readers on damaged files: random truncations, byte flips and deletions of real-format fixtures
 * (Zarr with raw / zlib chunks, the real Blosc-zstd chunks of a slice of the real PushT store in ../shared/data, robomimic
 * HDF5, LeRobot parquet, a run folder). Each damaged copy either loads data identical to the
 * original or fails with a DataError / FileError naming the file, within a time bound.
 *
 * One honest limit: a flipped byte inside an uncompressed (or Blosc) payload, or inside HDF5 /
 * parquet data pages, is undetectable by these formats (they carry no checksum there); for flips
 * the property is therefore "loads identical data, or fails with a named error, or loads finite
 * data of the same shape", and never a hang or an unnamed crash. Truncations and deletions must be
 * caught. The run folder's weights carry a sha256, so there every flip is caught.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { deflateSync } from 'node:zlib';
import {
  DataError,
  type EpisodeStore,
  loadLeRobotDataset,
  loadRobomimicHdf5,
  loadZarrReplayBuffer,
} from '@mipjs/data';
import { createNetwork, loadWeights, saveWeights, WeightsError } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileError, readJsonFile, readJsonLines } from '../io/io.js';
import { writeLeRobotFixture, writePushTFixture, writeRobomimicFixture } from '../test-utils/datasets.js';
import { tempDir } from '../test-utils/fixtures.js';
import { readTensorStore, writeTensorStore } from '../train/tensor-store.js';

const REAL_PUSHT = join(import.meta.dirname, '../../../../../shared/data/pusht/pusht_cchi_v7_replay.zarr');
/** A damaged copy must load or fail within this (a hang would otherwise stall the suite). */
const BOUND_MS = 20_000;
const RUNS = 60;
/** Seeds are fixed; `MIPJS_PROPERTY_SEED=n` shifts them all to explore other damage (then pin what it finds). */
const SEED_SHIFT = Number(process.env.MIPJS_PROPERTY_SEED ?? 0);

type Damage = { kind: 'truncate' | 'flip' | 'delete'; file: number; at: number; mask: number };

const damage = fc.record({
  kind: fc.constantFrom<Damage['kind']>('truncate', 'flip', 'delete'),
  file: fc.nat(),
  at: fc.nat(),
  mask: fc.integer({ min: 1, max: 255 }),
});

function filesOf(root: string): string[] {
  if (statSync(root).isFile()) return [root];
  return readdirSync(root)
    .sort()
    .flatMap((name) => filesOf(join(root, name)));
}

/** A damaged copy of `source` (a folder or a file); returns the copy's path and what was done. */
function damagedCopy(source: string, d: Damage, label: string): { path: string; what: string } {
  const path = join(tempDir(), label);
  cpSync(source, path, { recursive: true, dereference: true });
  const files = filesOf(path);
  const file = files[d.file % files.length]!;
  const size = statSync(file).size;
  const name = relative(path, file) || label;
  if (d.kind === 'delete' || size === 0) {
    rmSync(file);
    return { path, what: `deleted ${name}` };
  }
  if (d.kind === 'truncate') {
    const at = d.at % size;
    truncateSync(file, at);
    return { path, what: `truncated ${name} to ${at} of ${size} bytes` };
  }
  const bytes = readFileSync(file);
  const at = d.at % size;
  bytes[at] = bytes[at]! ^ d.mask;
  writeFileSync(file, bytes);
  return { path, what: `flipped byte ${at} of ${name} (xor ${d.mask})` };
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(
        () => reject(new Error(`HANG: no answer within ${BOUND_MS} ms after ${what}`)),
        BOUND_MS,
      ).unref(),
    ),
  ]);
}

const arraysOf = (store: EpisodeStore) =>
  Object.fromEntries(
    store.keys.map((k) => [k, { shape: store.get(k).shape, data: Array.from(store.get(k).data) }]),
  );

/**
 * The property for one loader: the damaged copy loads identical arrays, or fails with a named
 * error, or (a flip only, see the file comment) loads finite arrays of the same shapes.
 */
async function checkLoader(
  source: string,
  load: (path: string) => Promise<EpisodeStore>,
  seed: number,
): Promise<void> {
  const original = arraysOf(await load(source));
  let n = 0;
  await fc.assert(
    fc.asyncProperty(damage, async (d) => {
      const { path, what } = damagedCopy(source, d, `copy-${n++}${source.endsWith('.hdf5') ? '.hdf5' : ''}`);
      try {
        const loaded = arraysOf(await within(load(path), what));
        if (JSON.stringify(loaded) === JSON.stringify(original)) return;
        if (d.kind !== 'flip') throw new Error(`${what}: loaded different data without an error`);
        for (const [k, a] of Object.entries(loaded)) {
          expect(a.shape, `${what}: shape of ${k}`).toEqual(original[k]?.shape);
          expect(a.data.every(Number.isFinite), `${what}: ${k} finite`).toBe(true);
        }
      } catch (error) {
        if (!(error instanceof DataError)) throw new Error(`${what}: not a DataError: ${String(error)}`);
        expect(error.message.startsWith(path), `${what}: the error names the file: ${error.message}`).toBe(
          true,
        );
        expect(error.message, `${what}: one line`).not.toContain('\n');
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    }),
    { seed: seed + SEED_SHIFT, numRuns: RUNS },
  );
}

/** A Zarr replay buffer with one array per codec, several chunks each. */
async function writeCodecZarr(root: string): Promise<string> {
  const T = 12;
  for (const g of ['', 'data', 'meta']) {
    mkdirSync(join(root, g), { recursive: true });
    writeFileSync(join(root, g, '.zgroup'), '{"zarr_format": 2}');
  }
  const put = async (key: string, width: number, codec: 'raw' | 'zlib', rows: number) => {
    const dir = join(root, 'data', key);
    mkdirSync(dir, { recursive: true });
    const compressor = codec === 'zlib' ? { id: 'zlib', level: 5 } : null;
    writeFileSync(
      join(dir, '.zarray'),
      JSON.stringify({
        zarr_format: 2,
        shape: [T, width],
        chunks: [rows, width],
        dtype: '<f4',
        compressor,
        fill_value: 0,
        order: 'C',
        filters: null,
      }),
    );
    for (let c = 0; c * rows < T; c++) {
      const chunk = Float32Array.from({ length: rows * width }, (_, i) => 1 + c * rows * width + i * 0.25);
      const bytes = new Uint8Array(chunk.buffer);
      const encoded = codec === 'zlib' ? deflateSync(bytes) : bytes;
      writeFileSync(join(dir, `${c}.0`), encoded);
    }
  };
  await put('state', 5, 'zlib', 5);
  await put('keypoint', 4, 'zlib', 4);
  await put('action', 2, 'raw', 5);
  const meta = join(root, 'meta', 'episode_ends');
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    join(meta, '.zarray'),
    JSON.stringify({
      zarr_format: 2,
      shape: [2],
      chunks: [2],
      dtype: '<i8',
      compressor: null,
      fill_value: 0,
      order: 'C',
      filters: null,
    }),
  );
  writeFileSync(join(meta, '0'), new Uint8Array(BigInt64Array.from([5n, 12n]).buffer));
  return root;
}

/** The first two 161-row chunks of the real PushT state and action (their Blosc-zstd bytes, copied). */
function writeRealPushTSlice(root: string): string {
  for (const key of ['state', 'action']) {
    const src = join(REAL_PUSHT, 'data', key);
    const dst = join(root, 'data', key);
    mkdirSync(dst, { recursive: true });
    const meta = readJsonFile(join(src, '.zarray'), 'Zarr metadata') as { shape: number[] };
    meta.shape[0] = 322;
    writeFileSync(join(dst, '.zarray'), JSON.stringify(meta));
    for (const c of [0, 1]) cpSync(join(src, `${c}.0`), join(dst, `${c}.0`));
  }
  const meta = join(root, 'meta', 'episode_ends');
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    join(meta, '.zarray'),
    JSON.stringify({
      zarr_format: 2,
      shape: [2],
      chunks: [2],
      dtype: '<i8',
      compressor: null,
      fill_value: 0,
      order: 'C',
      filters: null,
    }),
  );
  writeFileSync(join(meta, '0'), new Uint8Array(BigInt64Array.from([161n, 322n]).buffer));
  for (const g of ['', 'data', 'meta']) writeFileSync(join(root, g, '.zgroup'), '{"zarr_format": 2}');
  return root;
}

const zarrKeys = (keys: string[]) => (path: string) => loadZarrReplayBuffer(path, { keys });

describe('damaged data files: identical data or a DataError naming the file', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('Zarr: raw and zlib chunks, metadata, episode_ends', async () => {
    const root = await writeCodecZarr(join(tempDir(), 'codecs.zarr'));
    await checkLoader(root, zarrKeys(['state', 'keypoint', 'action']), 19);
  }, 120_000);

  it('Zarr: a slice of the real PushT demonstrations', async (ctx) => {
    if (!existsSync(REAL_PUSHT)) ctx.skip();
    const root = writeRealPushTSlice(join(tempDir(), 'pusht-slice.zarr'));
    await checkLoader(root, zarrKeys(['state', 'action']), 23);
  }, 120_000);

  it('the bench PushT fixture (one raw chunk per array)', async () => {
    const root = writePushTFixture(join(tempDir(), 'pusht.zarr'), 3, 10);
    await checkLoader(root, zarrKeys(['state', 'action']), 29);
  }, 120_000);

  it('robomimic HDF5, without printing HDF5 diagnostics', async () => {
    const file = await writeRobomimicFixture(join(tempDir(), 'low_dim.hdf5'), 3, 8);
    const writes: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      await checkLoader(
        file,
        async (p) => (await loadRobomimicHdf5(p, { obsKeys: ['object', 'robot0_eef_pos'] })).store,
        31,
      );
    } finally {
      process.stderr.write = write;
    }
    expect(writes.join('')).not.toMatch(/HDF5-DIAG/);
  }, 120_000);

  it('LeRobot parquet folder', async () => {
    const root = await writeLeRobotFixture(join(tempDir(), 'lerobot'), 2, 8);
    await checkLoader(root, async (p) => (await loadLeRobotDataset(p)).store, 37);
  }, 120_000);
});

describe('damaged run-folder files: identical values or a FileError / WeightsError naming the file', () => {
  it('config.json, metrics.jsonl, the optimizer store and weights (checksummed: every flip is caught)', async () => {
    const run = tempDir();
    writeFileSync(
      join(run, 'config.json'),
      `${JSON.stringify({ task: 'checkerboard', steps: 10, seed: 0 }, null, 2)}\n`,
    );
    writeFileSync(join(run, 'metrics.jsonl'), '{"step":2,"loss":0.5}\n{"step":4,"loss":0.25}\n');
    writeTensorStore(run, 'optimizer', [
      { name: 'm/w', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    ]);
    const net = createNetwork('mlp', {
      actDim: 2,
      horizon: 2,
      obsSteps: 1,
      condDim: 1,
      embDim: 8,
      nLayers: 1,
      timestepEmbDim: 4,
    });
    await saveWeights(net, join(run, 'network'));
    const readAll = async (dir: string) => ({
      config: readJsonFile(join(dir, 'config.json'), 'a run config'),
      metrics: readJsonLines(join(dir, 'metrics.jsonl'), 'metrics lines'),
      optimizer: [...readTensorStore(dir, 'optimizer').values()].map((a) => Array.from(a.data)),
      weights: await loadWeights(join(dir, 'network')).then((n) => {
        const values = n.variables.map((v) => Array.from(v.dataSync()));
        n.dispose();
        return values;
      }),
    });
    const original = JSON.stringify(await readAll(run));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        const { path, what } = damagedCopy(run, d, `run-${n++}`);
        try {
          const loaded = JSON.stringify(await within(readAll(path), what));
          // JSON text has no checksum: a flip inside a number or a string is a valid, different file.
          const jsonFlip = d.kind === 'flip' && /config\.json|metrics\.jsonl/.test(what);
          if (loaded !== original && !jsonFlip)
            throw new Error(`${what}: read different values without an error`);
        } catch (error) {
          if (!(error instanceof FileError || error instanceof WeightsError))
            throw new Error(`${what}: not a named error: ${String(error)}`);
          expect(error.message, `${what}: names the file`).toContain(path);
        } finally {
          rmSync(path, { recursive: true, force: true });
        }
      }),
      { seed: 41 + SEED_SHIFT, numRuns: 40 },
    );
    net.dispose();
  }, 120_000);
});
