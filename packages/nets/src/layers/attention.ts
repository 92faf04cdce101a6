import * as tf from '@tensorflow/tfjs-core';
import {
  mergeHeads,
  scaledDotProductAttentionWithTangent,
  softmaxLastAxis,
  softmaxTangent,
  splitHeads,
} from './attention-core.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { initWeightValues, type WeightInit } from './init.js';
import type { ForwardContext, VariableScope } from './module.js';
import { linear, matMul, run, type T, tidyT } from './tangent-ops.js';

export { bandMask, causalMask, MASKED } from './attention-core.js';

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Number of heads; must divide the width. */
  heads: number;
  /**
   * Init of the packed `[d, 3d]` input projection (default `'xavier-uniform'` over the packed
   * matrix, PyTorch `nn.MultiheadAttention`'s default); its bias starts at zero.
   */
  inProjInit?: WeightInit;
  /** Init of the output projection (default `'kaiming-uniform'`, PyTorch `nn.Linear`). */
  outProjInit?: WeightInit;
  /** Dropout on the attention weights in training (PyTorch MHA's `dropout`). Default 0. */
  dropout?: number;
}

/**
 * Multi-head attention (PyTorch `nn.MultiheadAttention`, batch-first) on `[B, T, d]`:
 *
 *   [q | k | v] = [x_q W_q + b_q | x_kv W_k + b_k | x_kv W_v + b_v]   (packed in-projection)
 *   head_i = softmax(q_i k_i^T / sqrt(d/h) + mask) v_i
 *   y = concat(head_1..head_h) W_o + b_o
 *
 * Self-attention passes the same input as query and key/value; cross-attention passes the memory
 * as key/value. `mask: [Tq, Tk]` is additive (0 / {@link MASKED}). Every step has a forward-mode
 * pass (projections are linear; the softmax tangent is dP = P * (dS - sum(P dS))), so a tangent
 * in the query input, the memory, or both flows through exactly.
 *
 * Variables: `in_proj/kernel [d, 3d]`, `in_proj/bias [3d]`, `out_proj/kernel [d, d]`,
 * `out_proj/bias [d]`: 4d^2 + 4d parameters, as PyTorch.
 */
export class MultiHeadAttention {
  readonly dim: number;
  readonly heads: number;
  readonly inKernel: tf.Variable;
  readonly inBias: tf.Variable;
  readonly outProj: Dense;
  readonly dropout: Dropout;

  constructor(scope: VariableScope, dim: number, options: MultiHeadAttentionOptions) {
    const { heads } = options;
    if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
      throw new Error(`attention heads (${heads}) must be a positive integer dividing the width ${dim}`);
    }
    this.dim = dim;
    this.heads = heads;
    const inScope = scope.child('in_proj');
    this.inKernel = inScope.variable(
      'kernel',
      tf.tensor(initWeightValues(options.inProjInit ?? 'xavier-uniform', dim, 3 * dim, inScope.rng()), [
        dim,
        3 * dim,
      ]),
    );
    this.inBias = inScope.variable('bias', tf.zeros([3 * dim]));
    const outInit = options.outProjInit ?? 'kaiming-uniform';
    this.outProj = new Dense(scope.child('out_proj'), dim, dim, {
      init: outInit,
      biasInit: outInit === 'kaiming-uniform' ? 'kaiming-uniform' : 'zeros',
    });
    this.dropout = new Dropout(scope.child('attn_drop'), options.dropout ?? 0);
  }

  /**
   * Attention of `query: [B, Tq, d]` over `memory: [B, Tk, d]` (pass the same value for
   * self-attention), tangents included. `value` (default: `memory`) is the input of the value
   * projection when it differs from the keys' input.
   */
  forward(query: T, memory: T, mask: tf.Tensor2D | null, ctx?: ForwardContext, value?: T): T {
    return tidyT(() => {
      const d = this.dim;
      const project = (x: T, from: number, width: number): T => {
        const w = tf.slice(this.inKernel, [0, from], [d, width]);
        const b = tf.slice(this.inBias, [from], [width]);
        return { v: tf.add(matMul2(x.v, w), b), d: x.d ? matMul2(x.d, w) : null };
      };
      let q: T;
      let kv: T;
      if (value && value !== memory) {
        // Keys and values from different inputs (DETR-style: position added to q and k only).
        q = project(query, 0, d);
        const kOnly = project(memory, d, d);
        const vOnly = project(value, 2 * d, d);
        kv = {
          v: tf.concat([kOnly.v, vOnly.v], 2),
          d:
            kOnly.d || vOnly.d
              ? tf.concat([kOnly.d ?? tf.zerosLike(kOnly.v), vOnly.d ?? tf.zerosLike(vOnly.v)], 2)
              : null,
        };
      } else if (query === memory) {
        const qkv = project(query, 0, 3 * d);
        q = linear(qkv, (u) => tf.slice(u, [0, 0, 0], [-1, -1, d]));
        kv = linear(qkv, (u) => tf.slice(u, [0, 0, d], [-1, -1, 2 * d]));
      } else {
        q = project(query, 0, d);
        kv = project(memory, d, 2 * d);
      }
      const k = linear(kv, (u) => tf.slice(u, [0, 0, 0], [-1, -1, d]));
      const v = linear(kv, (u) => tf.slice(u, [0, 0, d], [-1, -1, d]));
      const split = (x: T) => linear(x, (u) => splitHeads(u as tf.Tensor3D, this.heads));
      const [qh, kh, vh] = [split(q), split(k), split(v)];
      const [b, tq] = query.v.shape as number[];
      const tk = memory.v.shape[1] as number;
      const keep = this.dropout.mask([b, this.heads, tq, tk], ctx);
      let heads: T;
      if (!qh.d && !kh.d && !vh.d) {
        const { y } = scaledDotProductAttentionWithTangent(
          qh.v as tf.Tensor4D,
          null,
          kh.v as tf.Tensor4D,
          null,
          vh.v as tf.Tensor4D,
          null,
          mask,
          keep,
        );
        heads = { v: y, d: null };
      } else {
        const { y, dy } = scaledDotProductAttentionWithTangent(
          qh.v as tf.Tensor4D,
          qh.d as tf.Tensor4D | null,
          kh.v as tf.Tensor4D,
          kh.d as tf.Tensor4D | null,
          vh.v as tf.Tensor4D,
          vh.d as tf.Tensor4D | null,
          mask,
          keep,
        );
        heads = { v: y, d: dy };
      }
      return run(
        this.outProj,
        linear(heads, (u) => mergeHeads(u as tf.Tensor4D)),
      );
    });
  }

  /** Plain pass: `apply(x, x, mask)` is self-attention. */
  apply(query: tf.Tensor, memory: tf.Tensor, mask: tf.Tensor2D | null, ctx?: ForwardContext): tf.Tensor {
    const q: T = { v: query, d: null };
    return this.forward(q, query === memory ? q : { v: memory, d: null }, mask, ctx).v;
  }
}

/** Options of {@link LinearAttention}. */
export interface LinearAttentionOptions {
  /** Heads (default 4). */
  heads?: number;
  /** Width of a head (default 32). */
  dimHead?: number;
}

/**
 * Linear attention of Janner's diffuser U-Net (`LinearAttention(dim, heads=4, dim_head=32)`), on
 * a channels-last sequence `x: [B, L, dim]`:
 *
 *   [q | k | v] = x W_qkv                       (1x1 conv without bias, width 3 h c)
 *   q <- q / sqrt(c);  k <- softmax over the sequence axis
 *   context_h = k_h^T v_h                         ([c, c] per head)
 *   out_h = q_h context_h;  y = concat_h(out_h) W_o + b_o
 *
 * Cost linear in L. Forward mode: product rule through both products and the softmax tangent on
 * k. Variables: `to_qkv/kernel [dim, 3hc]`, `to_out/kernel [hc, dim]`, `to_out/bias [dim]`.
 */
export class LinearAttention {
  readonly heads: number;
  readonly dimHead: number;
  readonly toQkv: Dense;
  readonly toOut: Dense;

  constructor(scope: VariableScope, dim: number, options: LinearAttentionOptions = {}) {
    this.heads = options.heads ?? 4;
    this.dimHead = options.dimHead ?? 32;
    const hidden = this.heads * this.dimHead;
    this.toQkv = new Dense(scope.child('to_qkv'), dim, 3 * hidden, { bias: false });
    this.toOut = new Dense(scope.child('to_out'), hidden, dim);
  }

  forward(x: T): T {
    return tidyT(() => {
      const hidden = this.heads * this.dimHead;
      const qkv = run(this.toQkv, x);
      const part = (i: number) =>
        linear(qkv, (u) =>
          splitHeads(tf.slice(u, [0, 0, i * hidden], [-1, -1, hidden]) as tf.Tensor3D, this.heads),
        );
      const q = linear(part(0), (u) => tf.mul(u, 1 / Math.sqrt(this.dimHead)));
      // k over the sequence axis: [B, h, L, c] -> [B, h, c, L], softmax on L.
      const kT = linear(part(1), (u) => tf.transpose(u, [0, 1, 3, 2]));
      const kSoft = softmaxLastAxis(kT.v);
      const k: T = { v: kSoft, d: kT.d ? softmaxTangent(kSoft, kT.d) : null };
      const context = matMul(k, part(2)); // [B, h, c, c]
      const out = matMul(q, context); // [B, h, L, c]
      return run(
        this.toOut,
        linear(out, (u) => mergeHeads(u as tf.Tensor4D)),
      );
    });
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.forward({ v: x, d: null }).v;
  }
}

/** `[B, T, d_in] x [d_in, d_out]`. */
function matMul2(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const [b, n, d] = x.shape as number[];
  return tf.reshape(tf.matMul(tf.reshape(x, [b * n, d]) as tf.Tensor2D, w as tf.Tensor2D), [
    b,
    n,
    w.shape[1] as number,
  ]);
}
