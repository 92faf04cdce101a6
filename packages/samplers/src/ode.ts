import * as tf from '@tensorflow/tfjs-core';
import {
  EVAL,
  initialState,
  integrate,
  type SampleOptions,
  type SamplerContext,
  sampleShape,
  timeGrid,
} from './sampler.js';

/**
 * Euler ODE sampler of d/dt x = b_t(x | o) (reference `ode_sampler`): on the grid
 * linspace(0, 1, n + 1) (or `grid`),
 *
 * $$
 * x \leftarrow x + (t - s)\, b_s(x), \qquad b_s(x) = f(x, s, s, o),
 * $$
 *
 * from x_0 = 0 (default) or seeded noise. n network calls.
 */
export function eulerSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: SampleOptions = {},
): tf.Tensor3D {
  const shape = sampleShape('euler', ctx, cond, options);
  const grid = timeGrid('euler', options);
  return integrate(initialState('euler', shape, options), grid, (x, s, _t, dt) =>
    tf.add(x, tf.mul(ctx.flowMap.velocity(s, x, cond, EVAL), dt)),
  );
}

/**
 * Heun's method (explicit trapezoid, second order): with h = t - s,
 *
 * $$
 * x' = x + h\, b_s(x), \qquad x \leftarrow x + \tfrac{h}{2}\big(b_s(x) + b_t(x')\big).
 * $$
 *
 * 2n network calls; evaluates the velocity at t = 1 on the last step.
 */
export function heunSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: SampleOptions = {},
): tf.Tensor3D {
  const shape = sampleShape('heun', ctx, cond, options);
  const grid = timeGrid('heun', options);
  return integrate(initialState('heun', shape, options), grid, (x, s, t, dt) => {
    const k1 = ctx.flowMap.velocity(s, x, cond, EVAL);
    const k2 = ctx.flowMap.velocity(t, tf.add(x, tf.mul(k1, dt)) as tf.Tensor3D, cond, EVAL);
    return tf.add(x, tf.mul(tf.add(k1, k2), dt / 2));
  });
}

/**
 * Explicit midpoint method (second order): with h = t - s and m = s + h / 2,
 *
 * $$
 * x \leftarrow x + h\, b_m\big(x + \tfrac{h}{2}\, b_s(x)\big).
 * $$
 *
 * 2n network calls; never evaluates at t = 1.
 */
export function midpointSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: SampleOptions = {},
): tf.Tensor3D {
  const shape = sampleShape('midpoint', ctx, cond, options);
  const grid = timeGrid('midpoint', options);
  return integrate(initialState('midpoint', shape, options), grid, (x, s, t, dt) => {
    const k1 = ctx.flowMap.velocity(s, x, cond, EVAL);
    const mid = tf.div(tf.add(s, t), 2) as tf.Tensor1D;
    const k2 = ctx.flowMap.velocity(mid, tf.add(x, tf.mul(k1, dt / 2)) as tf.Tensor3D, cond, EVAL);
    return tf.add(x, tf.mul(k2, dt));
  });
}
