import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { cosineLr } from './schedule.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  tf.disposeVariables();
});

describe('AdamW', () => {
  it.each([true, false])('matches two hand-computed steps of torch.optim.AdamW (fused %s)', (fused) => {
    const p = tf.variable(tf.tensor1d([1, -2]), true, 'p');
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5, eps: 1e-8, fused });
    // step 1, g = [0.5, -1]: decay p *= 1 - 0.1*0.5 = 0.95 -> [0.95, -1.9];
    // m = 0.1 g, v = 0.001 g^2; mhat = g, vhat = g^2 -> update = sign(g) (up to eps)
    const g1 = tf.tensor1d([0.5, -1]);
    opt.step([g1], 0.1);
    const after1 = Array.from(p.dataSync());
    expect(after1[0]).toBeCloseTo(0.95 - 0.1, 6);
    expect(after1[1]).toBeCloseTo(-1.9 + 0.1, 6);
    // step 2, g = [0.25, 2], lr 0.05
    const g2 = tf.tensor1d([0.25, 2]);
    opt.step([g2], 0.05);
    const expected = [0.5, -1].map((g1v, i) => {
      const g2v = [0.25, 2][i];
      const m = 0.9 * (0.1 * g1v) + 0.1 * g2v;
      const v = 0.999 * (0.001 * g1v * g1v) + 0.001 * g2v * g2v;
      const mhat = m / (1 - 0.9 ** 2);
      const vhat = v / (1 - 0.999 ** 2);
      return after1[i] * (1 - 0.05 * 0.5) - (0.05 * mhat) / (Math.sqrt(vhat) + 1e-8);
    });
    const after2 = Array.from(p.dataSync());
    expect(after2[0]).toBeCloseTo(expected[0], 6);
    expect(after2[1]).toBeCloseTo(expected[1], 6);
    expect(opt.stepCount).toBe(2);
    tf.dispose([g1, g2]);
    opt.dispose();
    p.dispose();
  });

  it.each([true, false])('scales the gradient first with gradScale (fused %s)', (fused) => {
    // Adam is invariant to the gradient's scale except through eps: with eps 1, a step of
    // g = 2 at gradScale 0.25 equals a step of g = 0.5. m = 0.05, v = 0.00025, mhat = 0.5,
    // vhat = 0.25 -> p = 1 - 0.1 * 0.5 / (0.5 + 1).
    const p = tf.variable(tf.tensor1d([1]));
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0, eps: 1, fused });
    const g = tf.tensor1d([2]);
    opt.step([g], 0.1, 0.25);
    expect(p.dataSync()[0]).toBeCloseTo(1 - (0.1 * 0.5) / 1.5, 7);
    tf.dispose([g, p]);
    opt.dispose();
  });

  it('fused and op-by-op updates agree to float32 rounding over many steps', () => {
    const init = tf.randomNormal([37, 5], 0, 1, 'float32', 11);
    const [a, b] = [tf.variable(init.clone()), tf.variable(init.clone())];
    const fused = new AdamW([a], { lr: 1e-2, weightDecay: 0.1 });
    const plain = new AdamW([b], { lr: 1e-2, weightDecay: 0.1, fused: false });
    for (let k = 0; k < 20; k++) {
      const g = tf.randomNormal([37, 5], 0, 1, 'float32', 100 + k);
      fused.step([g], 1e-2 * (1 - k / 20), 0.7);
      plain.step([g], 1e-2 * (1 - k / 20), 0.7);
      g.dispose();
    }
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(diff).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(tf.sub(a, init))).dataSync()[0]).toBeGreaterThan(0.05);
    fused.dispose();
    plain.dispose();
    tf.dispose([init, a, b]);
  });

  it('round-trips its state and does not leak tensors', async () => {
    const p = tf.variable(tf.tensor2d([[1, 2]]), true, 'q');
    const opt = new AdamW([p], { lr: 0.01 });
    const g = tf.tensor2d([[0.3, -0.1]]);
    opt.step([g]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) opt.step([g]);
    expect(tf.memory().numTensors).toBe(before);
    const state = await opt.getState();
    const p2 = tf.variable(tf.tensor2d([[1, 2]]), true, 'q2');
    const opt2 = new AdamW([p2], { lr: 0.01 });
    opt2.setState(state.stepCount, new Map(state.arrays.map((a) => [a.name, a])));
    p2.assign(p);
    opt.step([g]);
    opt2.step([g]);
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p.dataSync()));
    tf.dispose([g, p, p2]);
    opt.dispose();
    opt2.dispose();
  });

  it('frees all of its state on dispose (no zeros tensor left behind per variable)', () => {
    const p = tf.variable(tf.ones([3, 4]));
    const before = tf.memory().numTensors;
    const opt = new AdamW([p]);
    const g = tf.onesLike(p);
    opt.step([g]);
    g.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('rejects invalid hyper-parameters', () => {
    expect(() => new AdamW([], { beta1: 1 })).toThrow(/beta1/);
    expect(() => new AdamW([], { lr: -1 })).toThrow(/lr/);
  });
});

describe('cosineLr', () => {
  it('follows (1 + cos(pi k / T)) / 2 with eta_min 0', () => {
    expect(cosineLr(0, 100, 1e-3)).toBeCloseTo(1e-3, 12);
    expect(cosineLr(50, 100, 1e-3)).toBeCloseTo(5e-4, 12);
    expect(cosineLr(25, 100, 1)).toBeCloseTo((1 + Math.cos(Math.PI / 4)) / 2, 12);
    expect(cosineLr(100, 100, 1e-3)).toBeCloseTo(0, 12);
    expect(cosineLr(150, 100, 1e-3)).toBeCloseTo(0, 12);
  });
});
