import * as tf from '@tensorflow/tfjs-core';
import { type BiasInit, initBiasValues, initWeightValues, type WeightInit } from './init.js';
import type { Dual, VariableScope } from './module.js';

/** Options of {@link Dense}. */
export interface DenseOptions {
  /** Weight init (default `'kaiming-uniform'`, PyTorch's `nn.Linear` default). */
  init?: WeightInit;
  /** Bias init (default: `'kaiming-uniform'` when `init` is `'kaiming-uniform'`, else `'zeros'`). */
  biasInit?: BiasInit;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/**
 * A linear layer on the last axis: `y = x W + b`, `W: [inDim, outDim]` (variable `kernel`),
 * `b: [outDim]` (variable `bias`). Any leading axes are batch axes.
 *
 * Dual: linear in x, so `dy = dx W` (the bias drops out).
 */
export class Dense {
  readonly inDim: number;
  readonly outDim: number;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(scope: VariableScope, inDim: number, outDim: number, options: DenseOptions = {}) {
    const init = options.init ?? 'kaiming-uniform';
    this.inDim = inDim;
    this.outDim = outDim;
    this.kernel = scope.variable(
      'kernel',
      tf.tensor(initWeightValues(init, inDim, outDim, scope.rng()), [inDim, outDim]),
    );
    if (options.bias ?? true) {
      const biasInit = options.biasInit ?? (init === 'kaiming-uniform' ? 'kaiming-uniform' : 'zeros');
      this.bias = scope.variable(
        'bias',
        tf.tensor(initBiasValues(biasInit, inDim, outDim, scope.rng()), [outDim]),
      );
    } else {
      this.bias = null;
    }
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

  /** x W without the bias. */
  private linear(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.inDim) {
      throw new Error(`Dense expects last axis ${this.inDim}, got shape [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, this.kernel as tf.Tensor2D);
      const lead = x.shape.slice(0, -1);
      const y = tf.matMul(tf.reshape(x, [-1, this.inDim]) as tf.Tensor2D, this.kernel as tf.Tensor2D);
      return tf.reshape(y, [...lead, this.outDim]);
    });
  }
}
