import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFastMatMulGradient, installHigherOrderGradientFix } from './gradient-fixes.js';
import { relError } from './test-utils/numeric.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Gradients of sum(op(a) op(b) * u) w.r.t. a and b, for each transpose combination. */
function matMulGrads(): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    for (const batch of [[], [3]]) {
      const a = tf.randomNormal([...batch, ...(ta ? [5, 4] : [4, 5])], 0, 1, 'float32', 1);
      const b = tf.randomNormal([...batch, ...(tb ? [6, 5] : [5, 6])], 0, 1, 'float32', 2);
      const u = tf.randomNormal([...batch, 4, 6], 0, 1, 'float32', 3);
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), u)))([a, b]);
      out.push(...g);
    }
  }
  return out;
}

/** d/dx of (d/dx sum(tanh(x W))^2)... a second-order quantity through matMul. */
function secondOrder(): tf.Tensor {
  const w = tf.randomNormal([3, 3], 0, 1, 'float32', 4);
  const x = tf.randomNormal([2, 3], 0, 1, 'float32', 5);
  const inner = (z: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.sum(tf.square(tf.sin(tf.matMul(y, w)))))(z);
  return tf.grad((z: tf.Tensor) => tf.sum(tf.square(inner(z))))(x);
}

describe('installFastMatMulGradient', () => {
  it('gives the stock gradients (all transpose flags, batched) and keeps second order intact', () => {
    const stock = matMulGrads();
    const stock2 = secondOrder();
    installFastMatMulGradient();
    installFastMatMulGradient(); // idempotent
    const fast = matMulGrads();
    fast.forEach((g, i) => {
      expect(g.shape).toEqual(stock[i].shape);
      expect(relError(g, stock[i])).toBeLessThan(1e-6);
    });
    expect(relError(secondOrder(), stock2)).toBeLessThan(1e-6);
  });
});

describe('installHigherOrderGradientFix', () => {
  it('third derivatives of sigmoid, tanh, exp are exact; leakyRelu third order does not throw', () => {
    installHigherOrderGradientFix();
    installHigherOrderGradientFix(); // idempotent
    const x = tf.tensor1d([-1.3, -0.2, 0.4, 1.1]);
    const d3 = (f: (z: tf.Tensor) => tf.Tensor) =>
      tf.grad((a: tf.Tensor) =>
        tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.grad((c: tf.Tensor) => tf.sum(f(c)))(b)))(a)),
      )(x);
    const s = tf.sigmoid(x);
    // sigma''' = sigma (1 - sigma) (1 - 6 sigma + 6 sigma^2)
    const sig3 = tf.mul(tf.mul(s, tf.sub(1, s)), tf.add(tf.sub(1, tf.mul(s, 6)), tf.mul(tf.square(s), 6)));
    expect(relError(d3(tf.sigmoid), sig3)).toBeLessThan(1e-5);
    // tanh''' = -2 (1 - th^2)(1 - 3 th^2)
    const th = tf.tanh(x);
    const tanh3 = tf.mul(tf.mul(tf.sub(1, tf.square(th)), tf.sub(1, tf.mul(tf.square(th), 3))), -2);
    expect(relError(d3(tf.tanh), tanh3)).toBeLessThan(1e-5);
    expect(relError(d3(tf.exp), tf.exp(x))).toBeLessThan(1e-5);
    expect(() => d3((z) => tf.mul(tf.leakyRelu(z, 0.01), z)).dataSync()).not.toThrow();
    // softmax second order: d/dx sum(grad of sum(softmax(x) * w)^2) is finite and matches FD.
    const w = tf.tensor1d([0.3, -1, 2, 0.5]);
    const g = (z: tf.Tensor) =>
      tf.sum(tf.square(tf.grad((c: tf.Tensor) => tf.sum(tf.mul(tf.softmax(c), w)))(z)));
    const an = tf.grad(g)(x);
    const v = tf.tensor1d([1, 0.5, -0.3, 0.2]);
    const h = 1e-2;
    const fd =
      (g(tf.add(x, tf.mul(v, h))).dataSync()[0] - g(tf.sub(x, tf.mul(v, h))).dataSync()[0]) / (2 * h);
    expect(Math.abs(tf.sum(tf.mul(an, v)).dataSync()[0] - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
  });
});
