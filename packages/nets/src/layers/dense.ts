import * as tf from '@tensorflow/tfjs-core';
import { AffineLayer, type AffineOptions } from './affine.js';
import { initWeightValues } from './init.js';
import type { VariableScope } from './module.js';

/** Options of {@link Dense}. */
export type DenseOptions = AffineOptions;

/**
 * A linear layer on the last axis: `y = x W + b`, `W: [inDim, outDim]` (variable `kernel`),
 * `b: [outDim]` (variable `bias`). Any leading axes are batch axes.
 *
 * Dual: linear in x, so `dy = dx W` (the bias drops out).
 */
export class Dense extends AffineLayer {
  readonly inDim: number;
  readonly outDim: number;
  readonly kernel: tf.Variable;
  override readonly bias: tf.Variable | null;

  constructor(scope: VariableScope, inDim: number, outDim: number, options: DenseOptions = {}) {
    super();
    const init = options.init ?? 'kaiming-uniform';
    this.inDim = inDim;
    this.outDim = outDim;
    this.kernel = scope.variable(
      'kernel',
      tf.tensor(initWeightValues(init, inDim, outDim, scope.rng()), [inDim, outDim]),
    );
    this.bias = AffineLayer.createBias(scope, options, inDim, outDim);
  }

  /** x W without the bias. */
  protected linear(x: tf.Tensor): tf.Tensor {
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
