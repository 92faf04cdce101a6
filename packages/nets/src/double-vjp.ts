import * as tf from '@tensorflow/tfjs-core';

/**
 * Jacobian-vector product by the double-VJP identity:
 *
 * $$
 * J v = \frac{d}{du} \big\langle J^\top u, v \big\rangle \qquad \text{(for any } u\text{; the inner product is linear in } u\text{)}
 * $$
 *
 * TF.js has only reverse mode, so this costs two reverse passes, and differentiating a loss that
 * contains it needs third-order gradients. It is exact and generic (works for any function),
 * which makes it the fallback for networks without a forward-mode pass and the oracle that
 * checks the forward-mode passes.
 *
 * `f` must be a pure function of its input (no fresh randomness between calls). It may capture
 * tensors computed from `x`: the result is the partial derivative w.r.t. the argument alone (those
 * captured tensors held fixed), also inside an outer `tf.grad` / `tf.variableGrads`.
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
    // Differentiate w.r.t. a fresh copy of x, not x itself. Inside an outer gradient (a loss's
    // variableGrads) TF.js records everything on one shared tape, and tf.grad(g)(x) follows every
    // recorded path from x to g's output, so it would also run through ops that made `f`'s
    // captured inputs from x (x = I_s from s, s = max(s, t - deltaT) from t): a total derivative
    // where the JVP is the partial one. No recorded op reads the copy except those of `f(copy)`.
    // The copy is an Identity op on the tape (tf.clone), not a stop-gradient, so the outer
    // gradient still reaches x and its producers through the result, exactly.
    const xc = tf.clone(x);
    const vjp = (u: tf.Tensor) => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(f(xi), u)))(xc);
    const u0 = tf.zeros(outputShape ?? f(x).shape);
    return tf.grad((u: tf.Tensor) => tf.sum(tf.mul(vjp(u), v)))(u0);
  });
}
