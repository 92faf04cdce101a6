import * as tf from '@tensorflow/tfjs-core';
import { type ForwardContext, forwardContext, type NamedVariable, VariableStore } from '../layers/module.js';
import type { ApplyOptions, InputTangent, Network, OutputWithTangent } from '../network.js';
import { type MaybeDual, type NetworkShape, validateInputs } from './common.js';

/**
 * Base of the networks written as one dual-number body: `run` computes the output and, when a
 * tangent is given, its directional derivative in the same sweep. `apply` and `applyWithTangent`
 * are both that body, so the primal and forward-mode passes can never drift apart.
 */
export abstract class DualNetwork implements Network {
  abstract readonly kind: string;
  abstract readonly config: Readonly<Record<string, unknown>>;
  readonly horizon: number;
  readonly actDim: number;
  readonly obsSteps: number;
  readonly condDim: number;
  /** Owns every variable of the network, with stable names. */
  protected readonly store: VariableStore;

  protected constructor(shape: NetworkShape, seed: number) {
    this.horizon = shape.horizon;
    this.actDim = shape.actDim;
    this.obsSteps = shape.obsSteps;
    this.condDim = shape.condDim;
    this.store = new VariableStore(seed);
  }

  get variables(): tf.Variable[] {
    return this.store.variables;
  }

  get namedVariables(): readonly NamedVariable[] {
    return this.store.namedVariables;
  }

  apply(
    x: tf.Tensor3D,
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): tf.Tensor3D {
    validateInputs(this, x, s, t, cond);
    const ctx = forwardContext(options);
    return tf.tidy(() => this.run(x, s, t, cond, null, ctx)[0] as tf.Tensor3D);
  }

  applyWithTangent(
    x: tf.Tensor3D,
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    cond: tf.Tensor3D | null,
    tangent: InputTangent,
    options?: ApplyOptions,
  ): OutputWithTangent {
    validateInputs(this, x, s, t, cond, tangent);
    const ctx = forwardContext(options);
    return tf.tidy(() => {
      const [y, dy] = this.run(x, s, t, cond, tangent, ctx);
      return { y: y as tf.Tensor3D, dy: (dy ?? tf.zerosLike(y)) as tf.Tensor3D };
    });
  }

  /** The network body on (value, tangent) pairs; `tangent` null means a plain forward pass. */
  protected abstract run(
    x: tf.Tensor3D,
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    cond: tf.Tensor3D | null,
    tangent: InputTangent | null,
    ctx: ForwardContext,
  ): MaybeDual;

  dispose(): void {
    this.store.dispose();
  }
}
