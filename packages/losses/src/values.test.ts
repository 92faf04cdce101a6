import { Interpolant, RandomStream } from '@mipjs/interpolant';
import { FlowMap } from '@mipjs/nets';
import { LinearNet } from '@mipjs/nets/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ctmLoss,
  esdLoss,
  flowLoss,
  type LossContext,
  type LossDraws,
  type LossFn,
  lmdLoss,
  lsdLoss,
  mfLoss,
  mipLoss,
  mipOneStepIntegrateLoss,
  mipOriginLoss,
  psdLoss,
  regressionLoss,
  straightFlowLoss,
  tsdLoss,
} from './index.js';
import * as hand from './test-utils/by-hand.js';
import { closeTo, useCpu, value } from './test-utils/setup.js';

const shape: [number, number, number] = [hand.B, hand.H, hand.A];
let draws: LossDraws;
let action: tf.Tensor3D;

beforeAll(async () => {
  await useCpu();
  action = tf.tensor3d(hand.action, shape);
  draws = {
    z: tf.tensor3d(hand.z, shape),
    noise: tf.tensor3d(hand.noise, shape),
    t: tf.tensor1d(hand.t),
    s: tf.tensor1d(hand.s),
    h: tf.tensor1d(hand.h),
    tFlow: tf.tensor1d(hand.tFlow),
  };
});
afterAll(() => {
  tf.dispose([action, ...Object.values(draws)]);
});

function run<O>(
  loss: LossFn<O>,
  options: O,
  { tangent = false, teacher = false, deltaT = undefined as number | undefined } = {},
) {
  const net = new LinearNet(hand.W, { horizon: hand.H, actDim: hand.A, tangent });
  const teacherNet = new LinearNet(hand.TEACHER, { horizon: hand.H, actDim: hand.A });
  const ctx: LossContext<O> = {
    flowMap: new FlowMap(net),
    teacher: teacher ? new FlowMap(teacherNet) : undefined,
    interpolant: new Interpolant('linear'),
    rng: new RandomStream(1),
    options,
  };
  const before = tf.memory().numTensors;
  const out = loss(ctx, { action, cond: null, deltaT }, draws);
  const result = {
    loss: value(out.loss),
    terms: Object.fromEntries(Object.entries(out.terms).map(([k, v]) => [k, value(v)])),
  };
  const kept = new Set([out.loss, ...Object.values(out.terms)]).size;
  tf.dispose([out.loss, ...Object.values(out.terms)]);
  // Every intermediate is freed: only the returned scalars were alive.
  expect(tf.memory().numTensors).toBe(before);
  expect(kept).toBeGreaterThan(0);
  net.dispose();
  teacherNet.dispose();
  return result;
}

const expectClose = (actual: number, expected: number, tol = 1e-6) => {
  expect(closeTo(actual, expected, tol), `${actual} vs ${expected}`).toBe(true);
};

describe('loss values on a linear net, by hand', () => {
  it('flow (default lossScale 0.1, l2)', () => {
    const r = run(flowLoss, {});
    expectClose(r.loss, hand.reduce(hand.flowResidual()));
    expectClose(r.terms.flow, r.loss);
  });

  it('flow with l1 and smooth_l1', () => {
    for (const norm of ['l1', 'smooth_l1'] as const) {
      expectClose(run(flowLoss, { norm, lossScale: 1 }).loss, hand.reduce(hand.flowResidual(), norm, 1));
    }
  });

  it('regression and straight_flow', () => {
    expectClose(run(regressionLoss, { lossScale: 1 }).loss, hand.reduce(hand.regressionResidual(), 'l2', 1));
    expectClose(run(straightFlowLoss, { lossScale: 1 }).loss, hand.reduce(hand.straightResidual(), 'l2', 1));
  });

  it('mip page, reference and mip_origin', () => {
    for (const variant of ['page', 'reference'] as const) {
      const [r0, r1] = hand.mipResiduals(0.9, variant);
      const r = run(mipLoss, { variant, lossScale: 1 });
      expectClose(r.terms.step0, hand.reduce(r0, 'l2', 1));
      expectClose(r.terms.step1, hand.reduce(r1, 'l2', 1));
      expectClose(r.loss, hand.reduce(r0, 'l2', 1) + hand.reduce(r1, 'l2', 1));
    }
    const [r0, r1] = hand.mipResiduals(0.8, 'origin');
    const r = run(mipOriginLoss, { tStar: 0.8, lossScale: 1 });
    expectClose(r.loss, hand.reduce(r0, 'l2', 1) + hand.reduce(r1, 'l2', 1));
  });

  it('mip_one_step_integrate: both calls at time 0, first from the noise z', () => {
    for (const T of [0.9, 0.7]) {
      const [r0, r1] = hand.mipOneStepIntegrateResiduals(T);
      const r = run(mipOneStepIntegrateLoss, { tStar: T, norm: 'l1', lossScale: 1 });
      expectClose(r.terms.step0, hand.reduce(r0, 'l1', 1));
      expectClose(r.terms.step1, hand.reduce(r1, 'l1', 1));
      expectClose(r.loss, hand.reduce(r0, 'l1', 1) + hand.reduce(r1, 'l1', 1));
    }
  });

  it('mip with another tStar', () => {
    const [r0, r1] = hand.mipResiduals(0.7, 'page');
    expectClose(run(mipLoss, { tStar: 0.7 }).loss, hand.reduce(r0) + hand.reduce(r1));
  });

  it('tsd page and reference', () => {
    for (const variant of ['page', 'reference'] as const) {
      const [r0, r1] = hand.tsdResiduals(0.9, variant);
      const r = run(tsdLoss, { variant, lossScale: 1 });
      expectClose(r.terms.step0, hand.reduce(r0, 'l2', 1));
      expectClose(r.terms.step1, hand.reduce(r1, 'l2', 1));
    }
  });

  it('ctm (mean over elements, teacher Euler step)', () => {
    for (const dt of [0.01, 0.5]) {
      const r = run(ctmLoss, { discreteDt: dt, lossScale: 1 }, { teacher: true });
      expectClose(r.loss, hand.meanSquare(hand.ctmResidual(dt), 1), 2e-5);
    }
  });

  for (const tangent of [true, false]) {
    const path = tangent ? 'forward mode' : 'double-VJP';
    it(`lmd (${path})`, () => {
      const r = run(lmdLoss, { lossScale: 1, norm: 'l1' }, { teacher: true, tangent });
      expectClose(r.loss, hand.meanSquare(hand.lmdResidual(), 1));
    });

    it(`psd page and reference (${path})`, () => {
      for (const variant of ['page', 'reference'] as const) {
        const r = run(psdLoss, { variant, lossScale: 1 }, { tangent });
        expectClose(r.terms.flow, hand.reduce(hand.flowResidual(hand.tFlow), 'l2', 1));
        expectClose(r.terms.psd, hand.reduce(hand.psdResidual(variant), 'l2', 1));
        expectClose(r.loss, r.terms.flow + r.terms.psd);
      }
    });

    it(`lsd (${path})`, () => {
      const r = run(lsdLoss, { lossScale: 1 }, { tangent });
      expectClose(r.terms.flow, hand.reduce(hand.flowResidual(hand.tFlow), 'l2', 1));
      expectClose(r.terms.lsd, hand.reduce(hand.lsdResidual(), 'l2', 1));
      expectClose(r.loss, r.terms.flow + r.terms.lsd);
    });

    it(`esd page and reference (${path})`, () => {
      for (const variant of ['page', 'reference'] as const) {
        const r = run(esdLoss, { variant, lossScale: 1 }, { tangent });
        expectClose(r.terms.esd, hand.reduce(hand.esdResidual(variant), 'l2', 1));
      }
    });

    it(`mf (${path})`, () => {
      const r = run(mfLoss, { lossScale: 1 }, { tangent });
      expectClose(r.terms.flow, hand.reduce(hand.flowResidual(hand.tFlow), 'l2', 1));
      expectClose(r.terms.mf, hand.reduce(hand.mfResidual(), 'l2', 1));
    });
  }

  it('deltaT clamps s = max(s, t - deltaT), as a number or per sample', () => {
    const r = run(lsdLoss, { lossScale: 1 }, { deltaT: 0.2 });
    expectClose(r.terms.lsd, hand.reduce(hand.lsdResidual(hand.clamped([0.2, 0.2])), 'l2', 1));
    const dT = tf.tensor1d([0.1, 1]);
    const net = new LinearNet(hand.W, { horizon: hand.H, actDim: hand.A });
    const ctx = {
      flowMap: new FlowMap(net),
      interpolant: new Interpolant(),
      rng: new RandomStream(0),
      options: { lossScale: 1 },
    };
    const out = lsdLoss(ctx, { action, cond: null, deltaT: dT as tf.Tensor1D }, draws);
    expectClose(value(out.terms.lsd), hand.reduce(hand.lsdResidual(hand.clamped([0.1, 1])), 'l2', 1));
    tf.dispose([dT, out.loss, ...Object.values(out.terms)]);
    net.dispose();
  });
});
