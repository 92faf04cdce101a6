import * as tf from '@tensorflow/tfjs-core';
import type { Dual, ForwardContext } from './module.js';

/**
 * A value and its tangent in a forward-mode pass, where a `null` tangent means "zero". The big
 * networks are written once against these helpers: a plain `apply` runs them with null tangents
 * (no extra work), `applyWithTangent` with the input directions, and tangents that are zero on a
 * branch (the x-path of a t-direction, say) cost nothing until they meet a non-zero one.
 */
export interface T {
  v: tf.Tensor;
  d: tf.Tensor | null;
}

/** A layer with a plain and a forward-mode pass (nets-core's layers have this shape). */
export interface LayerLike {
  apply(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor;
  applyDual(x: tf.Tensor, dx: tf.Tensor, ctx?: ForwardContext): Dual;
}

export function constant(v: tf.Tensor): T {
  return { v, d: null };
}

/** Runs a layer on a value with an optional tangent. */
export function run(layer: LayerLike, x: T, ctx?: ForwardContext): T {
  if (!x.d) return { v: layer.apply(x.v, ctx), d: null };
  const [v, d] = layer.applyDual(x.v, x.d, ctx);
  return { v, d };
}

/** A linear map applied to value and tangent alike (reshape, transpose, slice, ...). */
export function linear(x: T, f: (u: tf.Tensor) => tf.Tensor): T {
  return { v: f(x.v), d: x.d ? f(x.d) : null };
}

function addMaybe(a: tf.Tensor | null, b: tf.Tensor | null): tf.Tensor | null {
  if (a && b) return tf.add(a, b);
  return a ?? b;
}

/** Sum with broadcasting; a tangent of a broadcast operand is broadcast to the output's shape. */
export function add(a: T, b: T): T {
  const v = tf.add(a.v, b.v);
  const d = addMaybe(a.d, b.d);
  return { v, d: d && !sameShape(d.shape, v.shape) ? tf.broadcastTo(d, v.shape) : d };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Product rule: d(ab) = da b + a db. */
export function mul(a: T, b: T): T {
  return {
    v: tf.mul(a.v, b.v),
    d: addMaybe(a.d ? tf.mul(a.d, b.v) : null, b.d ? tf.mul(a.v, b.d) : null),
  };
}

/** Concatenation; a null tangent part is filled with zeros when another part has one. */
export function concat(parts: T[], axis: number): T {
  const v = tf.concat(
    parts.map((p) => p.v),
    axis,
  );
  if (parts.every((p) => !p.d)) return { v, d: null };
  return {
    v,
    d: tf.concat(
      parts.map((p) => p.d ?? tf.zerosLike(p.v)),
      axis,
    ),
  };
}

/** Mean over axes (linear). */
export function mean(x: T, axes: number | number[], keepDims = false): T {
  return linear(x, (u) => tf.mean(u, axes, keepDims));
}

/** The tangent as a tensor (zeros when null). */
export function tangentOrZeros(x: T): tf.Tensor {
  return x.d ?? tf.zerosLike(x.v);
}

/** Product rule for a (batched) matrix product: d(AB) = dA B + A dB. */
export function matMul(a: T, b: T, transposeA = false, transposeB = false): T {
  const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, transposeA, transposeB);
  return {
    v: mm(a.v, b.v),
    d: addMaybe(a.d ? mm(a.d, b.v) : null, b.d ? mm(a.v, b.d) : null),
  };
}

/** tf.tidy for a value with an optional tangent. */
export function tidyT(f: () => T): T {
  const out = tf.tidy(() => {
    const r = f();
    return r.d ? [r.v, r.d] : [r.v];
  });
  return { v: out[0], d: out[1] ?? null };
}
