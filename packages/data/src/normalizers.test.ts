import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompositeNormalizer } from './composite-normalizer.js';
import { GaussianNormalizer } from './gaussian-normalizer.js';
import { IdentityNormalizer } from './identity-normalizer.js';
import { MinMaxNormalizer } from './minmax-normalizer.js';
import { loadNormalizers, saveNormalizers } from './normalizer-io.js';
import { normalizerFromJSON } from './normalizer-json.js';
import { createRng } from './rng.js';

const rng = createRng(2);
const data = Float32Array.from({ length: 3 * 50 }, (_, i) =>
  i % 3 === 2 ? 4 : rng.normal() * (1 + (i % 3)) + 7,
);

afterEach(() => vi.restoreAllMocks());

describe('MinMaxNormalizer', () => {
  it('maps each feature to [-1, 1] and back', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const n = MinMaxNormalizer.fit(data, 3);
    const y = n.normalize(data);
    for (let f = 0; f < 2; f++) {
      const col = Array.from({ length: 50 }, (_, r) => y[r * 3 + f]!);
      expect(Math.min(...col)).toBeCloseTo(-1, 6);
      expect(Math.max(...col)).toBeCloseTo(1, 6);
    }
    const back = n.unnormalize(y);
    for (let i = 0; i < data.length; i++) expect(back[i]).toBeCloseTo(data[i]!, 4);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('maps a constant feature to -1 and warns that it does', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const n = MinMaxNormalizer.fit(data, 3);
    const y = n.normalize(data);
    for (let r = 0; r < 50; r++) expect(y[r * 3 + 2]).toBe(-1);
    expect(n.unnormalize(y)[2]).toBe(4);
    expect(warn.mock.calls[0]![0]).toMatch(/feature\(s\) 2 have zero range.*-1/);
  });

  it('works on any leading shape (last axis = dim)', () => {
    const n = new MinMaxNormalizer([0, 10], [2, 20]);
    expect(Array.from(n.normalize(Float32Array.from([1, 15, 2, 10])))).toEqual([0, 0, 1, -1]);
    expect(() => n.normalize(new Float32Array(3))).toThrow(/multiple of the feature width 2/);
  });
});

describe('GaussianNormalizer and IdentityNormalizer', () => {
  it('standardises, with std 0 replaced by 1', () => {
    const n = GaussianNormalizer.fit(data, 3);
    expect(n.std[2]).toBe(1);
    const y = n.normalize(data);
    for (let f = 0; f < 2; f++) {
      const col = Array.from({ length: 50 }, (_, r) => y[r * 3 + f]!);
      const mean = col.reduce((a, b) => a + b, 0) / 50;
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / 50;
      expect(mean).toBeCloseTo(0, 5);
      expect(variance).toBeCloseTo(1, 4);
    }
    for (let r = 0; r < 50; r++) expect(y[r * 3 + 2]).toBe(0);
    const back = n.unnormalize(y);
    for (let i = 0; i < data.length; i++) expect(back[i]).toBeCloseTo(data[i]!, 4);
  });

  it('identity copies', () => {
    const n = new IdentityNormalizer(3);
    const y = n.normalize(data);
    expect(y).not.toBe(data);
    expect(Array.from(y)).toEqual(Array.from(data));
  });
});

describe('CompositeNormalizer', () => {
  it('applies each normalizer to its slice of the last axis', () => {
    const n = new CompositeNormalizer([
      { start: 1, end: 3, normalizer: new MinMaxNormalizer([0, 0], [2, 4]) },
      { start: 0, end: 1, normalizer: new IdentityNormalizer(1) },
    ]);
    expect(n.dim).toBe(3);
    expect(Array.from(n.normalize(Float32Array.from([5, 1, 1, 6, 2, 4])))).toEqual([5, 0, -0.5, 6, 1, 1]);
    expect(Array.from(n.unnormalize(Float32Array.from([5, 0, -0.5])))).toEqual([5, 1, 1]);
  });

  it('rejects slices that leave a gap', () => {
    expect(
      () => new CompositeNormalizer([{ start: 1, end: 2, normalizer: new IdentityNormalizer(1) }]),
    ).toThrow(/tile the last axis/);
  });
});

describe('normalizer JSON', () => {
  it('saves atomically and reloads bit-exact statistics', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dir = await mkdtemp(join(tmpdir(), 'mipjs-norm-'));
    const path = join(dir, 'normalizers.json');
    const obs = MinMaxNormalizer.fit(data, 3);
    const action = new CompositeNormalizer([
      { start: 0, end: 2, normalizer: GaussianNormalizer.fit(data.subarray(0, 100), 2) },
      { start: 2, end: 3, normalizer: new IdentityNormalizer(1) },
    ]);
    await saveNormalizers(path, { obs, action });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(await readFile(path, 'utf8')).format).toBe('mipjs-normalizers');
    const loaded = await loadNormalizers(path);
    expect(loaded['obs']!.toJSON()).toEqual(obs.toJSON());
    expect(loaded['action']!.toJSON()).toEqual(action.toJSON());
    const x = Float32Array.from([0.3, -2, 9.5]);
    expect(Array.from(loaded['obs']!.normalize(x))).toEqual(Array.from(obs.normalize(x)));
    expect(Array.from(loaded['action']!.unnormalize(x))).toEqual(Array.from(action.unnormalize(x)));
    expect(() => normalizerFromJSON({ kind: 'nope' } as never)).toThrow(/unknown kind 'nope'/);
  });
});

describe('CompositeNormalizer with shared per-point statistics', () => {
  it('applies a width-2 MinMax to every point of an 18-wide keypoint slice', () => {
    const kp = new MinMaxNormalizer([0, 100], [10, 200]);
    const n = new CompositeNormalizer([
      { start: 0, end: 4, normalizer: kp },
      { start: 4, end: 5, normalizer: new IdentityNormalizer(1) },
    ]);
    expect(Array.from(n.normalize(Float32Array.from([0, 100, 10, 200, 7])))).toEqual([-1, -1, 1, 1, 7]);
    expect(() => new CompositeNormalizer([{ start: 0, end: 3, normalizer: kp }])).toThrow(/multiple/);
  });
});
