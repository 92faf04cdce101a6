import * as tf from '@tensorflow/tfjs-core';

/**
 * Jacobian-vector product by the double-VJP identity:
 *
 *   J v = d/du < J^T u, v >   (for any u; the inner product is linear in u)
 *
 * TF.js has only reverse mode, so this costs two reverse passes, and differentiating a loss that
 * contains it needs third-order gradients. It is exact and generic (works for any function),
 * which makes it the fallback for networks without a forward-mode pass and the oracle that
 * checks the forward-mode passes.
 *
 * `f` must be a pure function of its input (no fresh randomness between calls).
 */
export function jvpByDoubleVjp(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  v: tf.Tensor,
  /** Shape of `f(x)`; when omitted, `f` is evaluated once more to find it. */
  outputShape?: number[],
): tf.Tensor {
  if (!x.shape.every((d, i) => d === v.shape[i]) || x.rank !== v.rank) {
    throw new Error(
      `tangent has shape [${v.shape.join(', ')}] but the input has shape [${x.shape.join(', ')}]: they must match`,
    );
  }
  return tf.tidy(() => {
    const vjp = (u: tf.Tensor) => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(f(xi), u)))(x);
    const u0 = tf.zeros(outputShape ?? f(x).shape);
    return tf.grad((u: tf.Tensor) => tf.sum(tf.mul(vjp(u), v)))(u0);
  });
}
