import * as tf from '@tensorflow/tfjs-core';
import type { Dual, VariableScope } from './module.js';

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Variance epsilon (default 1e-5, PyTorch's). */
  eps?: number;
  /** Learned scale `gamma` (init 1) and shift `beta` (init 0); default true. */
  affine?: boolean;
}

/**
 * Normalises `x` over its last `normalizedAxes` axes with given axes as "the features":
 *   mu = mean(x), xc = x - mu, var = mean(xc^2) (biased), r = (var + eps)^(-1/2),
 *   xhat = xc r, y = gamma xhat + beta.
 * Built from elementary ops (not the batchNorm op, which has no higher-order gradient in TF.js).
 *
 * Dual, with dmu = mean(dx), dxc = dx - dmu:
 *   dvar = 2 mean(xc dxc),  dr = -r^3 dvar / 2,  dxhat = dxc r + xc dr,  dy = gamma dxhat.
 */
export function normalizeDual(
  x: tf.Tensor,
  dx: tf.Tensor | null,
  axes: number[],
  eps: number,
): { xhat: tf.Tensor; dxhat: tf.Tensor | null } {
  const mu = tf.mean(x, axes, true);
  const xc = tf.sub(x, mu);
  const variance = tf.mean(tf.square(xc), axes, true);
  const r = tf.rsqrt(tf.add(variance, eps));
  const xhat = tf.mul(xc, r);
  if (!dx) return { xhat, dxhat: null };
  const dxc = tf.sub(dx, tf.mean(dx, axes, true));
  const dvar = tf.mul(tf.mean(tf.mul(xc, dxc), axes, true), 2);
  const dr = tf.mul(tf.mul(tf.pow(r, 3), dvar), -0.5);
  const dxhat = tf.add(tf.mul(dxc, r), tf.mul(xc, dr));
  return { xhat, dxhat };
}

/**
 * Layer normalisation over the last axis of size `dim` (PyTorch `nn.LayerNorm(dim)`): variables
 * `gamma` [dim] (ones) and `beta` [dim] (zeros). Dual formula: see {@link normalizeDual}.
 */
export class LayerNorm {
  readonly dim: number;
  readonly eps: number;
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;

  constructor(scope: VariableScope, dim: number, options: LayerNormOptions = {}) {
    this.dim = dim;
    this.eps = options.eps ?? 1e-5;
    if (options.affine ?? true) {
      this.gamma = scope.variable('gamma', tf.ones([dim]));
      this.beta = scope.variable('beta', tf.zeros([dim]));
    } else {
      this.gamma = null;
      this.beta = null;
    }
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.affine(normalizeDual(x, null, [x.rank - 1], this.eps).xhat));
  }

  applyDual(x: tf.Tensor, dx: tf.Tensor): Dual {
    return tf.tidy(() => {
      const { xhat, dxhat } = normalizeDual(x, dx, [x.rank - 1], this.eps);
      const dy = this.gamma ? tf.mul(dxhat!, this.gamma) : dxhat!;
      return [this.affine(xhat), dy] as Dual;
    });
  }

  private affine(xhat: tf.Tensor): tf.Tensor {
    if (!this.gamma || !this.beta) return xhat;
    return tf.add(tf.mul(xhat, this.gamma), this.beta);
  }
}
