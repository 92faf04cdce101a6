import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { installWasmZeroCopyKernels } from './wasm-zero-copy.js';

/** A gradient whose tape saves inputs (clones) and whose stock gradients cast float32 to float32. */
function mlpGrads(seed: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([8, 6], 0, 1, 'float32', seed);
    const w1 = tf.randomNormal([6, 5], 0, 1, 'float32', seed + 1);
    const w2 = tf.randomNormal([5, 3], 0, 1, 'float32', seed + 2);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.tanh(tf.matMul(x, a)), b)));
    return tf
      .grads(f)([w1, w2])
      .map((g) => g.dataSync() as Float32Array);
  });
}

describe('installWasmZeroCopyKernels', () => {
  let before: Float32Array[];

  beforeAll(async () => {
    await tf.setBackend('wasm');
    before = mlpGrads(3);
    expect(installWasmZeroCopyKernels()).toBe(true);
  });

  it('makes clone and same-dtype cast share the buffer, and keeps it alive by reference', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const c = tf.clone(x);
    const f = tf.cast(x, 'float32');
    expect(c.dataId).toBe(x.dataId);
    expect(f.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    expect(Array.from(f.dataSync())).toEqual([1, 2, 3]);
    f.dispose();
  });

  it('still converts between dtypes (a new buffer)', () => {
    const x = tf.tensor1d([1.7, -2.2, 3]);
    const i = tf.cast(x, 'int32');
    expect(i.dataId).not.toBe(x.dataId);
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    const s = tf.tensor1d(['a', 'b'], 'string');
    expect(tf.clone(s).dataSync()).toEqual(['a', 'b']);
    tf.dispose([x, i, s]);
  });

  it('gives the same gradients as the copying kernels and leaks nothing', () => {
    const n0 = tf.memory().numTensors;
    const after = mlpGrads(3);
    expect(tf.memory().numTensors).toBe(n0);
    expect(after.map((a) => Array.from(a))).toEqual(before.map((a) => Array.from(a)));
  });

  it('leaves a variable intact when a clone of it is disposed after assign', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2]);
    saved.dispose();
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    v.dispose();
  });
});
