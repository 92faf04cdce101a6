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
    return tf.tensor(
      dropoutMask(
        shape.reduce((a, b) => a * b, 1),
        mixSeed(ctx.seed, this.key),
        this.rate,
      ),
      shape,
    );
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

/**
 * The scaled Bernoulli(1 - rate) mask `m / (1 - rate)` of `size` elements for a seed, written
 * directly on the host: element i keeps when a counter-based hash of (seed, i) is at least
 * `rate * 2^32`. Why not `randomUniform` + `greaterEqual` + `cast` + `mul`: those draw the uniforms
 * one by one through seedrandom in JS and then run three full-size kernels; this one pass is
 * 2-3x cheaper for a [256, 2048] mask on wasm, and dropout is on every block of a training step.
 */
export function dropoutMask(size: number, seed: number, rate: number): Float32Array {
  const out = new Float32Array(size);
  const keep = 1 / (1 - rate);
  const threshold = rate * 4294967296;
  const s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    // murmur3's fmix32 of the seed mixed with the golden-ratio-scaled counter
    let z = (s ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    if (z >= threshold) out[i] = keep;
  }
  return out;
}
