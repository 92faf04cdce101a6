// Each network evaluation inside a loss uses its own weight set (TaggedLinearNet), so the gradient
// w.r.t. set k is the gradient through the k-th branch: exactly zero where the loss stops it.
import { Interpolant, RandomStream } from '@mipjs/interpolant';
import { FlowMap } from '@mipjs/nets';
import { TaggedLinearNet } from '@mipjs/nets/testing';
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
  mipLoss,
  mipOriginLoss,
  psdLoss,
  regressionLoss,
  straightFlowLoss,
  tsdLoss,
} from './index.js';
import { useCpu } from './test-utils/setup.js';

const shape: [number, number, number] = [2, 2, 2];
let draws: LossDraws;
let action: tf.Tensor3D;

beforeAll(async () => {
  await useCpu();
  action = tf.tensor3d([0.5, -1, 0.3, 0.8, -0.2, 1.2, 0.9, -0.6], shape);
  draws = {
    z: tf.tensor3d([0.1, 0.4, -0.7, 1.1, 0.6, -0.3, -1.2, 0.2], shape),
    noise: tf.tensor3d([-0.5, 0.2, 0.9, -0.1, 0.3, 0.7, -0.8, 0.4], shape),
    t: tf.tensor1d([0.3, 0.75]),
    s: tf.tensor1d([0.1, 0.4]),
    h: tf.tensor1d([0.25, 0.6]),
    tFlow: tf.tensor1d([0.45, 0.2]),
  };
});
afterAll(() => tf.dispose([action, ...Object.values(draws)]));

type AnyLoss = LossFn<Record<string, unknown>>;

/** Largest |gradient| per weight set of the student (and of the teacher, when there is one). */
function branchGradients(loss: AnyLoss, options: Record<string, unknown>, sets: number, withTeacher = false) {
  const net = new TaggedLinearNet(sets);
  const teacherNet = new TaggedLinearNet(1);
  const ctx = {
    flowMap: new FlowMap(net),
    teacher: withTeacher ? new FlowMap(teacherNet) : undefined,
    interpolant: new Interpolant(),
    rng: new RandomStream(0),
    options,
  };
  const vars = [...net.variables, ...teacherNet.variables];
  const { value, grads } = tf.variableGrads(() => {
    net.reset();
    teacherNet.reset();
    const out = loss(ctx, { action, cond: null }, draws);
    return out.loss;
  }, vars);
  const calls = net.calls;
  const maxAbs = (vs: tf.Variable[]) =>
    Math.max(...vs.map((v) => (grads[v.name] ? tf.max(tf.abs(grads[v.name])).dataSync()[0] : 0)));
  const student = net.sets.map(maxAbs);
  const teacher = maxAbs(teacherNet.variables);
  tf.dispose([value, ...Object.values(grads)]);
  net.dispose();
  teacherNet.dispose();
  return { student, teacher, calls };
}

const nonZero = (g: number) => expect(g).toBeGreaterThan(1e-6);
const zero = (g: number) => expect(g).toBe(0);

describe('gradients through each branch', () => {
  it('single-branch losses reach their one evaluation', () => {
    for (const loss of [flowLoss, regressionLoss, straightFlowLoss] as AnyLoss[]) {
      const g = branchGradients(loss, {}, 1);
      expect(g.calls).toBe(1);
      nonZero(g.student[0]);
    }
  });

  it('mip, mip_origin, tsd: both steps are trained, nothing is stopped', () => {
    for (const [loss, options] of [
      [mipLoss, {}],
      [mipLoss, { variant: 'reference' }],
      [mipOriginLoss, {}],
      [tsdLoss, {}],
      [tsdLoss, { variant: 'reference' }],
    ] as [AnyLoss, Record<string, unknown>][]) {
      const g = branchGradients(loss, options, 2);
      expect(g.calls).toBe(2);
      g.student.forEach(nonZero);
    }
  });

  it('psd: flow term and student get gradients, the teacher (f_su, f_ut) none; without stop-gradients all do', () => {
    // Calls: 0 flow velocity, 1 student f(I_s, s, t), 2 f(I_s, s, u), 3 f(X_su, u, t).
    const g = branchGradients(psdLoss as AnyLoss, {}, 4);
    expect(g.calls).toBe(4);
    nonZero(g.student[0]);
    nonZero(g.student[1]);
    zero(g.student[2]);
    zero(g.student[3]);
    for (const options of [{ stopGradients: false }, { variant: 'reference' }]) {
      branchGradients(psdLoss as AnyLoss, options, 4).student.forEach(nonZero);
    }
  });

  it('lsd: the velocity b_t(X) is stopped; without stop-gradients it is not', () => {
    // Calls: 0 flow velocity, 1 jvpT, 2 velocity b_t(X).
    const g = branchGradients(lsdLoss as AnyLoss, {}, 3);
    expect(g.calls).toBe(3);
    nonZero(g.student[0]);
    nonZero(g.student[1]);
    zero(g.student[2]);
    branchGradients(lsdLoss as AnyLoss, { stopGradients: false }, 3).student.forEach(nonZero);
  });

  it('esd: the transport velocity v is stopped, the one-pass derivative of X along (1, v) is not', () => {
    // page calls: 0 flow velocity, 1 v = b_s(I_s), 2 jvp of X along (ds, dx) = (1, v).
    const page = branchGradients(esdLoss as AnyLoss, { variant: 'page' }, 3);
    expect(page.calls).toBe(3);
    nonZero(page.student[0]);
    zero(page.student[1]);
    nonZero(page.student[2]);
    // reference calls: 0 flow velocity, 1 X_{s,t}(I_s), 2 v = b_t(X), 3 the jvp; X only feeds v.
    const reference = branchGradients(esdLoss as AnyLoss, { variant: 'reference' }, 4);
    expect(reference.calls).toBe(4);
    nonZero(reference.student[0]);
    zero(reference.student[1]);
    zero(reference.student[2]);
    nonZero(reference.student[3]);
    branchGradients(esdLoss as AnyLoss, { variant: 'page', stopGradients: false }, 3).student.forEach(
      nonZero,
    );
    branchGradients(esdLoss as AnyLoss, { variant: 'reference', stopGradients: false }, 4).student.forEach(
      nonZero,
    );
  });

  it('mf: dX/ds is trained, grad X · dI_s/ds is stopped', () => {
    // Calls: 0 flow velocity, 1 jvpS, 2 jvpX.
    const g = branchGradients(mfLoss as AnyLoss, {}, 3);
    expect(g.calls).toBe(3);
    nonZero(g.student[0]);
    nonZero(g.student[1]);
    zero(g.student[2]);
  });

  it('ctm: the teacher step is stopped; the target map is trained unless detachTarget', () => {
    // Student calls: 0 X_{s,t}(I_s), 1 X_{s+dt,t}(I_{s+dt}).
    const g = branchGradients(ctmLoss as AnyLoss, {}, 2, true);
    nonZero(g.student[0]);
    nonZero(g.student[1]);
    zero(g.teacher);
    const d = branchGradients(ctmLoss as AnyLoss, { detachTarget: true }, 2, true);
    nonZero(d.student[0]);
    zero(d.student[1]);
  });

  it('lmd: the student is trained through dX/dt and through X in the teacher', () => {
    const g = branchGradients(lmdLoss as AnyLoss, {}, 1, true);
    nonZero(g.student[0]);
    // Nothing is detached: the loss depends on the teacher's weights too (they are just not trained).
    nonZero(g.teacher);
  });
});
