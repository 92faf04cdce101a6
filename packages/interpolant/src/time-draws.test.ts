import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RandomStream } from './random-stream.js';
import {
  clampTimePair,
  intermediateTime,
  sampleLogitNormalTime,
  sampleLogitNormalTimePair,
  sampleTimePair,
  sampleUniformTime,
} from './time-draws.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (x: tf.Tensor) => Array.from(x.dataSync());

describe('seeded time draws', () => {
  it('the same seed gives the same draws, another seed other draws', () => {
    const a = values(sampleUniformTime(new RandomStream(7), 16));
    const b = values(sampleUniformTime(new RandomStream(7), 16));
    const c = values(sampleUniformTime(new RandomStream(8), 16));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });

  it('successive draws of one stream differ', () => {
    const rng = new RandomStream(1);
    expect(values(sampleUniformTime(rng, 8))).not.toEqual(values(sampleUniformTime(rng, 8)));
  });

  it('uniform draws have mean 1/2 and variance 1/12', () => {
    const t = values(sampleUniformTime(new RandomStream(3), 20_000));
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const variance = t.reduce((a, b) => a + (b - mean) ** 2, 0) / t.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
  });

  it('clampTimePair orders the draws and applies s = max(s, t - delta)', () => {
    const { s, t } = clampTimePair(tf.tensor1d([0.9, 0.1, 0.5]), tf.tensor1d([0.2, 0.3, 0.5]), 0.5);
    expect(values(t)).toEqual([0.9, 0.3, 0.5].map(Math.fround));
    // min = [0.2, 0.1, 0.5]; t - delta = [0.4, -0.2, 0]; s = max(...)
    [0.4, 0.1, 0.5].forEach((v, i) => expect(values(s)[i]).toBeCloseTo(v, 6));
  });

  it('sampleTimePair: s <= t, t - s <= delta, and delta = 0 forces s = t', () => {
    const { s, t } = sampleTimePair(new RandomStream(11), 1000, 0.25);
    const sv = values(s);
    const tv = values(t);
    sv.forEach((x, i) => {
      expect(x).toBeLessThanOrEqual(tv[i]);
      expect(tv[i] - x).toBeLessThanOrEqual(0.25 + 1e-7);
    });
    const zero = sampleTimePair(new RandomStream(11), 10, 0);
    expect(values(zero.s)).toEqual(values(zero.t));
  });

  it('sampleTimePair with delta = 1: t is the max of two uniforms (E[t] = 2/3)', () => {
    const tv = values(sampleTimePair(new RandomStream(5), 20_000).t);
    const mean = tv.reduce((a, b) => a + b, 0) / tv.length;
    expect(Math.abs(mean - 2 / 3)).toBeLessThan(0.01);
  });

  it('sampleTimePair accepts a per-sample delta tensor', () => {
    const { s, t } = sampleTimePair(new RandomStream(2), 3, tf.tensor1d([0, 0, 1]));
    const sv = values(s);
    const tv = values(t);
    expect(sv[0]).toBe(tv[0]);
    expect(sv[1]).toBe(tv[1]);
  });

  it('intermediateTime: u = s + h (t - s)', () => {
    const u = values(
      intermediateTime(tf.tensor1d([0.2, 0]), tf.tensor1d([0.6, 1]), tf.tensor1d([0.5, 0.25])),
    );
    expect(u[0]).toBeCloseTo(0.4, 6);
    expect(u[1]).toBeCloseTo(0.25, 6);
  });

  it('logit-normal: logit(t) has the requested mean and std', () => {
    const t = values(sampleLogitNormalTime(new RandomStream(9), 20_000, { mean: -0.4, std: 1 }));
    const logits = t.map((x) => Math.log(x / (1 - x)));
    const mean = logits.reduce((a, b) => a + b, 0) / logits.length;
    const std = Math.sqrt(logits.reduce((a, b) => a + (b - mean) ** 2, 0) / logits.length);
    expect(Math.abs(mean + 0.4)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });

  it('logit-normal pair: s <= t and about distinctFraction of the pairs differ', () => {
    const { s, t } = sampleLogitNormalTimePair(new RandomStream(4), 4000, { distinctFraction: 0.25 });
    const sv = values(s);
    const tv = values(t);
    let distinct = 0;
    sv.forEach((x, i) => {
      expect(x).toBeLessThanOrEqual(tv[i]);
      if (x !== tv[i]) distinct++;
    });
    expect(Math.abs(distinct / 4000 - 0.25)).toBeLessThan(0.03);
  });

  it('rejects bad options', () => {
    const rng = new RandomStream(0);
    expect(() => sampleUniformTime(rng, 0)).toThrow('batch size must be a positive integer, got 0');
    expect(() => sampleTimePair(rng, 4, -1)).toThrow('deltaT must be a number >= 0');
    expect(() => sampleLogitNormalTime(rng, 4, { std: 0 })).toThrow('logit-normal std must be > 0');
    expect(() => sampleLogitNormalTimePair(rng, 4, { distinctFraction: 2 })).toThrow('distinctFraction');
    expect(() => new RandomStream(Number.NaN)).toThrow('seed must be a finite number');
  });

  it('does not leak tensors', () => {
    const rng = new RandomStream(0);
    const before = tf.memory().numTensors;
    const pair = sampleTimePair(rng, 8, 0.5);
    const lp = sampleLogitNormalTimePair(rng, 8);
    tf.dispose([pair.s, pair.t, lp.s, lp.t]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
