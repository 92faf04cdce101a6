import * as tf from '@tensorflow/tfjs-core';
import {
  type ForwardContext,
  forwardContext,
  type NamedVariable,
  type VariableStore,
} from '../layers/module.js';
import type { T } from '../layers/tangent-ops.js';
import type { ApplyOptions, InputTangent, Network, OutputWithTangent } from '../network.js';
import { type NetworkShape, validateInputs } from './common.js';

/**
 * Base of every built-in network: the network is written once as a `body` on (value, tangent)
 * pairs ({@link T}, a null tangent meaning zero). `apply` runs the body with null tangents (no
 * extra work), `applyWithTangent` with the input directions, so the primal and the forward-mode
 * pass can never drift apart.
 */
export abstract class DualNetwork implements Network {
  readonly kind: string;
  abstract readonly config: Readonly<Record<string, unknown>>;
  readonly horizon: number;
  readonly actDim: number;
  readonly obsSteps: number;
  readonly condDim: number;
  /** Owns every variable of the network, with stable names. */
  protected readonly store: VariableStore;

  protected constructor(shape: NetworkShape, store: VariableStore) {
    this.kind = shape.kind;
    this.horizon = shape.horizon;
    this.actDim = shape.actDim;
    this.obsSteps = shape.obsSteps;
    this.condDim = shape.condDim;
    this.store = store;
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
    return tf.tidy(
      () => this.body({ v: x, d: null }, { v: s, d: null }, { v: t, d: null }, cond, ctx).v as tf.Tensor3D,
    );
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
      const out = this.body(
        { v: x, d: tangent.x ?? null },
        { v: s, d: tangent.s ?? null },
        { v: t, d: tangent.t ?? null },
        cond,
        ctx,
      );
      return { y: out.v as tf.Tensor3D, dy: (out.d ?? tf.zerosLike(out.v)) as tf.Tensor3D };
    });
  }

  /** The network on (value, tangent) pairs: `x: [B, H, A]`, `s, t: [B]`, `cond: [B, To, E] | null`. */
  protected abstract body(x: T, s: T, t: T, cond: tf.Tensor3D | null, ctx: ForwardContext): T;

  dispose(): void {
    this.store.dispose();
  }
}
