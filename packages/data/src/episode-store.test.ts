import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.js';
import { EpisodeStore } from './episode-store.js';

function ramp(n: number, width: number): Float32Array {
  return Float32Array.from({ length: n * width }, (_, i) => i);
}

describe('EpisodeStore', () => {
  it('reports episode ranges and lengths', () => {
    const store = new EpisodeStore({ x: { data: ramp(10, 2), shape: [10, 2] } }, [3, 7, 10]);
    expect(store.numEpisodes).toBe(3);
    expect(store.episodeRange(1)).toEqual([3, 7]);
    expect(store.episodeLength(2)).toBe(3);
    expect(store.length).toBe(10);
  });

  it('rejects zero episodes, non-increasing ends, ragged arrays and NaN / Inf with DataError', () => {
    const x = { data: ramp(10, 2), shape: [10, 2] };
    expect(() => new EpisodeStore({ x }, [], { source: 'f.zarr' })).toThrow(
      /f\.zarr.*episode_ends.*at least one episode/,
    );
    expect(() => new EpisodeStore({ x }, [3, 3, 10])).toThrow(DataError);
    expect(() => new EpisodeStore({ x }, [5, 3, 10])).toThrow(/strictly increasing/);
    expect(() => new EpisodeStore({ x }, [3, 9])).toThrow(/'x'.*9 time steps/);
    const y = { data: ramp(9, 1), shape: [9, 1] };
    expect(() => new EpisodeStore({ x, y }, [3, 10])).toThrow(/'y': expected 10 time steps/);
    const bad = ramp(10, 2);
    bad[7] = Number.NaN;
    expect(() => new EpisodeStore({ x: { data: bad, shape: [10, 2] } }, [10])).toThrow(
      /finite values, found NaN at row 3/,
    );
    bad[7] = Number.POSITIVE_INFINITY;
    expect(() => new EpisodeStore({ x: { data: bad, shape: [10, 2] } }, [10])).toThrow(/Infinity/);
  });

  it('names the available keys when a key is missing', () => {
    const store = new EpisodeStore({ state: { data: ramp(4, 1), shape: [4, 1] } }, [4], { source: 'a.h5' });
    expect(() => store.get('action')).toThrow(/a\.h5: 'action': expected one of the keys \[state\]/);
  });

  it('splits by whole episodes, deterministically and without overlap', () => {
    const n = 20;
    const ends = Array.from({ length: n }, (_, i) => (i + 1) * 5);
    const store = new EpisodeStore({ x: { data: ramp(100, 1), shape: [100, 1] } }, ends);
    const a = store.splitByEpisode({ valFraction: 0.2, seed: 3 });
    const b = store.splitByEpisode({ valFraction: 0.2, seed: 3 });
    const c = store.splitByEpisode({ valFraction: 0.2, seed: 4 });
    expect(a.valEpisodes).toEqual(b.valEpisodes);
    expect(a.valEpisodes).not.toEqual(c.valEpisodes);
    expect(a.valEpisodes.length).toBe(4);
    expect([...a.trainEpisodes, ...a.valEpisodes].sort((p, q) => p - q)).toEqual(ends.map((_, i) => i));
    const v0 = a.valEpisodes[0]!;
    expect(Array.from(a.val!.get('x').data.subarray(0, 5))).toEqual([0, 1, 2, 3, 4].map((k) => v0 * 5 + k));
    expect(a.train.numEpisodes).toBe(16);
    expect(store.splitByEpisode({ valFraction: 0, seed: 1 }).val).toBeNull();
  });
});

describe('EpisodeStore.features', () => {
  it('concatenates flattened keys per time step', () => {
    const store = new EpisodeStore(
      {
        a: { data: Float32Array.from([1, 2, 3]), shape: [3, 1] },
        kp: { data: Float32Array.from({ length: 12 }, (_, i) => 10 + i), shape: [3, 2, 2] },
      },
      [3],
    );
    const f = store.features(['kp', 'a']);
    expect(f.width).toBe(5);
    expect(Array.from(f.data.subarray(5, 10))).toEqual([14, 15, 16, 17, 2]);
  });
});
