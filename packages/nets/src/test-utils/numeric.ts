import * as tf from '@tensorflow/tfjs-core';

/** Max |a - b| / (max |b| + floor). */
export function relError(a: tf.Tensor, b: tf.Tensor, floor = 1e-6): number {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  const m = tf.tidy(() => tf.max(tf.abs(b)).dataSync()[0]);
  return d / (m + floor);
}

/** Central finite difference of f along v at x: (f(x + h v) - f(x - h v)) / 2h. */
export function centralDifference(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  v: tf.Tensor,
  h: number,
): tf.Tensor {
  return tf.tidy(() => tf.div(tf.sub(f(tf.add(x, tf.mul(v, h))), f(tf.sub(x, tf.mul(v, h)))), 2 * h));
}
