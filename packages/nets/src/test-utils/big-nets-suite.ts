import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { jvpByDoubleVjp } from '../double-vjp.js';
import { FlowMap } from '../flow-map.js';
import type { Network } from '../network.js';
import { centralDifference, relError } from './numeric.js';

/** Sizes of a test network. */
export interface Sizes {
  actDim: number;
  horizon: number;
  obsSteps: number;
  condDim: number;
}

export interface Inputs {
  x: tf.Tensor3D;
  s: tf.Tensor1D;
  t: tf.Tensor1D;
  cond: tf.Tensor3D;
}

export function randomInputs(b: number, sz: Sizes, seed: number): Inputs {
  return {
    x: tf.randomNormal([b, sz.horizon, sz.actDim], 0, 1, 'float32', seed) as tf.Tensor3D,
    s: tf.randomUniform([b], 0, 0.5, 'float32', seed + 1) as tf.Tensor1D,
    t: tf.randomUniform([b], 0.5, 1, 'float32', seed + 2) as tf.Tensor1D,
    cond: tf.randomNormal([b, sz.obsSteps, sz.condDim], 0, 1, 'float32', seed + 3) as tf.Tensor3D,
  };
}

/** Adds a random perturbation of the given scale to every weight (so zero-initialised gates open). */
export function perturbWeights(net: Network, scale: number, seed: number): void {
  net.variables.forEach((v, i) => {
    tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, scale, 'float32', seed + i))));
  });
}

export function maxAbs(a: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);
}

/**
 * The contract tests every big network passes. `make(sizes, extra)` builds a tiny network;
 * `sizesList` are the (H, A, To) combinations for the shape test.
 */
export function networkContractTests(
  make: (sizes: Sizes, extra?: Record<string, unknown>) => Network,
  base: Sizes,
  sizesList: Sizes[],
  options: { jvpTolerance?: number; fdTolerance?: number; perturb?: number } = {},
): void {
  const jvpTol = options.jvpTolerance ?? 1e-3;
  const fdTol = options.fdTolerance ?? 2e-2;

  it('output shapes at several (B, H, A, To); cond = null equals zero cond', () => {
    for (const [i, sz] of sizesList.entries()) {
      const net = make(sz);
      for (const b of [1, 3]) {
        tf.tidy(() => {
          const { x, s, t, cond } = randomInputs(b, sz, 10 * i + b);
          const y = net.apply(x, s, t, cond);
          expect(y.shape).toEqual([b, sz.horizon, sz.actDim]);
          const yNull = net.apply(x, s, t, null);
          expect(yNull.shape).toEqual([b, sz.horizon, sz.actDim]);
          expect(maxAbs(tf.sub(yNull, net.apply(x, s, t, tf.zerosLike(cond))))).toBeLessThan(1e-6);
          expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        });
      }
      net.dispose();
    }
  });

  it('with the time embedding disabled the output is invariant to s and t', () => {
    const net = make(base, { disableTimeEmbedding: true });
    perturbWeights(net, options.perturb ?? 0.05, 3);
    tf.tidy(() => {
      const a = randomInputs(2, base, 1);
      const b = randomInputs(2, base, 2);
      const y1 = net.apply(a.x, a.s, a.t, a.cond);
      const y2 = net.apply(a.x, b.s, b.t, a.cond);
      expect(maxAbs(tf.sub(y1, y2))).toBeLessThan(1e-6);
    });
    const timed = make(base);
    perturbWeights(timed, options.perturb ?? 0.05, 3);
    tf.tidy(() => {
      const a = randomInputs(2, base, 1);
      const b = randomInputs(2, base, 2);
      expect(
        maxAbs(tf.sub(timed.apply(a.x, a.s, a.t, a.cond), timed.apply(a.x, b.s, b.t, a.cond))),
      ).toBeGreaterThan(1e-6);
    });
    net.dispose();
    timed.dispose();
  });

  it('gradients reach x, s, t, cond and every trainable weight group', () => {
    const net = make(base);
    perturbWeights(net, options.perturb ?? 0.05, 5);
    const { x, s, t, cond } = randomInputs(2, base, 7);
    const r = tf.randomNormal([2, base.horizon, base.actDim], 0, 1, 'float32', 9);
    const inputGrads = tf.grads((xi, si, ti, ci) =>
      tf.sum(
        tf.mul(net.apply(xi as tf.Tensor3D, si as tf.Tensor1D, ti as tf.Tensor1D, ci as tf.Tensor3D), r),
      ),
    )([x, s, t, cond]);
    for (const g of inputGrads) expect(maxAbs(g)).toBeGreaterThan(0);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x, s, t, cond), r)) as tf.Scalar);
    const reached = Object.values(grads).filter((g) => maxAbs(g) > 0).length;
    // Everything but the (unused) scalar head gets a gradient.
    expect(reached).toBeGreaterThan(net.variables.length / 2);
    tf.dispose([...inputGrads, ...Object.values(grads), x, s, t, cond, r]);
    net.dispose();
  });

  it('applyWithTangent matches the double-VJP and central differences for tangents in x, s and t', () => {
    const net = make(base, { dropout: 0 });
    perturbWeights(net, options.perturb ?? 0.05, 11);
    tf.tidy(() => {
      const { x, s, t, cond } = randomInputs(2, base, 13);
      const dx = tf.randomNormal(x.shape, 0, 1, 'float32', 17) as tf.Tensor3D;
      const ds = tf.randomNormal([2], 0, 1, 'float32', 18) as tf.Tensor1D;
      const dt = tf.randomNormal([2], 0, 1, 'float32', 19) as tf.Tensor1D;
      const cases: [string, tf.Tensor, tf.Tensor, (u: tf.Tensor) => tf.Tensor][] = [
        ['x', x, dx, (u) => net.apply(u as tf.Tensor3D, s, t, cond)],
        ['s', s, ds, (u) => net.apply(x, u as tf.Tensor1D, t, cond)],
        ['t', t, dt, (u) => net.apply(x, s, u as tf.Tensor1D, cond)],
      ];
      for (const [name, input, dir, f] of cases) {
        const { y, dy } = net.applyWithTangent!(x, s, t, cond, { [name]: dir });
        expect(maxAbs(tf.sub(y, net.apply(x, s, t, cond)))).toBeLessThan(1e-5);
        const byVjp = jvpByDoubleVjp(f, input, dir);
        expect(relError(dy, byVjp), `tangent in ${name} vs double-VJP`).toBeLessThan(jvpTol);
        const h = 1e-2;
        const byFd = centralDifference(f, input, dir, h);
        // Truncation error O(h^2) (relative) plus float32 round-off of the two evaluations, ~1e-6 |y| / h.
        const bound = fdTol * maxAbs(byFd) + (1e-6 * maxAbs(y)) / h;
        expect(maxAbs(tf.sub(dy, byFd)), `tangent in ${name} vs finite differences`).toBeLessThan(bound);
      }
      // A joint direction is the sum of the single ones (linearity).
      const joint = net.applyWithTangent!(x, s, t, cond, { x: dx, s: ds, t: dt }).dy;
      const sum = tf.addN(
        cases.map(([name, , dir]) => net.applyWithTangent!(x, s, t, cond, { [name]: dir }).dy),
      );
      expect(relError(joint, sum)).toBeLessThan(1e-4);
      // No direction: zero tangent.
      expect(maxAbs(net.applyWithTangent!(x, s, t, null, {}).dy)).toBe(0);
    });
    net.dispose();
  });

  it('leaks no tensors: apply leaves its output only; a JVP inside tf.tidy leaves nothing', () => {
    const net = make(base);
    const { x, s, t, cond } = randomInputs(2, base, 21);
    const flow = new FlowMap(net);
    const before = tf.memory().numTensors;
    const y = net.apply(x, s, t, cond, { training: true, dropoutSeed: 1 });
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
    const out = net.applyWithTangent!(x, s, t, null, { t: tf.onesLike(t) });
    expect(tf.memory().numTensors).toBe(before + 3); // y, dy, and the ones direction
    tf.dispose([out.y, out.dy]);
    tf.tidy(() => {
      flow.jvpT(s, t, x, cond, { training: true, dropoutSeed: 2 });
      flow.jvpX(s, t, x, x, null);
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, s, t, cond]);
    net.dispose();
  });

  it('rejects inputs of the wrong rank or size, naming the argument and expected shape', () => {
    const net = make(base);
    tf.tidy(() => {
      const { x, s, t, cond } = randomInputs(2, base, 23);
      const { horizon: h, actDim: a, obsSteps: to, condDim: e } = base;
      expect(() => net.apply(tf.zeros([2, h, a + 1]) as tf.Tensor3D, s, t, cond)).toThrow(
        new RegExp(`x must have shape \\[B, H=${h}, A=${a}\\]`),
      );
      expect(() => net.apply(tf.zeros([2, h]) as unknown as tf.Tensor3D, s, t, cond)).toThrow(
        /x must have shape/,
      );
      expect(() => net.apply(x, tf.zeros([3]) as tf.Tensor1D, t, cond)).toThrow(/s must have shape \[B=2\]/);
      expect(() => net.apply(x, s, tf.zeros([2, 1]) as unknown as tf.Tensor1D, cond)).toThrow(
        /t must have shape \[B=2\]/,
      );
      expect(() => net.apply(x, s, t, tf.zeros([2, to, e + 1]) as tf.Tensor3D)).toThrow(
        new RegExp(`cond must have shape \\[B=2, To=${to}, E=${e}\\]`),
      );
      expect(() =>
        net.applyWithTangent!(x, s, t, cond, { x: tf.zeros([2, h, a + 1]) as tf.Tensor3D }),
      ).toThrow(/tangent\.x/);
    });
    net.dispose();
  });
}

/**
 * The gradient w.r.t. the weights of a loss containing a JVP, `L = mean((dX/dt)^2)` through the
 * FlowMap's forward-mode pass, against a central finite difference of L along a random weight
 * direction.
 */
export function jvpLossWeightGradientTest(make: () => Network, tolerance = 2e-2): void {
  it('the weight gradient of a JVP loss matches central differences along a random weight direction', () => {
    const net = make();
    perturbWeights(net, 0.05, 31);
    const flow = new FlowMap(net);
    expect(flow.jvpMode).toBe('forward');
    const sz: Sizes = {
      actDim: net.actDim,
      horizon: net.horizon,
      obsSteps: net.obsSteps,
      condDim: net.condDim,
    };
    const { x, s, t, cond } = randomInputs(2, sz, 33);
    const loss = () => tf.tidy(() => tf.mean(tf.square(flow.jvpT(s, t, x, cond).tangent)) as tf.Scalar);
    const vars = net.variables.filter((v) => v.trainable);
    const dirs = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i));
    const { value, grads } = tf.variableGrads(loss, vars);
    const analytic = tf.tidy(
      () =>
        // Unused variables (the reference's scalar head) have no gradient: they contribute zero.
        tf
          .addN(vars.map((v, i) => (grads[v.name] ? tf.sum(tf.mul(grads[v.name], dirs[i])) : tf.scalar(0))))
          .dataSync()[0],
    );
    const h = 1e-3;
    const shift = (sign: number) =>
      vars.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, tf.mul(dirs[i], sign * h)))));
    shift(1);
    const lp = loss().dataSync()[0];
    shift(-2);
    const lm = loss().dataSync()[0];
    shift(1);
    const numeric = (lp - lm) / (2 * h);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-6)).toBeLessThan(tolerance);
    tf.dispose([value, ...Object.values(grads).filter((g) => g), ...dirs, x, s, t, cond]);
    net.dispose();
  });
}
