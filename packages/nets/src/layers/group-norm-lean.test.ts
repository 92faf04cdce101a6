import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFastWasmKernels } from '../wasm-kernels.js';
import { GroupNorm } from './group-norm.js';
import { haveGroupNormKernels } from './group-norm-kernels.js';
import { groupNormLean } from './group-norm-lean.js';
import { VariableStore } from './module.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('groupNormLean', () => {
  it('matches GroupNorm forward and autodiff gradients, and central differences', () => {
    const store = new VariableStore();
    const gn = new GroupNorm(store.root().child('gn'), 8, { groups: 2 });
    gn.gamma!.assign(tf.randomNormal([8], 1, 0.3, 'float32', 3));
    gn.beta!.assign(tf.randomNormal([8], 0, 0.3, 'float32', 4));
    const x = tf.randomNormal([2, 5, 8], 0, 1.5, 'float32', 1);
    const w = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const lossLean = (xx: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(groupNormLean(xx, g, bb, 2), w)) as tf.Scalar;
    const gLean = tf.grads(lossLean)([x, gn.gamma!, gn.beta!]);
    const gRef = tf.grads((xx: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => {
      const [b, l, c] = xx.shape;
      const grouped = tf.reshape(xx, [b, l, 2, c / 2]);
      const m = tf.moments(grouped, [1, 3], true);
      const xhat = tf.reshape(tf.div(tf.sub(grouped, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), [b, l, c]);
      return tf.sum(tf.mul(tf.add(tf.mul(xhat, g), bb), w)) as tf.Scalar;
    })([x, gn.gamma!, gn.beta!]);
    expect(tf.tidy(() => maxAbs(groupNormLean(x, gn.gamma!, gn.beta!, 2), gn.apply(x)))).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) expect(maxAbs(gLean[i], gRef[i])).toBeLessThan(1e-4);
    // Central differences on a few x entries (float32, h = 1e-2).
    const xv = x.dataSync();
    const gx = gLean[0].dataSync();
    for (const k of [0, 7, 19, 33, 61]) {
      const h = 1e-2;
      const plus = Float32Array.from(xv);
      const minus = Float32Array.from(xv);
      plus[k] += h;
      minus[k] -= h;
      const fd = tf.tidy(
        () =>
          (lossLean(tf.tensor(plus, x.shape), gn.gamma!, gn.beta!).dataSync()[0] -
            lossLean(tf.tensor(minus, x.shape), gn.gamma!, gn.beta!).dataSync()[0]) /
          (2 * h),
      );
      expect(Math.abs(fd - gx[k])).toBeLessThan(2e-2 * Math.max(1, Math.abs(gx[k])));
    }
    tf.dispose([...gLean, ...gRef]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});

describe('groupNormLean on wasm with the fused kernels (installFastWasmKernels)', () => {
  it('matches the tf-ops path on cpu (value and the three gradients) and leaks no tensor', async () => {
    const x = [3, 7, 12];
    const run = () =>
      tf.tidy(() => {
        const xs = tf.randomNormal(x, 0.5, 1.5, 'float32', 1);
        const w = tf.randomNormal(x, 0, 1, 'float32', 2);
        const g = tf.randomNormal([12], 1, 0.3, 'float32', 3);
        const b = tf.randomNormal([12], 0, 0.3, 'float32', 4);
        const f = (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(groupNormLean(a, gg, bb, 3), w)) as tf.Scalar;
        const grads = tf.grads(f)([xs, g, b]);
        return [groupNormLean(xs, g, b, 3), ...grads].map((t) => Array.from(t.dataSync()));
      });
    await tf.setBackend('cpu');
    const want = run();
    await tf.setBackend('wasm');
    expect(installFastWasmKernels()).toBe(true);
    expect(haveGroupNormKernels()).toBe(true);
    const before = tf.memory().numTensors;
    const got = run();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < 4; i++) {
      const m = Math.max(...got[i]!.map((v, k) => Math.abs(v - want[i]![k]!)));
      expect(m, `output ${i}`).toBeLessThan(1e-4);
    }
    await tf.setBackend('cpu');
  });
});
