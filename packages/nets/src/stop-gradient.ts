import * as tf from '@tensorflow/tfjs-core';

const identityWithZeroGradient = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [tf.zerosLike(dy as tf.Tensor)],
}));

/**
 * Identity in the forward pass, zero gradient in the backward pass (TF.js has no
 * `stopGradient`; a custom gradient that returns zeros is the equivalent of `detach()`).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return identityWithZeroGradient(x) as T;
}
