import { Interpolant } from '@mipjs/interpolant';
import { FlowMap } from '@mipjs/nets';
import { GaussianOracle, LinearNet, type LinearWeights, PointMassOracle } from '@mipjs/nets/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_STEPS,
  eulerSampler,
  FLOW_DEFAULT_STEPS,
  flowMapSampler,
  heunSampler,
  midpointSampler,
  mipReferenceSampler,
  mipSampler,
  ONE_STEP_DEFAULT_STEPS,
  oneStepSampler,
  type Sampler,
  tsdSampler,
  twoStepSampler,
  uniformGrid,
} from './index.js';
import { useCpu } from './test-utils/setup.js';

beforeAll(useCpu);

const W: LinearWeights = { w: 0.7, a: -0.3, b: 0.5, c0: 0.2 };
const f = (x: number, s: number, t: number) => W.w * x + W.a * s + W.b * t + W.c0;
const read = (x: tf.Tensor) => {
  const v = Array.from(x.dataSync());
  x.dispose();
  return v;
};
const expectAll = (actual: number[], expected: number[], tol: number) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) =>
    expect(Math.abs(a - expected[i]), `index ${i}: ${a} vs ${expected[i]}`).toBeLessThan(tol),
  );
};

describe('step lists and grids', () => {
  it('defaults follow the reference', () => {
    expect(FLOW_DEFAULT_STEPS).toEqual([9, 3, 1]);
    expect(ONE_STEP_DEFAULT_STEPS).toEqual([1]);
    expect(DEFAULT_STEPS.ode).toEqual([9, 3, 1]);
    expect(DEFAULT_STEPS['flow-map']).toEqual([9, 3, 1]);
    expect(DEFAULT_STEPS['one-step']).toEqual([1]);
    expect(DEFAULT_STEPS['two-step']).toEqual([1]);
    expect(uniformGrid(4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('linear net, by hand', () => {
  const x0 = [0.4, -1.2, 0.9, 0.1];
  const run = (sampler: Sampler, options: Record<string, unknown>, tangent = false) => {
    const net = new LinearNet(W, { horizon: 2, actDim: 1, tangent });
    const start = tf.tensor3d(x0, [2, 2, 1]);
    const before = tf.memory().numTensors;
    const out = sampler({ flowMap: new FlowMap(net) }, null, { x0: start, ...options });
    // Only the result is new: no tensor leaks across steps.
    expect(tf.memory().numTensors).toBe(before + 1);
    const calls = net.calls;
    start.dispose();
    net.dispose();
    return { out: read(out), calls };
  };
  const integrate = (grid: number[], step: (x: number, s: number, t: number) => number) =>
    x0.map((x) => {
      let y = x;
      for (let i = 0; i + 1 < grid.length; i++) y = step(y, grid[i], grid[i + 1]);
      return y;
    });

  it('Euler: x <- x + (t - s) b_s(x) on linspace(0, 1, n + 1)', () => {
    const r = run(eulerSampler, { steps: 3 });
    expect(r.calls).toBe(3);
    expectAll(
      r.out,
      integrate([0, 1 / 3, 2 / 3, 1], (x, s, t) => x + (t - s) * f(x, s, s)),
      1e-6,
    );
  });

  it('Euler on an explicit grid', () => {
    const grid = [0, 0.1, 0.5, 1];
    expectAll(
      run(eulerSampler, { grid }).out,
      integrate(grid, (x, s, t) => x + (t - s) * f(x, s, s)),
      1e-6,
    );
  });

  it('Heun and midpoint', () => {
    const heun = (x: number, s: number, t: number) => {
      const k1 = f(x, s, s);
      return x + ((t - s) / 2) * (k1 + f(x + (t - s) * k1, t, t));
    };
    const mid = (x: number, s: number, t: number) => {
      const m = (s + t) / 2;
      return x + (t - s) * f(x + ((t - s) / 2) * f(x, s, s), m, m);
    };
    const h = run(heunSampler, { steps: 2 });
    expect(h.calls).toBe(4);
    expectAll(h.out, integrate([0, 0.5, 1], heun), 1e-6);
    const m = run(midpointSampler, { steps: 2 });
    expect(m.calls).toBe(4);
    expectAll(m.out, integrate([0, 0.5, 1], mid), 1e-6);
  });

  it('flow map: x <- X_{s,t}(x) = x + (t - s) f(x, s, t)', () => {
    const r = run(flowMapSampler, { steps: 4 });
    expect(r.calls).toBe(4);
    expectAll(
      r.out,
      integrate(uniformGrid(4), (x, s, t) => x + (t - s) * f(x, s, t)),
      1e-6,
    );
  });

  it('one step: f(x0, 0, 0)', () => {
    const r = run(oneStepSampler, { steps: 9 });
    expect(r.calls).toBe(1);
    expectAll(
      r.out,
      x0.map((x) => f(x, 0, 0)),
      1e-6,
    );
  });

  it('two-step page form (mip from zero, tsd from z) and reference form (unscaled a0)', () => {
    const T = 0.8;
    const page = (x: number) => {
      const a0 = f(x, 0, 0);
      return f(T * a0 + (1 - T) * x, T, T);
    };
    const tsd = run(tsdSampler, { tStar: T });
    expect(tsd.calls).toBe(2);
    expectAll(tsd.out, x0.map(page), 1e-6);
    expectAll(run(twoStepSampler, { tStar: T }).out, x0.map(page), 1e-6);
    expectAll(
      run(mipReferenceSampler, { tStar: T }).out,
      x0.map((x) => f(f(x, 0, 0), T, T)),
      1e-6,
    );
    // mip from zero: a0 = f(0, 0, 0) = c0, a = f(t* c0, t*, t*).
    const net = new LinearNet(W, { horizon: 2, actDim: 1 });
    const mip = read(mipSampler({ flowMap: new FlowMap(net) }, null, { batch: 3 }));
    expectAll(mip, new Array(6).fill(f(0.9 * W.c0, 0.9, 0.9)), 1e-6);
    // With an interpolant in the context the re-noising uses it (trig: cos/sin weights).
    const trig = new Interpolant('trig');
    const start = tf.tensor3d(x0, [2, 2, 1]);
    const withTrig = read(
      tsdSampler({ flowMap: new FlowMap(net), interpolant: trig }, null, { x0: start, tStar: T }),
    );
    const c = Math.cos((Math.PI * T) / 2);
    const sn = Math.sin((Math.PI * T) / 2);
    expectAll(
      withTrig,
      x0.map((x) => f(sn * f(x, 0, 0) + c * x, T, T)),
      1e-6,
    );
    start.dispose();
    net.dispose();
  });
});

describe('exact velocities land on the target', () => {
  const TARGET = [
    [0.7, -0.4],
    [1.3, 0.2],
  ];
  const target = TARGET.flat();

  it('point mass: Euler and flow-map samplers reach a* from zero and from noise', () => {
    const net = new PointMassOracle(TARGET);
    const flowMap = new FlowMap(net);
    for (const start of ['zero', 'noise'] as const) {
      for (const steps of [1, 3, 9]) {
        for (const sampler of [eulerSampler, flowMapSampler]) {
          const out = read(sampler({ flowMap }, null, { batch: 3, steps, start, seed: 5 }));
          expectAll(out, [...target, ...target, ...target], 1e-5);
        }
      }
    }
    const out = read(flowMapSampler({ flowMap }, null, { batch: 1, grid: [0, 0.2, 0.5, 1], start: 'noise' }));
    expectAll(out, target, 1e-5);
    net.dispose();
  });

  it('N(0, 1) -> N(m, sigma^2): quantiles z map to m + sigma z', () => {
    const m = 1.5;
    const sigma = 0.5;
    const net = new GaussianOracle(m, sigma, { horizon: 8, actDim: 1 });
    const flowMap = new FlowMap(net);
    // Quantiles of N(0, 1) at Phi(z); the flow is monotone, so they go to the target's quantiles.
    const z = [-2.5, -1.5, -1, -0.3, 0, 0.4, 1.2, 2];
    const expected = z.map((q) => m + sigma * q);
    const x0 = tf.tensor3d(z, [1, 8, 1]);
    // Closed form of the velocity, checked independently at a few points.
    const b = (x: number, t: number) =>
      m + ((sigma ** 2 * t - (1 - t)) / ((1 - t) ** 2 + sigma ** 2 * t ** 2)) * (x - t * m);
    const probe = read(flowMap.velocity(tf.fill([1], 0.3) as tf.Tensor1D, x0, null));
    expectAll(
      probe,
      z.map((x) => b(x, 0.3)),
      1e-5,
    );
    expectAll(read(eulerSampler({ flowMap }, null, { x0, steps: 400 })), expected, 5e-3);
    expectAll(read(heunSampler({ flowMap }, null, { x0, steps: 40 })), expected, 5e-4);
    expectAll(read(midpointSampler({ flowMap }, null, { x0, steps: 40 })), expected, 5e-4);
    expectAll(read(flowMapSampler({ flowMap }, null, { x0, steps: 1 })), expected, 1e-5);
    expectAll(read(flowMapSampler({ flowMap }, null, { x0, grid: [0, 0.7, 1] })), expected, 1e-5);
    x0.dispose();
  });
});

describe('starts, seeds and errors', () => {
  const net = new LinearNet(W, { horizon: 3, actDim: 2 });
  const ctx = { flowMap: new FlowMap(net) };

  it('shape from cond or options; zero start by default; seeded noise', () => {
    const cond = tf.zeros([4, 1, 1]) as tf.Tensor3D;
    const out = eulerSampler(ctx, cond, { steps: 2 });
    expect(out.shape).toEqual([4, 3, 2]);
    out.dispose();
    const zero1 = read(oneStepSampler(ctx, null, { batch: 2 }));
    expectAll(zero1, new Array(12).fill(W.c0), 1e-7);
    const a = read(oneStepSampler(ctx, null, { batch: 2, start: 'noise', seed: 1 }));
    const b = read(oneStepSampler(ctx, null, { batch: 2, start: 'noise', seed: 1 }));
    const c = read(oneStepSampler(ctx, null, { batch: 2, start: 'noise', seed: 2 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(read(eulerSampler(ctx, null, { batch: 1, horizon: 5, actDim: 1 })).length).toBe(5);
    cond.dispose();
  });

  it('clear errors', () => {
    expect(() => eulerSampler(ctx, null, {})).toThrow(
      'euler sampler: pass options.batch (the batch size) when cond is null',
    );
    expect(() => eulerSampler(ctx, null, { batch: 1, steps: 0 })).toThrow(
      /steps must be a positive integer, got 0/,
    );
    expect(() => flowMapSampler(ctx, null, { batch: 1, grid: [0, 0.5, 0.4, 1] })).toThrow(
      'flow-map sampler: grid must be strictly increasing from 0 to 1, got [0, 0.5, 0.4, 1]',
    );
    expect(() => flowMapSampler(ctx, null, { batch: 1, grid: [0.1, 1] })).toThrow(/from 0 to 1/);
    expect(() => flowMapSampler(ctx, null, { batch: 1, grid: [0, 0.5, 1], steps: 3 })).toThrow(
      /the grid has 2 steps/,
    );
    expect(() => mipSampler(ctx, null, { batch: 1, tStar: 1 })).toThrow(
      'mip sampler: tStar must be in (0, 1), got 1',
    );
    expect(() => eulerSampler(ctx, null, { batch: 1, start: 'mean' as never })).toThrow(
      /start must be 'zero' or 'noise'/,
    );
    const x0 = tf.zeros([2, 3, 1]) as tf.Tensor3D;
    expect(() => eulerSampler(ctx, null, { x0 })).toThrow(
      'euler sampler: x0 has shape [2, 3, 1], expected [B, H, A] = [2, 3, 2]',
    );
    const cond = tf.zeros([4, 1, 1]) as tf.Tensor3D;
    expect(() => eulerSampler(ctx, cond, { batch: 2 })).toThrow(/batch is 2 but cond has batch size 4/);
    tf.dispose([x0, cond]);
  });
});
