// A conditional task with a known exact flow map (issue 22): the target is the condition itself,
// a = c, so under the linear interpolant I_s = (1 - s) z + s a the exact map is
//   f(x, s, t, c) = (c - x) / (1 - s),   X_{s,t}(x) = x + (t - s)(c - x)/(1 - s),
// and X_{s,t}(I_s) = I_t for every z. Every distillation term must vanish there, and must not when the
// condition is handed to the network in a different order than the batch's actions (the defect a
// loss that dropped or reordered `cond` between its calls would have).
import { Interpolant, RandomStream } from '@mipjs/interpolant';
import { FlowMap } from '@mipjs/nets';
import { TinyNet } from '@mipjs/nets/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esdLoss, flowLoss, type LossDraws, type LossFn, lsdLoss, mfLoss, psdLoss } from './index.js';
import { useCpu, value } from './test-utils/setup.js';

const col = (v: tf.Tensor1D) => tf.reshape(v, [-1, 1, 1]);

/** f(x, s, t, c) = (c - x)/(1 - s) with H = A = 1 and cond [B, 1, 1]; JVPs by double-VJP. */
class ConditionalPointMass extends TinyNet {
  readonly kind = 'conditional-point-mass-test';
  readonly variables: tf.Variable[] = [];
  constructor() {
    super(1, 1);
  }
  apply(x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, cond: tf.Tensor3D | null): tf.Tensor3D {
    if (cond == null) throw new Error('conditional-point-mass-test: cond is required');
    // 0 * t keeps t on the tape, so the double-VJP's d/dt is an exact zero rather than an error.
    return tf.tidy(() =>
      tf.add(tf.div(tf.sub(cond, x), tf.sub(1, col(s))), tf.mul(0, col(t))),
    ) as tf.Tensor3D;
  }
}

const C = [0.7, -1.2, 0.3, 1.9];
const B = C.length;
let draws: LossDraws;
let cond: tf.Tensor3D;

beforeAll(async () => {
  await useCpu();
  // Times in [0, 0.9] (the map is singular at s = 1), s < t.
  draws = {
    z: tf.tensor3d([0.3, -1.1, 0.8, 0.05], [B, 1, 1]),
    s: tf.tensor1d([0.0, 0.2, 0.45, 0.1]),
    t: tf.tensor1d([0.5, 0.85, 0.6, 0.9]),
    h: tf.tensor1d([0.3, 0.5, 0.9, 0.1]),
    tFlow: tf.tensor1d([0.15, 0.55, 0.8, 0.35]),
  };
  cond = tf.tensor3d(C, [B, 1, 1]);
});
afterAll(() => tf.dispose([cond, ...Object.values(draws)]));

function terms(loss: LossFn<Record<string, unknown>>, action: tf.Tensor3D): Record<string, number> {
  const net = new ConditionalPointMass();
  const out = loss(
    {
      flowMap: new FlowMap(net),
      interpolant: new Interpolant(),
      rng: new RandomStream(3),
      options: { lossScale: 1 },
    },
    { action, cond },
    draws,
  );
  const values = Object.fromEntries(Object.entries(out.terms).map(([k, v]) => [k, value(v)]));
  tf.dispose([out.loss, ...Object.values(out.terms)]);
  return values;
}

const LOSSES: [string, LossFn<Record<string, unknown>>][] = [
  ['flow', flowLoss as LossFn<Record<string, unknown>>],
  ['lsd', lsdLoss as LossFn<Record<string, unknown>>],
  ['psd', psdLoss as LossFn<Record<string, unknown>>],
  ['esd', esdLoss as LossFn<Record<string, unknown>>],
  ['mf', mfLoss as LossFn<Record<string, unknown>>],
];

describe('conditional point mass a = c: the exact conditional flow map zeroes every term', () => {
  for (const [name, loss] of LOSSES) {
    it(`${name}: zero with the matching condition, positive with the conditions shuffled`, () => {
      const before = tf.memory().numTensors;
      const matching = tf.tensor3d(C, [B, 1, 1]);
      const zero = terms(loss, matching);
      for (const [k, v] of Object.entries(zero)) expect(Math.abs(v), `${name}.${k}`).toBeLessThan(1e-9);
      // Actions in a different order than cond: the exact map of the condition no longer fits.
      const shuffled = tf.tensor3d([C[1], C[2], C[3], C[0]], [B, 1, 1]);
      const wrong = terms(loss, shuffled);
      expect(Math.max(...Object.values(wrong))).toBeGreaterThan(1e-3);
      tf.dispose([matching, shuffled]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
