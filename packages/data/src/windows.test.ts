import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.js';
import { EpisodeStore } from './episode-store.js';
import { WindowDataset } from './window-dataset.js';
import { createWindowIndices } from './windows.js';

/** Frames numbered by global time index, so every window shows which frames it copied. */
function store(ends: number[], width = 1): EpisodeStore {
  const T = ends[ends.length - 1]!;
  const state = Float32Array.from({ length: T * width }, (_, i) => Math.floor(i / width) + (i % width) / 10);
  const action = Float32Array.from({ length: T }, (_, i) => 100 + i);
  return new EpisodeStore(
    { state: { data: state, shape: [T, width] }, action: { data: action, shape: [T, 1] } },
    ends,
  );
}

describe('createWindowIndices', () => {
  it('gives L - H + padBefore + padAfter + 1 windows per episode', () => {
    const s = store([30, 50, 61]);
    const idx = createWindowIndices(s, { horizon: 16, padBefore: 1, padAfter: 7 });
    const per = [0, 1, 2].map((e) => idx.filter((w) => w.episode === e).length);
    expect(per).toEqual([30 - 7, 20 - 7, 11 - 7]);
  });

  it('clamps pads to [0, H-1]', () => {
    const s = store([10]);
    expect(createWindowIndices(s, { horizon: 4, padBefore: 99, padAfter: -5 }).length).toBe(
      10 - 4 + 3 + 0 + 1,
    );
  });

  it('throws a DataError when the window is longer than every episode', () => {
    const s = store([3, 6]);
    expect(() => createWindowIndices(s, { horizon: 16, padBefore: 1, padAfter: 7 })).toThrow(DataError);
    expect(() => createWindowIndices(s, { horizon: 16, padBefore: 1, padAfter: 7 })).toThrow(
      /longest episode has 3 frames/,
    );
  });
});

describe('WindowDataset', () => {
  it('pads by repeating edge frames and never crosses episodes', () => {
    const s = store([5, 9]);
    const ds = new WindowDataset(s, { horizon: 4, obsSteps: 2, actSteps: 3 });
    // Episode 0 (L=5): starts -1..3 -> 5 windows; episode 1 (L=4): starts -1..2 -> 4 windows.
    expect(ds.length).toBe(9);
    const first = ds.batch([0]);
    expect(Array.from(first.action.data)).toEqual([100, 100, 101, 102]);
    expect(Array.from(first.obs.data)).toEqual([0, 0]);
    const lastOfEp0 = ds.batch([4]);
    expect(Array.from(lastOfEp0.action.data)).toEqual([103, 104, 104, 104]);
    const firstOfEp1 = ds.batch([5]);
    expect(Array.from(firstOfEp1.action.data)).toEqual([105, 105, 106, 107]);
    expect(Array.from(firstOfEp1.obs.data)).toEqual([5, 5]);
    const last = ds.batch([8]);
    expect(Array.from(last.action.data)).toEqual([107, 108, 108, 108]);
  });

  it('returns [B, To, D] and [B, H, A] batches, concatenating obs keys per step', () => {
    const s = store([6, 12], 2);
    const ds = new WindowDataset(s, { horizon: 4, obsSteps: 2, actSteps: 2, obsKeys: ['state', 'action'] });
    const b = ds.batch([1, 2]);
    expect(b.obs.shape).toEqual([2, 2, 3]);
    expect(b.action.shape).toEqual([2, 4, 1]);
    // Window 1 of episode 0 starts at frame 0: obs steps are frames 0 and 1.
    expect(Array.from(b.obs.data.subarray(0, 6))).toEqual([0, 0.1, 100, 1, 1.1, 101].map(Math.fround));
  });

  it('batches are seeded, cover every window once per epoch, and differ across epochs', () => {
    const s = store([20, 37]);
    const ds = new WindowDataset(s, { horizon: 4, obsSteps: 2, actSteps: 2 });
    const run = (seed: number) => [...ds.batches({ batchSize: 8, seed, epochs: 2 })];
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(a.map((x) => Array.from(x.action.data))).toEqual(b.map((x) => Array.from(x.action.data)));
    expect(a.map((x) => Array.from(x.action.data))).not.toEqual(c.map((x) => Array.from(x.action.data)));
    const perEpoch = Math.ceil(ds.length / 8);
    expect(a.length).toBe(2 * perEpoch);
    const firstFrames = (bs: typeof a) =>
      bs.flatMap((x) => Array.from({ length: x.action.shape[0]! }, (_, i) => x.obs.data[i * 2 + 1]!));
    const all = ds.batch(Array.from({ length: ds.length }, (_, i) => i));
    const expected = Array.from({ length: ds.length }, (_, i) => all.obs.data[i * 2 + 1]!).sort(
      (p, q) => p - q,
    );
    expect(firstFrames(a.slice(0, perEpoch)).sort((p, q) => p - q)).toEqual(expected);
    expect(firstFrames(a.slice(0, perEpoch))).not.toEqual(firstFrames(a.slice(perEpoch)));
    const dropped = [...ds.batches({ batchSize: 8, seed: 1, dropLast: true })];
    expect(dropped.every((x) => x.action.shape[0] === 8)).toBe(true);
    expect(dropped.length).toBe(Math.floor(ds.length / 8));
  });
});

describe('WindowDataset with relative actions', () => {
  it('re-expresses each chunk relative to the EEF pose at window index To-1', async () => {
    const { absoluteToRelativeActions, eefPosesFromObs } = await import('./relative-actions.js');
    const T = 6;
    // obs = [object(1), eef_pos(3), eef_quat(4), gripper(2)]: EEF moves along x, identity rotation.
    const obs = Float32Array.from({ length: T * 10 }, (_, i) => {
      const t = Math.floor(i / 10);
      const k = i % 10;
      return k === 1 ? t : k === 7 ? 1 : 0;
    });
    const action = Float32Array.from({ length: T * 10 }, (_, i) => {
      const t = Math.floor(i / 10);
      const k = i % 10;
      return k === 0 ? t + 0.5 : k === 3 || k === 7 ? 1 : k === 9 ? 0.2 : 0;
    });
    const s = new EpisodeStore(
      { obs: { data: obs, shape: [T, 10] }, action: { data: action, shape: [T, 10] } },
      [T],
    );
    const layout = { objectDim: 1 };
    const rel = new WindowDataset(s, {
      horizon: 4,
      obsSteps: 2,
      actSteps: 2,
      obsKeys: ['obs'],
      relativeActions: layout,
    });
    const abs = new WindowDataset(s, { horizon: 4, obsSteps: 2, actSteps: 2, obsKeys: ['obs'] });
    const w = 2;
    const r = rel.batch([w]);
    const a = abs.batch([w]);
    const pose = eefPosesFromObs(a.obs.data.subarray(10, 20), layout);
    expect(Array.from(r.action.data)).toEqual(Array.from(absoluteToRelativeActions(a.action.data, pose)));
    // Window 2 starts at frame 1, so the reference pose is frame 2 (x = 2); the first action is x = 1.5.
    expect(r.action.data[0]).toBeCloseTo(-0.5, 6);
    expect(
      () =>
        new WindowDataset(s, {
          horizon: 4,
          obsSteps: 2,
          actSteps: 2,
          obsKeys: ['obs'],
          relativeActions: { arms: 2 },
        }),
    ).toThrow(/10 action features per arm/);
  });
});
