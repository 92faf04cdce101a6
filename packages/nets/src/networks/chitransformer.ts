import * as tf from '@tensorflow/tfjs-core';
import { gelu, mish } from '../layers/activations.js';
import { bandMask, MultiHeadAttention } from '../layers/attention.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { initWeightValues } from '../layers/init.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { type ForwardContext, type VariableScope, VariableStore } from '../layers/module.js';
import { add, concat, constant, linear, run, type T, tidyT } from '../layers/tangent-ops.js';
import type { Network } from '../network.js';
import type { OptionsSchema } from '../options-schema.js';
import { makeNetwork, timeFeatures } from './big-nets-shared.js';
import { type CommonNetworkOptions, commonShape, DROPOUT_OPTION, positiveInt } from './common.js';

/** Options of {@link createChiTransformer}; defaults are the reference's `chitransformer.yaml`. */
export interface ChiTransformerOptions extends CommonNetworkOptions {
  /** Horizon H (number of action tokens). */
  horizon: number;
  /** Token width d (default 384). */
  embDim?: number;
  /** Decoder layers (default 8). */
  nLayers?: number;
  /** Attention heads, dividing d (default 6). */
  nHeads?: number;
  /** Dropout after adding the position embeddings (`p_drop_emb`, default 0). */
  dropout?: number;
  /** Dropout inside the decoder layers: attention weights, residual branches, MLP (`p_drop_attn`, default 0.1). */
  attnDropout?: number;
  /** Pre-norm self-attention encoder layers over the condition tokens; 0 uses a token-wise MLP (default 0). */
  nCondLayers?: number;
  /** Replace the time token by zeros (the net ignores s and t). Default false. */
  disableTimeEmbedding?: boolean;
}

/**
 * The keys of {@link ChiTransformerOptions} a user sets (the shape keys actDim, horizon, obsSteps, condDim and
 * the seed come from the task and the run, see {@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const CHI_TRANSFORMER_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  nLayers: { type: 'integer', min: 1 },
  nHeads: { type: 'integer', min: 1 },
  dropout: DROPOUT_OPTION,
  attnDropout: DROPOUT_OPTION,
  nCondLayers: { type: 'integer', min: 0 },
  disableTimeEmbedding: { type: 'boolean' },
};

const LINEAR = { init: 'normal-0.02', biasInit: 'zeros' } as const;

/** A learned position embedding `[1, n, d]`, N(0, 0.02). */
function positionVariable(scope: VariableScope, name: string, n: number, d: number): tf.Variable {
  return scope.variable(name, tf.tensor(initWeightValues('normal-0.02', n, d, scope.rng()), [1, n, d]));
}

/**
 * PyTorch `TransformerDecoderLayer(d, heads, 4d, dropout, gelu, batch_first, norm_first=True)`:
 *
 *   x += drop(SelfAttn(LN1(x), causal));  x += drop(CrossAttn(LN2(x), memory, mask));
 *   x += drop(Linear2(drop(gelu(Linear1(LN3(x))))))
 */
class DecoderLayer {
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly selfAttn: MultiHeadAttention;
  readonly crossAttn: MultiHeadAttention;
  readonly fc1: Dense;
  readonly fc2: Dense;
  readonly drops: Dropout[];

  constructor(scope: VariableScope, d: number, heads: number, dropout: number) {
    const attn = { heads, inProjInit: 'normal-0.02', outProjInit: 'normal-0.02', dropout } as const;
    this.selfAttn = new MultiHeadAttention(scope.child('self_attn'), d, attn);
    this.crossAttn = new MultiHeadAttention(scope.child('multihead_attn'), d, attn);
    this.fc1 = new Dense(scope.child('linear1'), d, 4 * d, LINEAR);
    this.fc2 = new Dense(scope.child('linear2'), 4 * d, d, LINEAR);
    this.norm1 = new LayerNorm(scope.child('norm1'), d);
    this.norm2 = new LayerNorm(scope.child('norm2'), d);
    this.norm3 = new LayerNorm(scope.child('norm3'), d);
    this.drops = [0, 1, 2, 3].map((i) => new Dropout(scope.child(`dropout${i}`), dropout));
  }

  forward(x: T, memory: T, selfMask: tf.Tensor2D, crossMask: tf.Tensor2D, ctx: ForwardContext): T {
    return tidyT(() => {
      const q = run(this.norm1, x);
      let h = add(x, run(this.drops[1], this.selfAttn.forward(q, q, selfMask, ctx), ctx));
      h = add(h, run(this.drops[2], this.crossAttn.forward(run(this.norm2, h), memory, crossMask, ctx), ctx));
      const ff = run(this.fc2, run(this.drops[0], run(gelu, run(this.fc1, run(this.norm3, h))), ctx));
      return add(h, run(this.drops[3], ff, ctx));
    });
  }
}

/** PyTorch `TransformerEncoderLayer(d, heads, 4d, dropout, gelu, batch_first, norm_first=True)`. */
class EncoderLayer {
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly selfAttn: MultiHeadAttention;
  readonly fc1: Dense;
  readonly fc2: Dense;
  readonly drops: Dropout[];

  constructor(scope: VariableScope, d: number, heads: number, dropout: number) {
    this.selfAttn = new MultiHeadAttention(scope.child('self_attn'), d, {
      heads,
      inProjInit: 'normal-0.02',
      outProjInit: 'normal-0.02',
      dropout,
    });
    this.fc1 = new Dense(scope.child('linear1'), d, 4 * d, LINEAR);
    this.fc2 = new Dense(scope.child('linear2'), 4 * d, d, LINEAR);
    this.norm1 = new LayerNorm(scope.child('norm1'), d);
    this.norm2 = new LayerNorm(scope.child('norm2'), d);
    this.drops = [0, 1, 2].map((i) => new Dropout(scope.child(`dropout${i}`), dropout));
  }

  forward(x: T, ctx: ForwardContext): T {
    return tidyT(() => {
      const q = run(this.norm1, x);
      const h = add(x, run(this.drops[1], this.selfAttn.forward(q, q, null, ctx), ctx));
      const ff = run(this.fc2, run(this.drops[0], run(gelu, run(this.fc1, run(this.norm2, h))), ctx));
      return add(h, run(this.drops[2], ff, ctx));
    });
  }
}

/**
 * Chi et al.'s diffusion-policy transformer (reference `mip/networks/chitfm.py`), batch-first.
 *
 * - Action tokens: `Linear(A, d)(x) + pos_emb` (`[1, H, d]`), then dropout.
 * - Condition tokens: `[time token, obs tokens] + cond_pos_emb` (`[1, 1 + To, d]`), then dropout;
 *   time token `concat(pos(s, d/2), pos(t, d/2))`, obs tokens `Linear(E', d)(cond)`.
 * - Condition encoder: `nCondLayers` pre-norm encoder layers, or (default) a token-wise
 *   `Linear(d, 4d) -> Mish -> Linear(4d, d)`; its output is the decoder's memory.
 * - Decoder: `nLayers` pre-norm decoder layers; self-attention causal (token i sees j <= i);
 *   cross-attention lets action token i see condition token j iff `i >= j - 1`.
 * - Head: `LayerNorm(d) -> Linear(d, A)`.
 * - Init: linear weights N(0, 0.02), biases 0, MHA projections N(0, 0.02), LayerNorm (1, 0),
 *   both position embeddings N(0, 0.02).
 * - The reference's scalar head (`Linear(A, d/4)`, `Linear(d, d/4)`, `Linear(d/4 + d/4 + d, 1)`
 *   zeroed) is created for parameter parity and never computed.
 */
export function createChiTransformer(options: ChiTransformerOptions): Network {
  const {
    actDim,
    horizon,
    obsSteps,
    condDim,
    embDim = 384,
    nLayers = 8,
    nHeads = 6,
    dropout = 0,
    attnDropout = 0.1,
    nCondLayers = 0,
    disableTimeEmbedding = false,
    seed = 0,
  } = options;
  const shape = commonShape('chitransformer', { actDim, horizon, obsSteps, condDim });
  positiveInt('chitransformer', 'nLayers', nLayers);
  positiveInt('chitransformer', 'nHeads', nHeads);
  if (!Number.isInteger(nCondLayers) || nCondLayers < 0) {
    throw new Error(`chitransformer: nCondLayers must be a non-negative integer, got ${nCondLayers}`);
  }
  if (!Number.isInteger(embDim) || embDim < 4 || embDim % 4 !== 0 || embDim % nHeads !== 0) {
    throw new Error(
      `chitransformer: embDim must be a multiple of 4 and of nHeads (${nHeads}), got ${embDim}`,
    );
  }
  const d = embDim;
  const store = new VariableStore(seed);
  const root = store.root();
  const inputEmb = new Dense(root.child('input_emb'), actDim, d, LINEAR);
  const posEmb = positionVariable(root, 'pos_emb', horizon, d);
  const condObsEmb = new Dense(root.child('cond_obs_emb'), condDim, d, LINEAR);
  const condPosEmb = positionVariable(root, 'cond_pos_emb', 1 + obsSteps, d);
  const tokenDrop = new Dropout(root.child('drop'), dropout);
  const condDrop = new Dropout(root.child('cond_drop'), dropout);
  const encoderLayers = Array.from(
    { length: nCondLayers },
    (_, i) => new EncoderLayer(root.child('encoder').child(i), d, nHeads, attnDropout),
  );
  const encoderMlp =
    nCondLayers === 0
      ? [
          new Dense(root.child('encoder').child('0'), d, 4 * d, LINEAR),
          new Dense(root.child('encoder').child('2'), 4 * d, d, LINEAR),
        ]
      : null;
  const decoder = Array.from(
    { length: nLayers },
    (_, i) => new DecoderLayer(root.child('decoder').child(i), d, nHeads, attnDropout),
  );
  const lnF = new LayerNorm(root.child('ln_f'), d);
  const head = new Dense(root.child('head'), d, actDim, LINEAR);
  // Unused scalar head (parameter parity with the reference).
  new Dense(root.child('scalar_head').child('x_proj'), actDim, d / 4, LINEAR);
  new Dense(root.child('scalar_head').child('y_proj'), d, d / 4, LINEAR);
  new Dense(root.child('scalar_head').child('out'), d / 4 + d / 4 + d, 1, {
    init: 'zeros',
    biasInit: 'zeros',
  });

  const body = (x: T, s: T, t: T, cond: T, ctx: ForwardContext): T => {
    const selfMask = bandMask(horizon, horizon, 0);
    const crossMask = bandMask(horizon, 1 + obsSteps, 1);
    let tokens = run(tokenDrop, add(run(inputEmb, x), constant(posEmb)), ctx);
    const timeToken = linear(timeFeatures(s, t, d, disableTimeEmbedding), (u) => tf.expandDims(u, 1));
    const condTokens = concat([timeToken, run(condObsEmb, cond)], 1);
    let memory = run(condDrop, add(condTokens, constant(condPosEmb)), ctx);
    if (encoderMlp) {
      memory = run(encoderMlp[1], run(mish, run(encoderMlp[0], memory)));
    } else {
      for (const layer of encoderLayers) memory = layer.forward(memory, ctx);
    }
    for (const layer of decoder) tokens = layer.forward(tokens, memory, selfMask, crossMask, ctx);
    return run(head, run(lnF, tokens));
  };

  return makeNetwork(
    {
      ...shape,
      embDim,
      nLayers,
      nHeads,
      dropout,
      attnDropout,
      nCondLayers,
      disableTimeEmbedding,
      seed,
    },
    shape,
    store,
    body,
  );
}
