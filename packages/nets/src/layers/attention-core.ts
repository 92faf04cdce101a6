import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../stop-gradient.js';

/**
 * Value of a blocked entry of an additive attention mask. The reference uses -inf; a large finite
 * number gives the same softmax in float32 (exp underflows to exactly 0) and keeps every gradient
 * order finite (-inf * 0 = NaN in a tangent or a second-order term).
 */
export const MASKED = -1e9;

/**
 * Additive mask `[Tq, Tk]`: 0 where query i may see key j, i.e. `j <= i + offset`, else
 * {@link MASKED}. `offset = 0` is the causal self-attention mask; ChiTransformer's cross-attention
 * mask (action token i sees condition token j iff `i >= j - 1`) is `offset = 1`.
 */
export function bandMask(queries: number, keys: number, offset = 0): tf.Tensor2D {
  const values = new Float32Array(queries * keys);
  for (let i = 0; i < queries; i++) {
    for (let j = 0; j < keys; j++) values[i * keys + j] = j <= i + offset ? 0 : MASKED;
  }
  return tf.tensor2d(values, [queries, keys]);
}

/** Causal mask `[T, T]`: query i sees keys j <= i. */
export function causalMask(length: number): tf.Tensor2D {
  return bandMask(length, length, 0);
}

/**
 * softmax along the last axis, composed of elementary ops:
 *
 *   p = exp(x - max(x)) / sum(exp(x - max(x)))
 *
 * The fused Softmax kernel's gradient saves its output, which TF.js 4.22 treats as a constant at
 * higher orders (silently wrong JVP-loss gradients); this form differentiates through Exp, which
 * the package's higher-order gradient fix re-registers. The max is a constant shift (the result
 * does not depend on it), so it carries no gradient.
 */
export function softmaxLastAxis<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const shifted = tf.sub(x, stopGradient(tf.max(x, -1, true)));
    const e = tf.exp(shifted);
    return tf.div(e, tf.sum(e, -1, true)) as T;
  });
}

/**
 * Tangent of p = softmax(x) along dx (last axis): dp = p * (dx - sum(p * dx)).
 */
export function softmaxTangent<T extends tf.Tensor>(p: T, dx: T): T {
  return tf.tidy(() => tf.mul(p, tf.sub(dx, tf.sum(tf.mul(p, dx), -1, true))) as T);
}

/** Splits heads: `[B, T, h*dh] -> [B, h, T, dh]`. */
export function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [b, n, d] = x.shape;
  return tf.transpose(tf.reshape(x, [b, n, heads, d / heads]), [0, 2, 1, 3]);
}

/** Merges heads: `[B, h, T, dh] -> [B, T, h*dh]`. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, h, n, dh] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, n, h * dh]);
}

/** Optional elementwise multiplier of the attention weights (a dropout mask, already scaled). */
export type WeightMask = tf.Tensor | null;

/**
 * Scaled dot-product attention on split heads:
 *
 *   P = softmax(q k^T / sqrt(dh) + mask),   y = (P * keep) v
 *
 * `q: [B, h, Tq, dh]`, `k, v: [B, h, Tk, dh]`, `mask: [Tq, Tk]` additive (or null), `keep` an
 * optional dropout multiplier of P's shape. Returns `[B, h, Tq, dh]`.
 */
export function scaledDotProductAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask: tf.Tensor2D | null,
  keep: WeightMask = null,
): tf.Tensor4D {
  return tf.tidy(() => {
    const p = attentionWeights(q, k, mask);
    return tf.matMul(keep ? tf.mul(p, keep) : p, v) as tf.Tensor4D;
  });
}

function attentionWeights(q: tf.Tensor4D, k: tf.Tensor4D, mask: tf.Tensor2D | null): tf.Tensor4D {
  const scale = 1 / Math.sqrt(q.shape[3]);
  let logits = tf.mul(tf.matMul(q, k, false, true), scale) as tf.Tensor4D;
  if (mask) logits = tf.add(logits, mask);
  return softmaxLastAxis(logits);
}

/**
 * Forward-mode pass of {@link scaledDotProductAttention}: with S = q k^T / sqrt(dh) + mask,
 *
 *   dS = (dq k^T + q dk^T) / sqrt(dh)
 *   dP = P * (dS - sum_j(P * dS))
 *   dy = (dP * keep) v + (P * keep) dv
 *
 * A `null` tangent is zero (its terms are skipped). Returns the output and its tangent.
 */
export function scaledDotProductAttentionWithTangent(
  q: tf.Tensor4D,
  dq: tf.Tensor4D | null,
  k: tf.Tensor4D,
  dk: tf.Tensor4D | null,
  v: tf.Tensor4D,
  dv: tf.Tensor4D | null,
  mask: tf.Tensor2D | null,
  keep: WeightMask = null,
): { y: tf.Tensor4D; dy: tf.Tensor4D } {
  const out = tf.tidy(() => {
    const scale = 1 / Math.sqrt(q.shape[3]);
    const p = attentionWeights(q, k, mask);
    const pk = keep ? tf.mul(p, keep) : p;
    const y = tf.matMul(pk, v) as tf.Tensor4D;
    let dLogits: tf.Tensor | null = null;
    if (dq) dLogits = tf.matMul(dq, k, false, true);
    if (dk) {
      const term = tf.matMul(q, dk, false, true);
      dLogits = dLogits ? tf.add(dLogits, term) : term;
    }
    let dy: tf.Tensor4D | null = null;
    if (dLogits) {
      const dp = softmaxTangent(p, tf.mul(dLogits, scale));
      dy = tf.matMul(keep ? tf.mul(dp, keep) : dp, v) as tf.Tensor4D;
    }
    if (dv) {
      const term = tf.matMul(pk, dv) as tf.Tensor4D;
      dy = dy ? (tf.add(dy, term) as tf.Tensor4D) : term;
    }
    return { y, dy: dy ?? tf.zerosLike(y) };
  });
  return out;
}
