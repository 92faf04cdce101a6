import * as tf from '@tensorflow/tfjs-core';
import { type BiasInit, initBiasValues, type WeightInit } from './init.js';
import type { Dual, VariableScope } from './module.js';

/** Weight and bias options shared by the affine layers (Dense, Conv1d, ConvTranspose1d). */
export interface AffineOptions {
  /** Weight init (default `'kaiming-uniform'`, PyTorch's default for these layers). */
  init?: WeightInit;
  /** Bias init (default: `'kaiming-uniform'` when `init` is `'kaiming-uniform'`, else `'zeros'`). */
  biasInit?: BiasInit;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/**
 * A layer `y = L(x) + b` with `L` linear in x. Its forward-mode pass is therefore
 * `dy = L(dx)` (the bias drops out); subclasses only supply `L`.
 */
export abstract class AffineLayer {
  abstract readonly bias: tf.Variable | null;

  /**
   * Creates the bias variable `[size]` (or none); `fanIn` sets PyTorch's default bias range.
   * Subclasses call it after creating their kernel, so variables keep the order kernel, bias.
   */
  protected static createBias(
    scope: VariableScope,
    options: AffineOptions,
    fanIn: number,
    size: number,
  ): tf.Variable | null {
    if (!(options.bias ?? true)) return null;
    const init = options.init ?? 'kaiming-uniform';
    const biasInit = options.biasInit ?? (init === 'kaiming-uniform' ? 'kaiming-uniform' : 'zeros');
    return scope.variable('bias', tf.tensor(initBiasValues(biasInit, fanIn, size, scope.rng()), [size]));
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.linear(x);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  applyDual(x: tf.Tensor, dx: tf.Tensor): Dual {
    return [this.apply(x), this.linear(dx)];
  }

  /** The linear part L(x), without the bias. */
  protected abstract linear(x: tf.Tensor): tf.Tensor;
}
