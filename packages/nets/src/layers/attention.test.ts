import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jvpByDoubleVjp } from '../double-vjp.js';
import { causalMask, LinearAttention, MultiHeadAttention } from './attention.js';
import { VariableStore } from './module.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function randn(shape: [number, number, number], seed: number): tf.Tensor3D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor3D;
}

describe('MultiHeadAttention', () => {
  it('has 4d^2 + 4d parameters and rejects heads that do not divide the width', () => {
    const store = new VariableStore(1);
    new MultiHeadAttention(store.root().child('mha'), 12, { heads: 3 });
    const count = store.variables.reduce((n, v) => n + v.size, 0);
    expect(count).toBe(4 * 12 * 12 + 4 * 12);
    expect(() => new MultiHeadAttention(store.root().child('bad'), 12, { heads: 5 })).toThrow(/heads \(5\)/);
    store.dispose();
  });

  it('single head equals the textbook formula', () => {
    const store = new VariableStore(2);
    const mha = new MultiHeadAttention(store.root(), 4, { heads: 1 });
    tf.tidy(() => {
      const x = randn([2, 3, 4], 1);
      const m = randn([2, 5, 4], 2);
      const w = mha.inKernel;
      const b = mha.inBias;
      const q = tf.add(tf.matMul(x, tf.slice(w, [0, 0], [4, 4])), tf.slice(b, [0], [4]));
      const k = tf.add(tf.matMul(m, tf.slice(w, [0, 4], [4, 4])), tf.slice(b, [4], [4]));
      const v = tf.add(tf.matMul(m, tf.slice(w, [0, 8], [4, 4])), tf.slice(b, [8], [4]));
      const p = tf.softmax(tf.div(tf.matMul(q, k, false, true), 2));
      const ref = mha.outProj.apply(tf.matMul(p, v));
      expect(maxAbsDiff(mha.apply(x, m, null), ref)).toBeLessThan(1e-5);
    });
    store.dispose();
  });

  it('forward-mode tangent matches the double-VJP (self-attention with a causal mask, and cross)', () => {
    const store = new VariableStore(3);
    const mha = new MultiHeadAttention(store.root(), 8, { heads: 2, inProjInit: 'normal-0.02' });
    // Bigger weights so the softmax is far from uniform.
    tf.tidy(() => mha.inKernel.assign(tf.mul(mha.inKernel, 50)));
    tf.tidy(() => {
      const x = randn([2, 4, 8], 4);
      const dx = randn([2, 4, 8], 5);
      const mask = causalMask(4);
      const self = mha.forward({ v: x, d: dx }, { v: x, d: dx } as never, mask);
      const selfRef = jvpByDoubleVjp((u) => mha.apply(u, u, mask), x, dx);
      expect(maxAbsDiff(self.d!, selfRef)).toBeLessThan(1e-4);
      const m = randn([2, 3, 8], 6);
      const dm = randn([2, 3, 8], 7);
      const cross = mha.forward({ v: x, d: dx }, { v: m, d: dm }, null);
      const packed = tf.concat([x, m], 1);
      const crossRef = jvpByDoubleVjp(
        (u) => mha.apply(tf.slice(u, [0, 0, 0], [-1, 4, -1]), tf.slice(u, [0, 4, 0], [-1, 3, -1]), null),
        packed,
        tf.concat([dx, dm], 1),
      );
      expect(maxAbsDiff(cross.d!, crossRef)).toBeLessThan(1e-4);
      // Memory-only tangent.
      const memOnly = mha.forward({ v: x, d: null }, { v: m, d: dm }, null);
      const memRef = jvpByDoubleVjp((u) => mha.apply(x, u, null), m, dm);
      expect(maxAbsDiff(memOnly.d!, memRef)).toBeLessThan(1e-4);
    });
    store.dispose();
  });

  it('attention dropout: same seed same mask, primal and tangent consistent', () => {
    const store = new VariableStore(4);
    const mha = new MultiHeadAttention(store.root(), 8, { heads: 2, dropout: 0.5 });
    tf.tidy(() => {
      const x = randn([2, 4, 8], 8);
      const dx = randn([2, 4, 8], 9);
      const ctx = { training: true, seed: 7 };
      const a = mha.apply(x, x, null, ctx);
      expect(maxAbsDiff(a, mha.apply(x, x, null, ctx))).toBe(0);
      expect(maxAbsDiff(a, mha.apply(x, x, null, { training: true, seed: 8 }))).toBeGreaterThan(1e-4);
      const q = { v: x, d: dx };
      const withT = mha.forward(q, q, null, ctx);
      expect(maxAbsDiff(withT.v, a)).toBeLessThan(1e-6);
      const ref = jvpByDoubleVjp((u) => mha.apply(u, u, null, ctx), x, dx);
      expect(maxAbsDiff(withT.d!, ref)).toBeLessThan(1e-4);
    });
    store.dispose();
  });
});

describe('LinearAttention', () => {
  it('shape, parameter count and forward-mode tangent vs the double-VJP', () => {
    const store = new VariableStore(5);
    const att = new LinearAttention(store.root(), 6, { heads: 2, dimHead: 4 });
    expect(store.variables.reduce((n, v) => n + v.size, 0)).toBe(6 * 24 + 8 * 6 + 6);
    tf.tidy(() => {
      const x = randn([2, 8, 6], 10);
      const dx = randn([2, 8, 6], 11);
      const y = att.apply(x);
      expect(y.shape).toEqual([2, 8, 6]);
      const out = att.forward({ v: x, d: dx });
      expect(maxAbsDiff(out.v, y)).toBeLessThan(1e-6);
      expect(
        maxAbsDiff(
          out.d!,
          jvpByDoubleVjp((u) => att.apply(u), x, dx),
        ),
      ).toBeLessThan(1e-4);
    });
    store.dispose();
  });
});
