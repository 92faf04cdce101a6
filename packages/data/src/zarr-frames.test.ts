import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Blosc from 'numcodecs/blosc';
import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.js';
import { ZarrFrames } from './zarr-frames.js';

const REPLAY = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../../shared/data/pusht/pusht_cchi_v7_replay.zarr',
);
const realMissing = existsSync(join(REPLAY, 'data', 'img', '.zarray'))
  ? null
  : `no PushT images at ${REPLAY}`;
if (realMissing) console.log(`zarr-frames: skipping the real-frame test (${realMissing})`);

/** The value of pixel i of frame t in the synthetic store. */
const pixel = (t: number, i: number) => (t * 7 + i) % 256;

/**
 * A synthetic `data/img [T, 4, 4, 3]` with chunks of `rows` frames, compressed as PushT's
 * (Blosc zstd, bit shuffle), float32 values 0-255 (or `bad` at one pixel of frame 5).
 */
async function syntheticStore(T: number, rows: number, bad?: number): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'mipjs-frames-'));
  const dir = join(root, 'data', 'img');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, '.zgroup'), '{"zarr_format": 2}');
  writeFileSync(join(root, 'data', '.zgroup'), '{"zarr_format": 2}');
  const compressor = { id: 'blosc', cname: 'zstd', clevel: 5, shuffle: 2, blocksize: 0 };
  writeFileSync(
    join(dir, '.zarray'),
    JSON.stringify({
      zarr_format: 2,
      shape: [T, 4, 4, 3],
      chunks: [rows, 4, 4, 3],
      dtype: '<f4',
      compressor,
      fill_value: 0,
      order: 'C',
      filters: null,
    }),
  );
  const codec = Blosc.fromConfig(compressor);
  for (let c = 0; c * rows < T; c++) {
    const chunk = new Float32Array(rows * 48);
    for (let j = 0; j < rows && c * rows + j < T; j++)
      for (let i = 0; i < 48; i++) chunk[j * 48 + i] = pixel(c * rows + j, i);
    if (bad !== undefined && c === 0) chunk[5 * 48 + 2] = bad;
    writeFileSync(join(dir, `${c}.0.0.0`), await codec.encode(new Uint8Array(chunk.buffer)));
  }
  return root;
}

describe('ZarrFrames: lazy, chunk-cached frames', () => {
  it('reads exactly the requested rows, decoding only their chunks', async () => {
    const path = await syntheticStore(50, 8);
    const frames = await ZarrFrames.open(path);
    expect(frames.shape).toEqual([50, 4, 4, 3]);
    expect(frames.chunkRows).toBe(8);
    expect(frames.frameSize).toBe(48);
    expect(frames.decodedChunks).toBe(0);
    await frames.load([3, 4, 49]);
    expect(frames.decodedChunks).toBe(2); // chunks 0 and 6
    for (const t of [3, 4, 49])
      expect(Array.from(frames.frame(t))).toEqual(Array.from({ length: 48 }, (_, i) => pixel(t, i)));
    await frames.load([0, 7]); // chunk 0 again: a cache hit
    expect(frames.decodedChunks).toBe(2);
    expect(() => frames.frame(20)).toThrow(/row 20 .* is not loaded; call load\(\) first/);
    await expect(frames.load([50])).rejects.toThrow(/row 50 is outside \[0, 50\)/);
  });

  it('keeps memory flat: at most cacheBytes of chunks, least recently used dropped first', async () => {
    const path = await syntheticStore(80, 8);
    const chunkBytes = 8 * 48;
    const frames = await ZarrFrames.open(path, { cacheBytes: 3 * chunkBytes });
    for (let t = 0; t < 80; t++) {
      await frames.load([t]);
      expect(frames.residentBytes).toBeLessThanOrEqual(3 * chunkBytes);
      expect(frames.frame(t)[0]).toBe(pixel(t, 0));
    }
    expect(frames.decodedChunks).toBe(10);
    // Chunks 7, 8, 9 are cached; touching 7 makes 8 the oldest, so loading 0 evicts 8.
    await frames.load([56]);
    await frames.load([0]);
    expect(frames.decodedChunks).toBe(11);
    await frames.load([56, 72]);
    expect(frames.decodedChunks).toBe(11);
    await frames.load([64]);
    expect(frames.decodedChunks).toBe(12);
    // One load needing more chunks than the cache holds is an error, not a silent thrash.
    await expect(frames.load([0, 8, 16, 24])).rejects.toThrow(
      /4 chunks .* needed at once .* holds 3; raise cacheBytes/,
    );
  });

  it('names the file and key when the store or its values are wrong', async () => {
    await expect(ZarrFrames.open('/no/such/dir.zarr')).rejects.toThrow(DataError);
    await expect(ZarrFrames.open('/no/such/dir.zarr')).rejects.toThrow(
      /'data\/img': expected a Zarr directory store/,
    );
    const path = await syntheticStore(10, 8);
    await expect(ZarrFrames.open(path, { key: 'data/nothing' })).rejects.toThrow(
      /'data\/nothing': expected a Zarr v2 array/,
    );
    const bad = await ZarrFrames.open(await syntheticStore(10, 8, 3.5));
    await expect(bad.load([1])).rejects.toThrow(
      /expected pixel values that are integers in 0-255, found 3.5 at row 5/,
    );
  });

  it.skipIf(realMissing !== null)(
    'reads real PushT frames lazily: 96 x 96 x 3 bytes, one chunk for rows 0-160',
    async () => {
      const frames = await ZarrFrames.open(REPLAY);
      expect(frames.shape).toEqual([25650, 96, 96, 3]);
      expect(frames.chunkRows).toBe(161);
      await frames.load([0, 1, 160]);
      expect(frames.decodedChunks).toBe(1);
      expect(frames.residentBytes).toBe(161 * 96 * 96 * 3);
      const f = frames.frame(0);
      expect(f.length).toBe(27648);
      // The white canvas border and the grey walls: frame 0's top-left pixel is white.
      expect(Array.from(f.subarray(0, 3))).toEqual([255, 255, 255]);
      // The last, partial chunk (51 rows) reads too.
      await frames.load([25649]);
      expect(frames.frame(25649).length).toBe(27648);
    },
  );
});
