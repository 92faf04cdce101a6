import * as tf from '@tensorflow/tfjs-core';
import { type ForwardContext, forwardContext, type VariableStore } from '../layers/module.js';
import { concat, linear, type T, tidyT } from '../layers/tangent-ops.js';
import type { ApplyOptions, InputTangent, Network, OutputWithTangent } from '../network.js';

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

/** Validates one call's inputs against the network's sizes; errors name the argument and shape. */
export function validateInputs(
  net: string,
  shape: NetworkShape,
  x: tf.Tensor,
  s: tf.Tensor,
  t: tf.Tensor,
  cond: tf.Tensor | null,
): void {
  const fmt = (a: readonly number[]) => `[${a.join(', ')}]`;
  const { horizon: h, actDim: a, obsSteps: to, condDim: e } = shape;
  if (x.rank !== 3 || x.shape[1] !== h || x.shape[2] !== a) {
    throw new Error(`${net}: x must have shape [B, H=${h}, A=${a}], got ${fmt(x.shape)}`);
  }
  const b = x.shape[0];
  if (s.rank !== 1 || s.shape[0] !== b)
    throw new Error(`${net}: s must have shape [B=${b}], got ${fmt(s.shape)}`);
  if (t.rank !== 1 || t.shape[0] !== b)
    throw new Error(`${net}: t must have shape [B=${b}], got ${fmt(t.shape)}`);
  if (cond && (cond.rank !== 3 || cond.shape[0] !== b || cond.shape[1] !== to || cond.shape[2] !== e)) {
    throw new Error(
      `${net}: cond must have shape [B=${b}, To=${to}, E=${e}] or be null, got ${fmt(cond.shape)}`,
    );
  }
}

/**
 * Positional time embedding of the reference (`PositionalEmbedding(dim)`, `mip/embeddings.py`):
 * `[cos(t f_k), sin(t f_k)]`, `f_k = (1/10000)^(k / (dim/2))`, k = 0..dim/2-1, t not rescaled.
 * Tangent: `[-sin(t f) f dt, cos(t f) f dt]`. `t: [B]` -> `[B, dim]`.
 */
export function positionalEmbedding(t: T, dim: number): T {
  if (dim % 2 !== 0) throw new Error(`positional embedding width must be even, got ${dim}`);
  return tidyT(() => {
    const half = dim / 2;
    const freqs = new Float32Array(half);
    for (let k = 0; k < half; k++) freqs[k] = (1 / 10000) ** (k / half);
    const f = tf.tensor2d(freqs, [1, half]);
    const arg = tf.mul(tf.reshape(t.v, [-1, 1]), f);
    const cos = tf.cos(arg);
    const sin = tf.sin(arg);
    const v = tf.concat([cos, sin], 1);
    if (!t.d) return { v, d: null };
    const darg = tf.mul(tf.reshape(t.d, [-1, 1]), f);
    return { v, d: tf.concat([tf.mul(tf.neg(sin), darg), tf.mul(cos, darg)], 1) };
  });
}

/**
 * `concat(pos(s, dim/2), pos(t, dim/2))`, the time features of every big network; zeros (no
 * dependence on s, t) when the time embedding is disabled.
 */
export function timeFeatures(s: T, t: T, dim: number, disabled: boolean): T {
  if (disabled) return { v: tf.zeros([s.v.shape[0], dim]), d: null };
  return concat([positionalEmbedding(s, dim / 2), positionalEmbedding(t, dim / 2)], 1);
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
      validateInputs(kind, shape, x, s, t, cond);
      const ctx = forwardContext(options);
      return tf.tidy(() => {
        const c = prepareCond(x.shape[0], cond);
        return body({ v: x, d: null }, { v: s, d: null }, { v: t, d: null }, { v: c, d: null }, ctx)
          .v as tf.Tensor3D;
      });
    },
    applyWithTangent(x, s, t, cond, tangent: InputTangent, options?: ApplyOptions): OutputWithTangent {
      validateInputs(kind, shape, x, s, t, cond);
      if (tangent.x && !tangent.x.shape.every((d, i) => d === x.shape[i])) {
        throw new Error(`${kind}: tangent.x must have the shape of x [${x.shape.join(', ')}]`);
      }
      for (const [name, dir, ref] of [
        ['s', tangent.s, s],
        ['t', tangent.t, t],
      ] as const) {
        if (dir && (dir.rank !== 1 || dir.shape[0] !== ref.shape[0])) {
          throw new Error(`${kind}: tangent.${name} must have shape [B=${ref.shape[0]}]`);
        }
      }
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

/** Total number of scalars in a list of variables. */
export function countParameters(variables: readonly tf.Variable[]): number {
  return variables.reduce((n, v) => n + v.size, 0);
}
