import * as tf from '@tensorflow/tfjs-core';
import { hashString, mixSeed } from './init.js';
import type { Dual, ForwardContext, VariableScope } from './module.js';

/**
 * Inverted dropout: in training, `y = x m / (1 - p)` with a Bernoulli(1 - p) mask `m` drawn from
 * a seed mixed from the call seed and this layer's key, so the same call seed gives the same mask
 * in every evaluation (primal, tangent, double-VJP replays). Identity in evaluation mode.
 *
 * Dual: linear in x with the same mask, `dy = dx m / (1 - p)`.
 */
export class Dropout {
  readonly rate: number;
  /** Per-layer key mixed into the call seed (a hash of the layer's scope path). */
  readonly key: number;

  constructor(scope: VariableScope | string, rate: number) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
    this.rate = rate;
    this.key = hashString(typeof scope === 'string' ? scope : scope.prefix);
  }

  /** The scaled mask `m / (1 - p)` of a call, or null when inactive. */
  mask(shape: number[], ctx?: ForwardContext): tf.Tensor | null {
    if (!ctx?.training || this.rate === 0) return null;
    return tf.tidy(() => {
      const u = tf.randomUniform(shape, 0, 1, 'float32', mixSeed(ctx.seed, this.key));
      return tf.mul(tf.cast(tf.greaterEqual(u, this.rate), 'float32'), 1 / (1 - this.rate));
    });
  }

  apply(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const m = this.mask(x.shape, ctx);
      return m ? tf.mul(x, m) : x;
    });
  }

  applyDual(x: tf.Tensor, dx: tf.Tensor, ctx?: ForwardContext): Dual {
    return tf.tidy(() => {
      const m = this.mask(x.shape, ctx);
      return (m ? [tf.mul(x, m), tf.mul(dx, m)] : [x, dx]) as Dual;
    });
  }
}
