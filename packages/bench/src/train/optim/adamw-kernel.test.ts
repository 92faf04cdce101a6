import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { ADAMW_KERNEL, adamwUpdate } from './adamw-kernel.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('fused AdamW kernel', () => {
  it('computes one update by the formula, element by element', () => {
    const p = Float32Array.of(1, -2, 0.5);
    const m = Float32Array.of(0.1, 0, -0.2);
    const v = Float32Array.of(0.01, 0.04, 0);
    const g = Float32Array.of(0.5, -1, 2);
    const out = { p: new Float32Array(3), m: new Float32Array(3), v: new Float32Array(3) };
    const s = {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.99,
      eps: 1e-3,
      decay: 0.98,
      bc1: 0.19,
      bc2: 0.0199,
      gradScale: 0.5,
    };
    adamwUpdate(p, m, v, g, out, s);
    for (let i = 0; i < 3; i++) {
      const gi = 0.5 * g[i];
      const mi = 0.9 * m[i] + 0.1 * gi;
      const vi = 0.99 * v[i] + 0.01 * gi * gi;
      expect(out.m[i]).toBeCloseTo(mi, 7);
      expect(out.v[i]).toBeCloseTo(vi, 7);
      expect(out.p[i]).toBeCloseTo(0.98 * p[i] - (0.1 * mi) / 0.19 / (Math.sqrt(vi / 0.0199) + 1e-3), 6);
    }
  });

  it('runs on the wasm heap and agrees with the op-by-op update, without leaks', () => {
    const init = tf.randomNormal([300, 70], 0, 1, 'float32', 5);
    const [a, b] = [tf.variable(init.clone()), tf.variable(init.clone())];
    const fused = new AdamW([a], { lr: 1e-2, weightDecay: 0.1 });
    const plain = new AdamW([b], { lr: 1e-2, weightDecay: 0.1, fused: false });
    const g = tf.randomNormal([300, 70], 0, 1, 'float32', 6);
    fused.step([g]);
    plain.step([g]);
    expect(tf.getKernel(ADAMW_KERNEL, 'wasm')).toBeDefined();
    const n0 = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) {
      fused.step([g], 1e-2, 0.5);
      plain.step([g], 1e-2, 0.5);
    }
    expect(tf.memory().numTensors).toBe(n0);
    // Weights of size up to ~4: a few float32 ulps (4.8e-7 each) of the chain's roundings.
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(5e-6);
    fused.dispose();
    plain.dispose();
    tf.dispose([init, a, b, g]);
  });
});
