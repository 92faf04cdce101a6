// Exact flow maps make every distillation term vanish; perturbing them makes each positive.
import { Interpolant, RandomStream } from '@mipjs/interpolant';
import { FlowMap } from '@mipjs/nets';
import { GaussianOracle, PointMassOracle } from '@mipjs/nets/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ctmLoss,
  esdLoss,
  flowLoss,
  type LossDraws,
  type LossFn,
  lmdLoss,
  lsdLoss,
  mfLoss,
  psdLoss,
} from './index.js';
import { useCpu, value } from './test-utils/setup.js';

const TARGET = [
  [0.7, -0.4],
  [1.3, 0.2],
];
const B = 4;
let draws: LossDraws;
let action: tf.Tensor3D;

beforeAll(async () => {
  await useCpu();
  // Times in [0, 0.9] (the oracle is singular at s = 1), s < t, and tFlow < 0.9.
  draws = {
    z: tf.tensor3d(
      [0.3, -1.1, 0.8, 0.05, -0.6, 1.4, 0.2, -0.9, 1.7, -0.2, -0.5, 0.6, 0.1, 0.9, -1.3, 0.4],
      [B, 2, 2],
    ),
    s: tf.tensor1d([0.0, 0.2, 0.45, 0.1]),
    t: tf.tensor1d([0.5, 0.85, 0.6, 0.9]),
    h: tf.tensor1d([0.3, 0.5, 0.9, 0.1]),
    tFlow: tf.tensor1d([0.15, 0.55, 0.8, 0.35]),
  };
  action = tf.tile(tf.tensor3d([TARGET]), [B, 1, 1]) as tf.Tensor3D;
});
afterAll(() => tf.dispose([action, ...Object.values(draws)]));

function terms<O>(loss: LossFn<O>, net: FlowMap, options: O, teacher?: FlowMap, act = action, d = draws) {
  const out = loss(
    { flowMap: net, teacher, interpolant: new Interpolant(), rng: new RandomStream(3), options },
    { action: act, cond: null },
    d,
  );
  const values = Object.fromEntries(Object.entries(out.terms).map(([k, v]) => [k, value(v)]));
  tf.dispose([out.loss, ...Object.values(out.terms)]);
  return values;
}

const DISTILLATION: [string, LossFn<Record<string, unknown>>, Record<string, unknown>, string][] = [
  ['psd', psdLoss as LossFn<Record<string, unknown>>, {}, 'psd'],
  ['psd (no stop-gradient)', psdLoss as LossFn<Record<string, unknown>>, { stopGradients: false }, 'psd'],
  ['lsd', lsdLoss as LossFn<Record<string, unknown>>, {}, 'lsd'],
  ['esd page', esdLoss as LossFn<Record<string, unknown>>, {}, 'esd'],
  ['esd reference', esdLoss as LossFn<Record<string, unknown>>, { variant: 'reference' }, 'esd'],
  ['mf', mfLoss as LossFn<Record<string, unknown>>, {}, 'mf'],
  ['ctm', ctmLoss as LossFn<Record<string, unknown>>, {}, 'ctm'],
  ['lmd', lmdLoss as LossFn<Record<string, unknown>>, {}, 'lmd'],
];

describe('point-mass target: the exact flow map is a zero of every term', () => {
  for (const tangent of [true, false]) {
    const path = tangent ? 'forward mode' : 'double-VJP';
    for (const [name, loss, options, key] of DISTILLATION) {
      it(`${name} (${path})`, () => {
        const exact = new PointMassOracle(TARGET, { tangent });
        const perturbed = new PointMassOracle(TARGET, { tangent, eps: 0.3 });
        const teacher = new FlowMap(new PointMassOracle(TARGET));
        const opts = { lossScale: 1, ...options };
        const zero = terms(loss, new FlowMap(exact), opts, teacher);
        expect(Math.abs(zero[key])).toBeLessThan(1e-9);
        if ('flow' in zero) expect(Math.abs(zero.flow)).toBeLessThan(1e-9);
        const positive = terms(loss, new FlowMap(perturbed), opts, teacher);
        expect(positive[key]).toBeGreaterThan(1e-4);
        exact.dispose();
        perturbed.dispose();
        teacher.net.dispose();
      });
    }
  }

  it('flow matching: b_t(I_t) = dI_t/dt for a point mass', () => {
    const exact = new FlowMap(new PointMassOracle(TARGET));
    const d = { ...draws, t: draws.tFlow };
    expect(Math.abs(terms(flowLoss, exact, { lossScale: 1 }, undefined, action, d).flow)).toBeLessThan(1e-9);
    exact.net.dispose();
  });
});

describe('Gaussian to Gaussian: the page forms vanish at the exact map, the reference forms do not', () => {
  const gauss = new GaussianOracle(1.5, 0.5, { horizon: 2, actDim: 2 });
  const fm = new FlowMap(gauss);
  const act = () =>
    tf.tensor3d([0.9, 2.1, 1.2, 1.6, 1.4, 1.1, 2.3, 0.7, 1.5, 1.8, 1.0, 1.3, 2.0, 1.2, 0.8, 1.9], [B, 2, 2]);

  it('lsd, psd and esd (page) are zero; psd and esd (reference) are positive', () => {
    const a = act();
    const t = (loss: LossFn<Record<string, unknown>>, options: Record<string, unknown>, key: string) =>
      terms(loss, fm, { lossScale: 1, ...options }, undefined, a)[key];
    expect(Math.abs(t(lsdLoss as LossFn<Record<string, unknown>>, {}, 'lsd'))).toBeLessThan(1e-9);
    expect(Math.abs(t(psdLoss as LossFn<Record<string, unknown>>, {}, 'psd'))).toBeLessThan(1e-9);
    expect(Math.abs(t(esdLoss as LossFn<Record<string, unknown>>, {}, 'esd'))).toBeLessThan(1e-9);
    expect(t(psdLoss as LossFn<Record<string, unknown>>, { variant: 'reference' }, 'psd')).toBeGreaterThan(
      1e-4,
    );
    expect(t(esdLoss as LossFn<Record<string, unknown>>, { variant: 'reference' }, 'esd')).toBeGreaterThan(
      1e-4,
    );
    a.dispose();
  });
});
