import * as tf from '@tensorflow/tfjs-core';
import { mish } from './layers/activations.js';
import { Dense } from './layers/dense.js';
import type { Dual, VariableScope } from './layers/module.js';

/**
 * A time embedding `t: [B] -> [B, dim]` with its forward-mode pass `d emb / dt · dt`
 * (`dt: [B]`, per-sample).
 */
export interface TimeEmbedding {
  readonly dim: number;
  apply(t: tf.Tensor1D): tf.Tensor2D;
  applyDual(t: tf.Tensor1D, dt: tf.Tensor1D): Dual<tf.Tensor2D>;
}

/** Names of the time embeddings of the reference's `SUPPORTED_TIMESTEP_EMBEDDING`. */
export const TIME_EMBEDDING_TYPES = [
  'positional',
  'sinusoidal',
  'fourier',
  'untrainable_positional',
  'untrainable_fourier',
] as const;
export type TimeEmbeddingType = (typeof TIME_EMBEDDING_TYPES)[number];

function requireEven(dim: number, what: string, multiple = 2): void {
  if (!Number.isInteger(dim) || dim <= 0 || dim % multiple !== 0) {
    throw new Error(`${what}: dim must be a positive multiple of ${multiple}, got ${dim}`);
  }
}

/**
 * Fixed-frequency features `[f1(t w_k), f2(t w_k)]` with `(f1, f2)` = (cos, sin) or (sin, cos).
 * Dual: `d sin(t w) = cos(t w) w dt`, `d cos(t w) = -sin(t w) w dt`.
 */
export class SinCosFeatures implements TimeEmbedding {
  readonly dim: number;
  readonly order: 'cos-sin' | 'sin-cos';
  /** Frequencies w_k (already including any 2 pi factor), or a fixed variable holding them. */
  private readonly freqs: Float32Array | tf.Variable;

  constructor(freqs: Float32Array | tf.Variable, order: 'cos-sin' | 'sin-cos') {
    this.freqs = freqs;
    this.order = order;
    this.dim = 2 * (freqs instanceof Float32Array ? freqs.length : freqs.shape[0]);
  }

  private freqTensor(): tf.Tensor2D {
    return (
      this.freqs instanceof Float32Array
        ? tf.tensor2d(this.freqs, [1, this.freqs.length])
        : tf.reshape(this.freqs, [1, -1])
    ) as tf.Tensor2D;
  }

  private checkT(t: tf.Tensor): void {
    if (t.rank !== 1) throw new Error(`time embedding expects t of shape [B], got [${t.shape.join(', ')}]`);
  }

  apply(t: tf.Tensor1D): tf.Tensor2D {
    this.checkT(t);
    return tf.tidy(() => {
      const arg = tf.matMul(tf.reshape(t, [-1, 1]) as tf.Tensor2D, this.freqTensor());
      const [a, b] = this.order === 'cos-sin' ? [tf.cos(arg), tf.sin(arg)] : [tf.sin(arg), tf.cos(arg)];
      return tf.concat([a, b], 1) as tf.Tensor2D;
    });
  }

  applyDual(t: tf.Tensor1D, dt: tf.Tensor1D): Dual<tf.Tensor2D> {
    this.checkT(t);
    return tf.tidy(() => {
      const w = this.freqTensor();
      const arg = tf.matMul(tf.reshape(t, [-1, 1]) as tf.Tensor2D, w);
      const dArg = tf.matMul(tf.reshape(dt, [-1, 1]) as tf.Tensor2D, w);
      const c = tf.cos(arg);
      const s = tf.sin(arg);
      const dc = tf.neg(tf.mul(s, dArg));
      const ds = tf.mul(c, dArg);
      const y = this.order === 'cos-sin' ? tf.concat([c, s], 1) : tf.concat([s, c], 1);
      const dy = this.order === 'cos-sin' ? tf.concat([dc, ds], 1) : tf.concat([ds, dc], 1);
      return [y, dy] as Dual<tf.Tensor2D>;
    });
  }
}

/**
 * `PositionalEmbedding(dim)`: `w_k = (1/10000)^(k / (dim/2))`, `k = 0..dim/2-1`, output
 * `[cos(t w), sin(t w)]` (cos first). t is not rescaled. Also the reference's
 * `UntrainablePositionalEmbedding` (the same features).
 */
export function positionalEmbedding(dim: number, maxPositions = 10000): SinCosFeatures {
  requireEven(dim, 'positional embedding');
  const half = dim / 2;
  const w = new Float32Array(half);
  for (let k = 0; k < half; k++) w[k] = (1 / maxPositions) ** (k / half);
  return new SinCosFeatures(w, 'cos-sin');
}

/** `SinusoidalEmbedding(dim)`: `w_k = exp(-k ln(10000) / (dim/2 - 1))`, output `[sin, cos]`. */
export function sinusoidalEmbedding(dim: number): SinCosFeatures {
  requireEven(dim, 'sinusoidal embedding');
  const half = dim / 2;
  if (half < 2) throw new Error(`sinusoidal embedding: dim must be at least 4, got ${dim}`);
  const w = new Float32Array(half);
  for (let k = 0; k < half; k++) w[k] = Math.exp((-k * Math.log(10000)) / (half - 1));
  return new SinCosFeatures(w, 'sin-cos');
}

/**
 * The MLP / RNN "uniform frequency" features: `w = linspace(0, maxFreq, dim/2)`, output
 * `[sin(t w), cos(t w)]` (sin first).
 */
export function uniformFrequencyEmbedding(dim: number, maxFreq = 100): SinCosFeatures {
  requireEven(dim, 'uniform-frequency embedding');
  const half = dim / 2;
  const w = new Float32Array(half);
  for (let k = 0; k < half; k++) w[k] = half === 1 ? 0 : (maxFreq * k) / (half - 1);
  return new SinCosFeatures(w, 'sin-cos');
}

/** Fixed Gaussian frequencies `randn(n) * scale * 2 pi`, stored as a non-trainable variable. */
function fixedFrequencies(scope: VariableScope, n: number, scale: number): tf.Variable {
  const rng = scope.rng();
  const w = new Float32Array(n);
  for (let k = 0; k < n; k++) w[k] = rng.normal() * scale * 2 * Math.PI;
  return scope.variable('freqs', tf.tensor1d(w), false);
}

/**
 * `UntrainableFourierEmbedding(dim)`: fixed `f = randn(dim/2) * 16` (seeded, a non-trainable
 * variable `freqs` holding `2 pi f`), output `[cos(2 pi t f), sin(2 pi t f)]`.
 */
export function untrainableFourierEmbedding(scope: VariableScope, dim: number, scale = 16): SinCosFeatures {
  requireEven(dim, 'untrainable fourier embedding');
  return new SinCosFeatures(fixedFrequencies(scope, dim / 2, scale), 'cos-sin');
}

/**
 * `FourierEmbedding(dim, scale=16)`: fixed `f = randn(dim/8) * 16`, features
 * `[cos(2 pi t f), sin(2 pi t f)]` (dim/4) -> `Linear(dim/4, dim) -> Mish -> Linear(dim, dim)`
 * (PyTorch default init). Dual: the features' dual through the layers' duals.
 */
export class FourierEmbedding implements TimeEmbedding {
  readonly dim: number;
  private readonly features: SinCosFeatures;
  private readonly fc1: Dense;
  private readonly fc2: Dense;

  constructor(scope: VariableScope, dim: number, scale = 16) {
    requireEven(dim, 'fourier embedding', 8);
    this.dim = dim;
    this.features = new SinCosFeatures(fixedFrequencies(scope, dim / 8, scale), 'cos-sin');
    this.fc1 = new Dense(scope.child('fc1'), dim / 4, dim);
    this.fc2 = new Dense(scope.child('fc2'), dim, dim);
  }

  apply(t: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.apply(mish.apply(this.fc1.apply(this.features.apply(t)))) as tf.Tensor2D);
  }

  applyDual(t: tf.Tensor1D, dt: tf.Tensor1D): Dual<tf.Tensor2D> {
    return tf.tidy(() => {
      let [h, dh] = this.features.applyDual(t, dt) as Dual;
      [h, dh] = this.fc1.applyDual(h, dh);
      [h, dh] = mish.applyDual(h, dh);
      return this.fc2.applyDual(h, dh) as Dual<tf.Tensor2D>;
    });
  }
}

/** A time embedding by its reference name; the error lists the valid names. */
export function createTimeEmbedding(type: string, scope: VariableScope, dim: number): TimeEmbedding {
  switch (type) {
    case 'positional':
    case 'untrainable_positional':
      return positionalEmbedding(dim);
    case 'sinusoidal':
      return sinusoidalEmbedding(dim);
    case 'fourier':
      return new FourierEmbedding(scope, dim);
    case 'untrainable_fourier':
      return untrainableFourierEmbedding(scope, dim);
    default:
      throw new Error(`unknown time embedding '${type}'; valid: ${TIME_EMBEDDING_TYPES.join(', ')}`);
  }
}
