import * as tf from '@tensorflow/tfjs-core';
import type { RandomStream } from './random-stream.js';

/** A pair of times per sample with `s <= t`, both of shape `[B]`. */
export interface TimePair {
  s: tf.Tensor1D;
  t: tf.Tensor1D;
}

function checkBatch(batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new Error(`batch size must be a positive integer, got ${batch}`);
  }
}

/** t ~ U(0, 1), shape `[B]`: the flow-matching time draw. */
export function sampleUniformTime(rng: RandomStream, batch: number): tf.Tensor1D {
  checkBatch(batch);
  return rng.uniform([batch]) as tf.Tensor1D;
}

/**
 * Ordered pair (s, t) of the self-distillation losses (reference §3.3):
 * u1, u2 ~ U(0, 1); s = min(u1, u2); t = max(u1, u2); then s = max(s, t - deltaT).
 *
 * `deltaT` caps the gap t - s (a number or a `[B]` tensor). With deltaT = 0 the clamp forces
 * s = t, so the distillation terms see zero-length jumps; the warm-up schedule
 * ({@link WarmupAnnealing}) grows it from 0 to 1 during training.
 */
export function sampleTimePair(rng: RandomStream, batch: number, deltaT: number | tf.Tensor = 1): TimePair {
  checkBatch(batch);
  if (typeof deltaT === 'number' && !(deltaT >= 0)) {
    throw new Error(`deltaT must be a number >= 0, got ${deltaT}`);
  }
  const u1 = rng.uniform([batch]);
  const u2 = rng.uniform([batch]);
  const pair = clampTimePair(u1, u2, deltaT);
  tf.dispose([u1, u2]);
  return pair;
}

/**
 * The deterministic part of {@link sampleTimePair}: orders two draws and applies the clamp
 * s = max(min(u1, u2), max(u1, u2) - deltaT). Exposed so tests and fixed draws can use it.
 */
export function clampTimePair(u1: tf.Tensor, u2: tf.Tensor, deltaT: number | tf.Tensor = 1): TimePair {
  return tf.tidy(() => {
    const t = tf.maximum(u1, u2) as tf.Tensor1D;
    const s = tf.maximum(tf.minimum(u1, u2), tf.sub(t, deltaT)) as tf.Tensor1D;
    return { s, t };
  });
}

/** u = s + h (t - s), the intermediate time of progressive self-distillation; h in [0, 1]. */
export function intermediateTime(s: tf.Tensor, t: tf.Tensor, h: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.add(s, tf.mul(h, tf.sub(t, s)))) as tf.Tensor1D;
}

/** Options of the logit-normal time draw (MeanFlow's recipe). */
export interface LogitNormalOptions {
  /** Mean of the normal before the sigmoid. MeanFlow uses -0.4. */
  mean?: number;
  /** Standard deviation of the normal before the sigmoid. MeanFlow uses 1.0. */
  std?: number;
}

/** t = sigmoid(mean + std * n), n ~ N(0, 1): times concentrated in the middle of [0, 1]. */
export function sampleLogitNormalTime(
  rng: RandomStream,
  batch: number,
  { mean = -0.4, std = 1 }: LogitNormalOptions = {},
): tf.Tensor1D {
  checkBatch(batch);
  if (!(std > 0)) throw new Error(`logit-normal std must be > 0, got ${std}`);
  const n = rng.normal([batch]);
  const t = tf.tidy(() => tf.sigmoid(tf.add(tf.mul(n, std), mean))) as tf.Tensor1D;
  n.dispose();
  return t;
}

/** Options of {@link sampleLogitNormalTimePair}. */
export interface LogitNormalPairOptions extends LogitNormalOptions {
  /**
   * Fraction of samples whose two times differ; the others get s = t (a plain flow-matching
   * sample). MeanFlow's best setting draws s != t for 25% of the batch.
   */
  distinctFraction?: number;
}

/**
 * MeanFlow's time pair: two logit-normal draws ordered so that s <= t, and s = t for a
 * fraction `1 - distinctFraction` of the samples.
 */
export function sampleLogitNormalTimePair(
  rng: RandomStream,
  batch: number,
  { distinctFraction = 0.25, ...normal }: LogitNormalPairOptions = {},
): TimePair {
  if (!(distinctFraction >= 0 && distinctFraction <= 1)) {
    throw new Error(`distinctFraction must be in [0, 1], got ${distinctFraction}`);
  }
  const a = sampleLogitNormalTime(rng, batch, normal);
  const b = sampleLogitNormalTime(rng, batch, normal);
  const coin = rng.uniform([batch]);
  const pair = tf.tidy(() => {
    const t = tf.maximum(a, b) as tf.Tensor1D;
    const distinct = tf.less(coin, distinctFraction);
    const s = tf.where(distinct, tf.minimum(a, b), t) as tf.Tensor1D;
    return { s, t };
  });
  tf.dispose([a, b, coin]);
  return pair;
}
