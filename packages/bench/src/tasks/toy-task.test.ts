import { createProjectionTask, projectionMetrics } from '@mipjs/data';
import { describe, expect, it } from 'vitest';
import type { PolicySampler } from './task.js';
import { batchedPredictor, toyTask } from './toy-task.js';

const proj = createProjectionTask();

/**
 * A deterministic stand-in for a trained policy (no network: the metrics are what is tested):
 * the target plus an error that depends on c only, `e_d(c) = 0.1 sin(3c + d)`, which leaves every
 * projector's subspace. Counts its calls and the conditions it is asked about.
 */
function fakePolicy(): {
  policy: PolicySampler;
  predict: (obs: Float32Array, count: number) => Float32Array;
  calls: number[];
} {
  const calls: number[] = [];
  const predict = (obs: Float32Array, count: number) => {
    calls.push(count);
    const out = new Float32Array(count * proj.dim);
    for (let i = 0; i < count; i++) {
      const c = obs![i]!;
      const g = proj.target(c);
      for (let d = 0; d < proj.dim; d++) out[i * proj.dim + d] = g[d]! + 0.1 * Math.sin(3 * c + d);
    }
    return out;
  };
  return { policy: async (obs, count) => predict(obs!, count), predict, calls };
}

describe('toy tasks', () => {
  it('proj metrics from one batched policy call equal those of one call per condition', async () => {
    const one = fakePolicy();
    const perCall = projectionMetrics(proj, (c) => one.predict(Float32Array.of(c), 1));
    expect(one.calls).toHaveLength(10 * 20 + 9 * 20);
    const many = fakePolicy();
    const batched = projectionMetrics(proj, await batchedPredictor(many.policy, proj.dim, 1, 0));
    expect(many.calls).toEqual([380]);
    expect(batched.subspaceDiag).toBe(perCall.subspaceDiag);
    expect(batched.subspaceOffDiag).toBe(perCall.subspaceOffDiag);
    expect(batched.boundary).toBe(perCall.boundary);
    // The error is not inside the subspaces: the metrics are far from 0 (the test can fail).
    expect(batched.subspaceDiag).toBeGreaterThan(0.1);
  });

  it('a condition outside the batch is refused, not predicted', async () => {
    const predict = await batchedPredictor(fakePolicy().policy, proj.dim, 1, 0);
    expect(() => predict(0.123456)).toThrow(/condition 0.123456 was not among the batched conditions/);
  });

  it('proj evaluation makes two policy calls (the grid and the metric points); the exact target scores 0', async () => {
    const task = toyTask('proj', 'toy proj');
    const calls: number[] = [];
    const exact: PolicySampler = async (obs, count) => {
      calls.push(count);
      const out = new Float32Array(count * proj.dim);
      for (let i = 0; i < count; i++) out.set(proj.target(obs![i]!), i * proj.dim);
      return out;
    };
    const { metrics } = await task.evaluate(exact, 9, 0, 64);
    expect(calls).toEqual([64, 380]);
    // Float32 conditions and outputs: the target at float32 c is the truth at float64 c within rounding.
    expect(metrics.l1_error).toBeLessThan(1e-3);
    // The subspace ratios of a rounding-sized error are ratios of noise: only their range is known.
    expect(metrics.subspaceDiag).toBeGreaterThanOrEqual(0);
    expect(metrics.subspaceDiag).toBeLessThanOrEqual(1);
    expect(metrics.boundary).toBeLessThan(1e-5);
  });
});
