import * as tf from '@tensorflow/tfjs-core';
import { positionalEmbedding } from '../embeddings.js';
import type { ForwardContext, VariableStore } from '../layers/module.js';
import { concat, linear, run, type T } from '../layers/tangent-ops.js';
import type { Network } from '../network.js';
import { type NetworkShape, positiveInt } from './common.js';
import { DualNetwork } from './dual-network.js';

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
 * The size options both U-Nets share: positive `modelDim`, an odd `kernelSize` (the convolutions
 * pad `k // 2` to keep the length), `embDim` a multiple of 4 (split between s and t, sin and cos),
 * and a non-empty `dimMult` of positive integers.
 */
export function validateUNetOptions(
  net: string,
  o: { modelDim: number; kernelSize: number; embDim: number; dimMult: readonly number[] },
): void {
  positiveInt(net, 'modelDim', o.modelDim);
  positiveInt(net, 'kernelSize', o.kernelSize);
  if (!Number.isInteger(o.embDim) || o.embDim < 2 || o.embDim % 4 !== 0) {
    throw new Error(`${net}: embDim must be a positive multiple of 4, got ${o.embDim}`);
  }
  if (o.kernelSize % 2 !== 1) throw new Error(`${net}: kernelSize must be odd, got ${o.kernelSize}`);
  if (o.dimMult.length < 1 || !o.dimMult.every((m) => Number.isInteger(m) && m >= 1)) {
    throw new Error(
      `${net}: dimMult must be a non-empty list of positive integers, got [${o.dimMult.join(', ')}]`,
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

/** A {@link DualNetwork} whose body is a closure over layers built by a factory function. */
class BodyNetwork extends DualNetwork {
  readonly config: Readonly<Record<string, unknown>>;

  constructor(
    shape: NetworkShape,
    config: Record<string, unknown>,
    store: VariableStore,
    private readonly fn: NetworkBody,
  ) {
    super(shape, store);
    this.config = Object.freeze({ kind: shape.kind, ...config });
  }

  protected body(x: T, s: T, t: T, cond: tf.Tensor3D | null, ctx: ForwardContext): T {
    const c = cond ?? tf.zeros([x.v.shape[0], this.obsSteps, this.condDim]);
    return this.fn(x, s, t, { v: c, d: null }, ctx);
  }
}

/** Wraps a body into the {@link Network} contract (validation, null cond, tidy, tangents). */
export function makeNetwork(
  config: Record<string, unknown>,
  shape: NetworkShape,
  store: VariableStore,
  body: NetworkBody,
): Network {
  return new BodyNetwork(shape, config, store, body);
}
