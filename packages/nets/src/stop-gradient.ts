import * as tf from '@tensorflow/tfjs-core';

/**
 * Identity in the forward pass, no gradient in the backward pass (PyTorch's `detach()`; TF.js
 * has no `stopGradient`).
 *
 * How: the copy of `x` is made inside a custom op whose only input is a fresh constant. Ops run
 * inside a custom op are not recorded on the tape, so the tape holds no path from `x` to the
 * result, and backprop never visits what produced `x`. (A custom gradient that returns zeros for
 * `x` has the same values, but TF.js still runs the whole backward pass of `x`'s producers on
 * those zeros: in lsd, esd, psd, mf and ctm that is a full wasted backward pass of the target's
 * network evaluation.) Gradients of every order through the result are exactly zero; a variable
 * reached only through it gets no gradient entry (`variableGrads` omits it).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const anchor = tf.scalar(0);
  const detached = tf.customGrad((a: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.clone(x),
    gradFunc: () => [tf.zerosLike(a as tf.Tensor)],
  }))(anchor) as T;
  anchor.dispose();
  return detached;
}
