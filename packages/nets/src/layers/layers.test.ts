import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jvpByDoubleVjp } from '../double-vjp.js';
import { centralDifference, relError } from '../test-utils/numeric.js';
import { ACTIVATION_NAMES, activationByName } from './activations.js';
import { Conv1d, ConvTranspose1d } from './conv1d.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { defaultGroupCount, GroupNorm } from './group-norm.js';
import { InitRandom, initWeightValues } from './init.js';
import { LayerNorm } from './layer-norm.js';
import { type Dual, VariableStore } from './module.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function checkDual(
  apply: (x: tf.Tensor) => tf.Tensor,
  dual: (x: tf.Tensor, dx: tf.Tensor) => Dual,
  shape: number[],
) {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const v = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const [y, dy] = dual(x, v);
  expect(relError(y, apply(x))).toBeLessThan(1e-6);
  expect(relError(dy, jvpByDoubleVjp(apply, x, v))).toBeLessThan(1e-5);
  expect(relError(dy, centralDifference(apply, x, v, 1e-2))).toBeLessThan(2e-3);
}

describe('layer dual passes', () => {
  it.each(ACTIVATION_NAMES)('activation %s matches double-VJP and finite differences', (name) => {
    const a = activationByName(name);
    checkDual(a.apply, a.applyDual, [3, 7]);
  });

  it('unknown activation lists the valid names', () => {
    expect(() => activationByName('swish')).toThrow(/valid: gelu, gelu-tanh/);
  });

  it('Dense, LayerNorm, GroupNorm, Conv1d, ConvTranspose1d', () => {
    const store = new VariableStore(3);
    const root = store.root();
    const dense = new Dense(root.child('dense'), 6, 4);
    checkDual(
      (x) => dense.apply(x),
      (x, dx) => dense.applyDual(x, dx),
      [2, 3, 6],
    );
    const ln = new LayerNorm(root.child('ln'), 6);
    tf.tidy(() => {
      ln.gamma!.assign(tf.randomNormal([6], 1, 0.3, 'float32', 5));
    });
    checkDual(
      (x) => ln.apply(x),
      (x, dx) => ln.applyDual(x, dx),
      [2, 3, 6],
    );
    const gn = new GroupNorm(root.child('gn'), 8, { groups: 2 });
    checkDual(
      (x) => gn.apply(x),
      (x, dx) => gn.applyDual(x, dx),
      [2, 5, 8],
    );
    const conv = new Conv1d(root.child('conv'), 3, 4, 3, { stride: 2, padding: 1 });
    checkDual(
      (x) => conv.apply(x),
      (x, dx) => conv.applyDual(x, dx),
      [2, 8, 3],
    );
    const convT = new ConvTranspose1d(root.child('convT'), 3, 4, 4, { stride: 2, padding: 1 });
    checkDual(
      (x) => convT.apply(x),
      (x, dx) => convT.applyDual(x, dx),
      [2, 5, 3],
    );
    expect(store.namedVariables.map((v) => v.name)).toContain('convT/kernel');
    expect(() => root.child('dense').variable('kernel', tf.zeros([1]))).toThrow(
      /duplicate variable name 'dense\/kernel'/,
    );
    store.dispose();
  });

  it('Conv1d equals tf.conv1d (PyTorch cross-correlation) for several strides and paddings', () => {
    for (const [k, stride, padding, len] of [
      [3, 1, 1, 8],
      [5, 1, 2, 16],
      [3, 2, 1, 8],
      [1, 1, 0, 4],
      [4, 2, 0, 9],
    ]) {
      const store = new VariableStore(k);
      const conv = new Conv1d(store.root(), 3, 5, k, { stride, padding });
      const x = tf.randomNormal([2, len, 3], 0, 1, 'float32', 7);
      const w = tf.reshape(conv.kernel, [k, 3, 5]) as tf.Tensor3D;
      const xp = tf.pad(x, [
        [0, 0],
        [padding, padding],
        [0, 0],
      ]) as tf.Tensor3D;
      const ref = tf.add(tf.conv1d(xp, w, stride, 'valid'), conv.bias!);
      const y = conv.apply(x);
      expect(y.shape).toEqual(ref.shape);
      expect(relError(y, ref)).toBeLessThan(1e-5);
      store.dispose();
    }
  });

  it('ConvTranspose1d equals the adjoint of a strided conv (PyTorch shapes)', () => {
    // PyTorch ConvTranspose1d(in, out, 4, 2, 1) doubles the length.
    const store = new VariableStore(1);
    const ct = new ConvTranspose1d(store.root(), 3, 2, 4, { stride: 2, padding: 1, bias: false });
    const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 3);
    const y = ct.apply(x);
    expect(y.shape).toEqual([2, 10, 2]);
    // Adjoint check: <convT(x), u> = <x, conv(u)> with conv weights w[j Cout + o, c] = W[c, j Cout + o].
    const u = tf.randomNormal([2, 10, 2], 0, 1, 'float32', 4);
    const conv = new Conv1d(store.root().child('c'), 2, 3, 4, { stride: 2, padding: 1, bias: false });
    conv.kernel.assign(tf.transpose(ct.kernel));
    const lhs = tf.sum(tf.mul(y, u)).dataSync()[0];
    const rhs = tf.sum(tf.mul(x, conv.apply(u))).dataSync()[0];
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * (1 + Math.abs(lhs)));
    store.dispose();
  });

  it('Dropout shares its mask between primal and tangent, and is the identity in eval mode', () => {
    const d = new Dropout('drop', 0.5);
    const x = tf.ones([4, 32]);
    const ctx = { training: true, seed: 11 };
    const [y, dy] = d.applyDual(x, tf.mul(x, 2), ctx);
    expect(relError(dy, tf.mul(y, 2))).toBeLessThan(1e-7);
    expect(relError(d.apply(x, ctx), y)).toBe(0);
    const zeros = tf.sum(tf.equal(y, 0)).dataSync()[0];
    expect(zeros).toBeGreaterThan(20);
    expect(zeros).toBeLessThan(108);
    expect(relError(d.apply(x, { training: false, seed: 11 }), x)).toBe(0);
  });

  it('inits: orthogonal rows/columns, group count helper', () => {
    const w = initWeightValues('orthogonal', 6, 3, new InitRandom(1));
    const m = tf.tensor2d(w, [6, 3]);
    expect(relError(tf.matMul(m, m, true, false), tf.eye(3))).toBeLessThan(1e-5);
    const wide = tf.tensor2d(initWeightValues('orthogonal', 3, 6, new InitRandom(1)), [3, 6]);
    expect(relError(tf.matMul(wide, wide, false, true), tf.eye(3))).toBeLessThan(1e-5);
    expect(defaultGroupCount(128)).toBe(8);
    expect(defaultGroupCount(16)).toBe(4);
    expect(defaultGroupCount(2)).toBe(1);
  });
});
