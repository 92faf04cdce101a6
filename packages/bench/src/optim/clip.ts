import * as tf from '@tensorflow/tfjs-core';

/**
 * Global-norm gradient clipping (PyTorch `clip_grad_norm_`): with n = sqrt(sum_i ||g_i||^2),
 * every gradient is scaled by min(1, maxNorm / (n + 1e-6)). Returns new tensors (the inputs are
 * not disposed) and the norm before clipping, read back to the host.
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: number } {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const norm = normT.dataSync()[0];
  normT.dispose();
  const coef = maxNorm / (norm + 1e-6);
  if (!(maxNorm > 0) || !(coef < 1) || !Number.isFinite(norm)) {
    return { grads: grads.map((g) => tf.clone(g)), norm };
  }
  return { grads: tf.tidy(() => grads.map((g) => tf.mul(g, coef))), norm };
}
