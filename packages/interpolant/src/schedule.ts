import * as tf from '@tensorflow/tfjs-core';

/**
 * An interpolation schedule: the coefficients of
 *
 * $$
 * I_t = \alpha(t)\, x_0 + \beta(t)\, x_1
 * $$
 *
 * and their time derivatives. `x0` is the noise end (weight 1 at t = 0) and `x1` the data end.
 * Every method maps a tensor of times to a tensor of the same shape.
 *
 * To use your own schedule, implement this interface (keep `alphaDot`/`betaDot` exact: the
 * flow target `dI/dt` is built from them) and pass it to {@link Interpolant}.
 */
export interface Schedule {
  /** A short name used in configs and errors. */
  readonly name: string;
  alpha(t: tf.Tensor): tf.Tensor;
  beta(t: tf.Tensor): tf.Tensor;
  alphaDot(t: tf.Tensor): tf.Tensor;
  betaDot(t: tf.Tensor): tf.Tensor;
}

/** Linear schedule: alpha = 1 - t, beta = t, so dI/dt = x1 - x0 (the straight path). */
export const linearSchedule: Schedule = {
  name: 'linear',
  alpha: (t) => tf.sub(1, t),
  beta: (t) => tf.clone(t),
  alphaDot: (t) => tf.fill(t.shape, -1),
  betaDot: (t) => tf.onesLike(t),
};

const HALF_PI = Math.PI / 2;

/**
 * Trigonometric schedule: alpha = cos(pi t / 2), beta = sin(pi t / 2); alpha^2 + beta^2 = 1,
 * so the path keeps unit variance between two standard normals.
 */
export const trigSchedule: Schedule = {
  name: 'trig',
  alpha: (t) => tf.tidy(() => tf.cos(tf.mul(t, HALF_PI))),
  beta: (t) => tf.tidy(() => tf.sin(tf.mul(t, HALF_PI))),
  alphaDot: (t) => tf.tidy(() => tf.mul(tf.sin(tf.mul(t, HALF_PI)), -HALF_PI)),
  betaDot: (t) => tf.tidy(() => tf.mul(tf.cos(tf.mul(t, HALF_PI)), HALF_PI)),
};

/** The built-in schedules by name. */
export const schedules: Readonly<Record<'linear' | 'trig', Schedule>> = {
  linear: linearSchedule,
  trig: trigSchedule,
};

/** The names accepted by {@link scheduleByName}. */
export type ScheduleName = keyof typeof schedules;

/**
 * Looks a built-in schedule up by name; an unknown name is an error that lists the valid ones
 * (the reference raises `NotImplementedError("Interpolant type '<x>' not implemented.")`).
 */
export function scheduleByName(name: string): Schedule {
  if (Object.hasOwn(schedules, name)) return schedules[name as ScheduleName];
  throw new Error(
    `Interpolant type '${name}' not implemented: expected one of ${Object.keys(schedules)
      .map((n) => `'${n}'`)
      .join(', ')}, or pass your own Schedule object.`,
  );
}
