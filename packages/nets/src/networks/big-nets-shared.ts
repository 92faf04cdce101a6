import * as tf from '@tensorflow/tfjs-core';
import { positionalEmbedding } from '../embeddings.js';
import { type ForwardContext, forwardContext, type VariableStore } from '../layers/module.js';
import { concat, linear, run, type T } from '../layers/tangent-ops.js';
import type { ApplyOptions, InputTangent, Network, OutputWithTangent } from '../network.js';
import { validateInputs } from './common.js';

/** Sizes every network shares. */
export interface NetworkShape {
  actDim: number;
  horizon: number;
  obsSteps: number;
  condDim: number;
}

/** Checks a size option: a positive integer, named in the error. */
export function requirePositiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${value}`);
}

export function requireShapeOptions(net: string, shape: NetworkShape): void {
  requirePositiveInt(`${net}: actDim`, shape.actDim);
  requirePositiveInt(`${net}: horizon`, shape.horizon);
  requirePositiveInt(`${net}: obsSteps`, shape.obsSteps);
  requirePositiveInt(`${net}: condDim`, shape.condDim);
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/**
 * The U-Nets halve the sequence at each of `downsamples` levels and double it back: the horizon
 * must be a power of two of at least 2^downsamples.
 */
export function requireUNetHorizon(net: string, horizon: number, downsamples: number): void {
  const min = 2 ** downsamples;
  if (!isPowerOfTwo(horizon) || horizon < min) {
    throw new Error(
      `${net}: horizon must be a power of 2 and at least ${min} (${downsamples} downsampling levels), got ${horizon}`,
    );
  }
}

/**
 * `concat(pos(s, dim/2), pos(t, dim/2))` with the reference's `PositionalEmbedding`
 * (`[cos(t w_k), sin(t w_k)]`, `w_k = (1/10000)^(k / (dim/2))`), the time features of every big network; zeros (no
 * dependence on s, t) when the time embedding is disabled.
 */
export function timeFeatures(s: T, t: T, dim: number, disabled: boolean): T {
  if (disabled) return { v: tf.zeros([s.v.shape[0], dim]), d: null };
  const pos = positionalEmbedding(dim / 2);
  return concat([run(pos, s), run(pos, t)], 1);
}

/** `[B, To, E] -> [B, To E]`. */
export function flattenCond(cond: T): T {
  return linear(cond, (u) => tf.reshape(u, [u.shape[0], -1]));
}

/** What a network's body computes: `y` and its tangent from inputs with optional tangents. */
export type NetworkBody = (x: T, s: T, t: T, cond: T, ctx: ForwardContext) => T;

/** Wraps a body into the {@link Network} contract (validation, null cond, tidy, tangents). */
export function makeNetwork(
  kind: string,
  config: Record<string, unknown>,
  shape: NetworkShape,
  store: VariableStore,
  body: NetworkBody,
): Network {
  const netShape = { kind, ...shape };
  const prepareCond = (b: number, cond: tf.Tensor3D | null): tf.Tensor =>
    cond ?? tf.zeros([b, shape.obsSteps, shape.condDim]);
  return {
    kind,
    config: Object.freeze({ kind, ...config }),
    horizon: shape.horizon,
    actDim: shape.actDim,
    obsSteps: shape.obsSteps,
    condDim: shape.condDim,
    get variables() {
      return store.variables;
    },
    get namedVariables() {
      return store.namedVariables;
    },
    apply(x, s, t, cond, options?: ApplyOptions) {
      validateInputs(netShape, x, s, t, cond);
      const ctx = forwardContext(options);
      return tf.tidy(() => {
        const c = prepareCond(x.shape[0], cond);
        return body({ v: x, d: null }, { v: s, d: null }, { v: t, d: null }, { v: c, d: null }, ctx)
          .v as tf.Tensor3D;
      });
    },
    applyWithTangent(x, s, t, cond, tangent: InputTangent, options?: ApplyOptions): OutputWithTangent {
      validateInputs(netShape, x, s, t, cond, tangent);
      const ctx = forwardContext(options);
      const [y, dy] = tf.tidy(() => {
        const c = prepareCond(x.shape[0], cond);
        const out = body(
          { v: x, d: tangent.x ?? null },
          { v: s, d: tangent.s ?? null },
          { v: t, d: tangent.t ?? null },
          { v: c, d: null },
          ctx,
        );
        return [out.v, out.d ?? tf.zerosLike(out.v)];
      });
      return { y: y as tf.Tensor3D, dy: dy as tf.Tensor3D };
    },
    dispose() {
      store.dispose();
    },
  };
}
