import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stopGradient } from './stop-gradient.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('stopGradient', () => {
  it('is the identity in the forward pass', () => {
    const x = tf.tensor2d([1, -2, 3, 4], [2, 2]);
    const y = stopGradient(x);
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3, 4]);
    expect(y.shape).toEqual([2, 2]);
    tf.dispose([x, y]);
  });

  it('blocks the gradient: d/dx sum(x * sg(x^2)) = sg(x^2)', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(u, stopGradient(tf.square(u)))))(x);
    expect(Array.from(g.dataSync())).toEqual([1, 4, 9]);
    tf.dispose([x, g]);
  });

  it('is zero at second order too', () => {
    const x = tf.tensor1d([0.5, -1.5]);
    // f(u) = sum(u^2 * sg(u)); f' = 2 u sg(u); f'' (sum) = 2 sg(u)
    const gg = tf.grad((u: tf.Tensor) =>
      tf.sum(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), stopGradient(v))))(u)),
    )(x);
    expect(Array.from(gg.dataSync())).toEqual([1, -3]);
    tf.dispose([x, gg]);
  });

  it('never runs the backward pass of what produced its input', async () => {
    const w = tf.variable(tf.randomNormal([8, 8], 0, 1, 'float32', 1));
    const x = tf.randomNormal([4, 8], 0, 1, 'float32', 2);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => {
        const target = stopGradient(tf.matMul(x, w));
        return tf.sum(tf.square(tf.sub(tf.matMul(x, w), target))) as tf.Scalar;
      }, [w]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    // 2 forward products + the gradient of one (dW only; x is a constant) = 3; a zero-gradient
    // custom op instead of the tape cut would also run the target's backward (4).
    expect(info.kernels.filter((k) => k.name === 'BatchMatMul').length).toBe(3);
    tf.dispose([w, x]);
  });
});
