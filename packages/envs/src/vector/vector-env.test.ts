import { describe, expect, it } from 'vitest';
import { EnvError } from '../errors.js';
import { PushTEnv } from '../pusht/env.js';
import { PushTVectorEnv } from './vector-env.js';

describe('PushTVectorEnv', () => {
  it('equals N single environments stepped alone', () => {
    const N = 4;
    const venv = new PushTVectorEnv(N, { observation: 'keypoints', maxEpisodeSteps: 30 });
    const singles = Array.from(
      { length: N },
      () => new PushTEnv({ observation: 'keypoints', maxEpisodeSteps: 30 }),
    );
    const obs = venv.reset(10);
    singles.forEach((e, i) =>
      expect(Array.from(obs.subarray(i * 20, i * 20 + 20))).toEqual(Array.from(e.reset(10 + i))),
    );
    for (let t = 0; t < 30; t++) {
      const actions = new Float64Array(2 * N);
      for (let i = 0; i < N; i++) {
        actions[2 * i] = 256 + 100 * Math.cos(t / 4 + i);
        actions[2 * i + 1] = 256 + 100 * Math.sin(t / 3 + i);
      }
      const r = venv.step(actions);
      singles.forEach((e, i) => {
        const s = e.step(actions.subarray(2 * i, 2 * i + 2));
        expect(Array.from(r.observations.subarray(i * 20, i * 20 + 20))).toEqual(Array.from(s.observation));
        expect(r.rewards[i]).toBe(s.reward);
        expect(r.truncated[i]).toBe(s.truncated ? 1 : 0);
      });
    }
    expect(venv.allDone).toBe(true);
    // Finished environments are frozen: NaN actions are ignored.
    const frozen = venv.step(new Float64Array(2 * N).fill(Number.NaN));
    expect(frozen.nContacts.every((n) => n === 0)).toBe(true);
  });

  it('float32 observations, per-env seeds, pairs of actions', () => {
    const venv = new PushTVectorEnv(2, { dtype: 'float32' });
    const obs = venv.reset([0, 42]);
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs[0]).toBe(222);
    expect(obs[5]).toBe(152);
    const r = venv.step([
      [300, 300],
      [100, 100],
    ]);
    expect(r.observations.length).toBe(10);
    expect(venv.maxRewards.length).toBe(2);
  });

  it('bad input: EnvError before any environment moves', () => {
    const venv = new PushTVectorEnv(2);
    venv.reset(0);
    const before = venv.envs.map((e) => Array.from(e.getState()));
    expect(() => venv.step([1, 2, 3])).toThrow(EnvError);
    expect(() => venv.step([300, 300, Number.NaN, 0])).toThrow(/env 1/);
    expect(() => venv.reset([1])).toThrow(/expected 2 seeds/);
    expect(() => venv.reset([1, 0.5])).toThrow(EnvError);
    expect(venv.envs.map((e) => Array.from(e.getState()))).toEqual(before);
    expect(() => new PushTVectorEnv(0)).toThrow(EnvError);
  });
});
