import * as tf from '@tensorflow/tfjs-core';
import { type Schedule, scheduleByName } from './schedule.js';

/**
 * Reshapes per-sample times `t: [B]` to `[B, 1, ..., 1]` so they broadcast over `like: [B, ...]`
 * (the reference's `at_least_ndim`). A scalar `t` is broadcast as it is.
 */
export function broadcastTime(t: tf.Tensor, like: tf.Tensor): tf.Tensor {
  if (t.rank === 0) return t;
  if (t.rank !== 1) {
    throw new Error(`time t must have shape [B] or be a scalar, got shape [${t.shape.join(', ')}]`);
  }
  if (like.rank < 1 || like.shape[0] !== t.shape[0]) {
    throw new Error(
      `time t has shape [${t.shape[0]}] but x has shape [${like.shape.join(', ')}]: the batch sizes must match`,
    );
  }
  return tf.reshape(t, [t.shape[0], ...new Array<number>(like.rank - 1).fill(1)]);
}

/**
 * The stochastic interpolant between a noise sample `x0` and a data sample `x1`:
 *
 * $$
 * I_t = \alpha(t)\, x_0 + \beta(t)\, x_1, \qquad \dot I_t = \dot\alpha(t)\, x_0 + \dot\beta(t)\, x_1
 * $$
 *
 * `t` has shape `[B]` (or is a scalar) and broadcasts over `x0, x1: [B, ...]`.
 */
export class Interpolant {
  readonly schedule: Schedule;

  /** @param schedule a {@link Schedule} or a built-in name (`'linear'`, the default, or `'trig'`). */
  constructor(schedule: Schedule | string = 'linear') {
    this.schedule = typeof schedule === 'string' ? scheduleByName(schedule) : schedule;
  }

  /** I_t = alpha(t) x0 + beta(t) x1. */
  at(t: tf.Tensor, x0: tf.Tensor, x1: tf.Tensor): tf.Tensor {
    checkSameShape(x0, x1);
    return tf.tidy(() => {
      const tb = broadcastTime(t, x0);
      return tf.add(tf.mul(this.schedule.alpha(tb), x0), tf.mul(this.schedule.beta(tb), x1));
    });
  }

  /** dI_t/dt = alphaDot(t) x0 + betaDot(t) x1, the flow-matching target. */
  velocity(t: tf.Tensor, x0: tf.Tensor, x1: tf.Tensor): tf.Tensor {
    checkSameShape(x0, x1);
    return tf.tidy(() => {
      const tb = broadcastTime(t, x0);
      return tf.add(tf.mul(this.schedule.alphaDot(tb), x0), tf.mul(this.schedule.betaDot(tb), x1));
    });
  }
}

function checkSameShape(x0: tf.Tensor, x1: tf.Tensor): void {
  const same = x0.rank === x1.rank && x0.shape.every((d, i) => d === x1.shape[i]);
  if (!same) {
    throw new Error(
      `x0 has shape [${x0.shape.join(', ')}] but x1 has shape [${x1.shape.join(', ')}]: they must match`,
    );
  }
}
