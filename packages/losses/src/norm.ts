import * as tf from '@tensorflow/tfjs-core';

/**
 * A norm of a residual over its last axis (the action dimension A): `[B, H, A] -> [B, H]`.
 * Losses then take the mean over the remaining entries and multiply by `lossScale`.
 */
export type NormFn = (residual: tf.Tensor) => tf.Tensor;

/** The built-in norms (reference `get_norm`). */
export type NormName = 'l2' | 'l1' | 'smooth_l1';

/** A built-in norm by name, or your own {@link NormFn}. */
export type NormOption = NormName | NormFn;

/** Sum of squares over the last axis, no square root (reference `l2`). */
export function l2(residual: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.square(residual), -1));
}

/** Sum of absolute values over the last axis. */
export function l1(residual: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.abs(residual), -1));
}

/**
 * Huber with PyTorch's default beta = 1, summed over the last axis:
 * `0.5 r^2` where `|r| < 1`, else `|r| - 0.5`.
 */
export function smoothL1(residual: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.abs(residual);
    const elementwise = tf.where(tf.less(a, 1), tf.mul(tf.square(residual), 0.5), tf.sub(a, 0.5));
    return tf.sum(elementwise, -1);
  });
}

/** Resolves a norm option; an unknown name is an error that lists the valid ones. */
export function resolveNorm(norm: NormOption = 'l2'): NormFn {
  if (typeof norm === 'function') return norm;
  switch (norm) {
    case 'l2':
      return l2;
    case 'l1':
      return l1;
    case 'smooth_l1':
      return smoothL1;
    default:
      throw new Error(
        `unknown norm '${String(norm)}': expected 'l2', 'l1', 'smooth_l1' or a function of the residual`,
      );
  }
}

/** lossScale * mean(norm(residual)): the reduction every loss except ctm and lmd uses. */
export function normLoss(residual: tf.Tensor, norm: NormFn, lossScale: number): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(norm(residual)), lossScale) as tf.Scalar);
}

/**
 * lossScale * mean over all elements of residual^2: the reduction of ctm and lmd, which in the
 * reference ignore `norm_type` and average (not sum) over the action axis.
 */
export function meanSquareLoss(residual: tf.Tensor, lossScale: number): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(tf.square(residual)), lossScale) as tf.Scalar);
}
