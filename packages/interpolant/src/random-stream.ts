import * as tf from '@tensorflow/tfjs-core';

/**
 * A seeded stream of random tensors. TF.js random ops are deterministic for a given integer seed,
 * so the stream hands each draw a fresh seed from a SplitMix32 sequence: the same stream seed
 * always produces the same sequence of draws, on every backend that implements the op the same way.
 */
export class RandomStream {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    this.state = Math.trunc(seed) >>> 0;
  }

  /** The next 32-bit seed of the stream (SplitMix32). */
  nextSeed(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1) drawn on the host (for coin flips and sizes, not tensors). */
  nextFloat(): number {
    return this.nextSeed() / 4294967296;
  }

  /** Uniform draws in [min, max). */
  uniform(shape: number[], min = 0, max = 1): tf.Tensor {
    return tf.randomUniform(shape, min, max, 'float32', this.nextSeed());
  }

  /** Standard-normal draws. */
  normal(shape: number[]): tf.Tensor {
    return tf.randomNormal(shape, 0, 1, 'float32', this.nextSeed());
  }
}
