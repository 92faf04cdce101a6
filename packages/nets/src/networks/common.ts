import * as tf from '@tensorflow/tfjs-core';
import type { InputTangent } from '../network.js';
import type { OptionSpec, OptionsSchema } from '../options-schema.js';

/** The fixed sizes a network checks its inputs against. */
export interface NetworkShape {
  readonly kind: string;
  readonly horizon: number;
  readonly actDim: number;
  readonly obsSteps: number;
  readonly condDim: number;
}

function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks `x: [B, H, A]`, `s, t: [B]`, `cond: [B, To, E] | null` (and tangents of the same shapes);
 * the error names the argument and the expected shape. Returns B.
 */
export function validateInputs(
  net: NetworkShape,
  x: tf.Tensor,
  s: tf.Tensor,
  t: tf.Tensor,
  cond: tf.Tensor | null,
  tangent?: InputTangent,
): number {
  const { kind, horizon: h, actDim: a, obsSteps: to, condDim: e } = net;
  const b = x.shape[0];
  if (x.rank !== 3 || x.shape[1] !== h || x.shape[2] !== a) {
    throw new Error(`${kind}: x must have shape [B, H=${h}, A=${a}], got ${shapeString(x.shape)}`);
  }
  for (const [name, v] of [
    ['s', s],
    ['t', t],
  ] as const) {
    if (v.rank !== 1 || v.shape[0] !== b) {
      throw new Error(`${kind}: ${name} must have shape [B=${b}], got ${shapeString(v.shape)}`);
    }
  }
  if (cond && (cond.rank !== 3 || cond.shape[0] !== b || cond.shape[1] !== to || cond.shape[2] !== e)) {
    throw new Error(
      `${kind}: cond must have shape [B=${b}, To=${to}, E=${e}] or be null, got ${shapeString(cond.shape)}`,
    );
  }
  if (tangent) {
    if (tangent.x && !sameShape(tangent.x.shape, x.shape)) {
      throw new Error(
        `${kind}: tangent.x must have the shape of x ${shapeString(x.shape)}, got ${shapeString(tangent.x.shape)}`,
      );
    }
    for (const name of ['s', 't'] as const) {
      const v = tangent[name];
      if (v && (v.rank !== 1 || v.shape[0] !== b)) {
        throw new Error(`${kind}: tangent.${name} must have shape [B=${b}], got ${shapeString(v.shape)}`);
      }
    }
  }
  return b;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `cond` flattened to `[B, To E]`, zeros when null. */
export function flattenCond(net: NetworkShape, cond: tf.Tensor | null, batch: number): tf.Tensor2D {
  return (
    cond ? tf.reshape(cond, [batch, -1]) : tf.zeros([batch, net.obsSteps * net.condDim])
  ) as tf.Tensor2D;
}

/** Checks a positive integer option, naming it in the error. */
export function positiveInt(kind: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`${kind}: option ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/** Checks a dropout rate option. */
export function dropoutRate(kind: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new Error(`${kind}: option dropout must be in [0, 1), got ${String(v)}`);
  }
  return v;
}

/** Options shared by every network (the factory's common kwargs, spec §5.1). */
export interface CommonNetworkOptions {
  /** Action dimension A. */
  actDim: number;
  /** Prediction horizon H. */
  horizon: number;
  /** Observation steps To. */
  obsSteps: number;
  /** Width E of the observation embedding (the reference's `obs_dim = network.emb_dim`). */
  condDim: number;
  /** Seed of the weight initialisers (default 0). */
  seed?: number;
}

/** Validates the common options. */
export function commonShape(kind: string, o: CommonNetworkOptions): NetworkShape {
  return {
    kind,
    actDim: positiveInt(kind, 'actDim', o.actDim),
    horizon: positiveInt(kind, 'horizon', o.horizon),
    obsSteps: positiveInt(kind, 'obsSteps', o.obsSteps),
    condDim: positiveInt(kind, 'condDim', o.condDim),
  };
}

/** The schema of a dropout rate option, in [0, 1). */
export const DROPOUT_OPTION = {
  type: 'number',
  min: 0,
  max: 1,
  exclusiveMax: true,
} as const satisfies OptionSpec;

/** The shape and seed keys every network takes (set by the caller from the task, not by a user). */
export const COMMON_NETWORK_OPTIONS_SCHEMA: OptionsSchema = {
  actDim: { type: 'integer', min: 1 },
  horizon: { type: 'integer', min: 1 },
  obsSteps: { type: 'integer', min: 1 },
  condDim: { type: 'integer', min: 1 },
  seed: { type: 'integer', min: 0 },
};
