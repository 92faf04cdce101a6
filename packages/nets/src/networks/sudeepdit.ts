import * as tf from '@tensorflow/tfjs-core';
import { geluTanh, silu } from '../layers/activations.js';
import { MultiHeadAttention } from '../layers/attention.js';
import { Dense, type DenseOptions } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { type ForwardContext, type VariableScope, VariableStore } from '../layers/module.js';
import { add, constant, linear, mul, run, type T, tidyT } from '../layers/tangent-ops.js';
import type { Network } from '../network.js';
import type { OptionsSchema } from '../options-schema.js';
import { flattenCond, makeNetwork, timeFeatures } from './big-nets-shared.js';
import { type CommonNetworkOptions, commonShape, DROPOUT_OPTION, positiveInt } from './common.js';

/** Options of {@link createSudeepDiT}; defaults are the reference's `sudeepdit.yaml`. */
export interface SudeepDiTOptions extends CommonNetworkOptions {
  /** Horizon H (number of action tokens). */
  horizon: number;
  /** Model width d (default 256). */
  embDim?: number;
  /** Encoder and decoder depth (default 8). */
  nLayers?: number;
  /** Attention heads, dividing d (default 4). */
  nHeads?: number;
  /** Dropout of attention weights and residual branches (default 0.1). */
  dropout?: number;
  /** Replace the time features by zeros (the net ignores s and t). Default false. */
  disableTimeEmbedding?: boolean;
}

/**
 * The keys of {@link SudeepDiTOptions} a user sets (the shape keys actDim, horizon, obsSteps, condDim and
 * the seed come from the task and the run, see {@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const SUDEEP_DIT_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  nLayers: { type: 'integer', min: 1 },
  nHeads: { type: 'integer', min: 1 },
  dropout: DROPOUT_OPTION,
  disableTimeEmbedding: { type: 'boolean' },
};

/** Xavier-initialised matrix, PyTorch-default bias (what `xavier_uniform_` on `p.dim() > 1` leaves). */
const XAVIER: DenseOptions = { init: 'xavier-uniform', biasInit: 'kaiming-uniform' };
const XAVIER_ZERO_BIAS: DenseOptions = { init: 'xavier-uniform', biasInit: 'zeros' };
const ZERO: DenseOptions = { init: 'zeros', biasInit: 'zeros' };

/** `[B, d] -> [B, 1, d]`, to broadcast a per-sample vector over tokens. */
function perSample(x: T): T {
  return linear(x, (u) => tf.expandDims(u, 1));
}

/**
 * Post-norm self-attention encoder layer (DETR style): `q = k = src + pos`, value `src`;
 * `src = LN1(src + drop(attn))`, `src = LN2(src + drop(Linear2(drop(gelu_tanh(Linear1(src))))))`.
 */
class EncoderLayer {
  readonly attn: MultiHeadAttention;
  readonly fc1: Dense;
  readonly fc2: Dense;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly drops: Dropout[];

  constructor(scope: VariableScope, d: number, heads: number, dropout: number) {
    this.attn = new MultiHeadAttention(scope.child('self_attn'), d, {
      heads,
      inProjInit: 'xavier-uniform',
      outProjInit: 'xavier-uniform',
      dropout,
    });
    this.fc1 = new Dense(scope.child('linear1'), d, 4 * d, XAVIER);
    this.fc2 = new Dense(scope.child('linear2'), 4 * d, d, XAVIER);
    this.norm1 = new LayerNorm(scope.child('norm1'), d);
    this.norm2 = new LayerNorm(scope.child('norm2'), d);
    this.drops = [1, 2, 3].map((i) => new Dropout(scope.child(`dropout${i}`), dropout));
  }

  forward(src: T, pos: tf.Tensor, ctx: ForwardContext): T {
    return tidyT(() => {
      const qk = add(src, constant(pos));
      let h = run(this.norm1, add(src, run(this.drops[0], this.attn.forward(qk, qk, null, ctx, src), ctx)));
      const ff = run(this.fc2, run(this.drops[1], run(geluTanh, run(this.fc1, h)), ctx));
      h = run(this.norm2, add(h, run(this.drops[2], ff, ctx)));
      return h;
    });
  }
}

/** `x * W_s(silu(c)) + W_b(silu(c))` (no "+1"); shift/scale xavier with zero bias. */
class ShiftScale {
  readonly scale: Dense;
  readonly shift: Dense;
  constructor(scope: VariableScope, d: number) {
    this.scale = new Dense(scope.child('scale'), d, d, XAVIER_ZERO_BIAS);
    this.shift = new Dense(scope.child('shift'), d, d, XAVIER_ZERO_BIAS);
  }
  forward(x: T, siluCond: T): T {
    return add(mul(x, perSample(run(this.scale, siluCond))), perSample(run(this.shift, siluCond)));
  }
}

/**
 * adaLN decoder layer with zero-initialised gates:
 *
 *   c' = silu(mean_seq(enc_l) + c)
 *   x += Z_a(c') drop(SelfAttn(LN1(x) W_s1(c') + W_b1(c')))
 *   x += Z_m(c') drop(Linear2(drop(gelu_tanh(Linear1(LN2(x) W_s2(c') + W_b2(c'))))))
 */
class DecoderLayer {
  readonly attn: MultiHeadAttention;
  readonly fc1: Dense;
  readonly fc2: Dense;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly attnMod: ShiftScale;
  readonly attnGate: Dense;
  readonly mlpMod: ShiftScale;
  readonly mlpGate: Dense;
  readonly drops: Dropout[];

  constructor(scope: VariableScope, d: number, heads: number, dropout: number) {
    this.attn = new MultiHeadAttention(scope.child('self_attn'), d, {
      heads,
      inProjInit: 'xavier-uniform',
      outProjInit: 'xavier-uniform',
      dropout,
    });
    this.fc1 = new Dense(scope.child('linear1'), d, 4 * d, XAVIER);
    this.fc2 = new Dense(scope.child('linear2'), 4 * d, d, XAVIER);
    this.norm1 = new LayerNorm(scope.child('norm1'), d);
    this.norm2 = new LayerNorm(scope.child('norm2'), d);
    this.attnMod = new ShiftScale(scope.child('attn_mod1'), d);
    this.attnGate = new Dense(scope.child('attn_mod2').child('scale'), d, d, ZERO);
    this.mlpMod = new ShiftScale(scope.child('mlp_mod1'), d);
    this.mlpGate = new Dense(scope.child('mlp_mod2').child('scale'), d, d, ZERO);
    this.drops = [1, 2, 3].map((i) => new Dropout(scope.child(`dropout${i}`), dropout));
  }

  forward(x: T, cond: T, ctx: ForwardContext): T {
    return tidyT(() => {
      const sc = run(silu, cond);
      const x2 = this.attnMod.forward(run(this.norm1, x), sc);
      const a = this.attn.forward(x2, x2, null, ctx);
      let h = add(x, mul(perSample(run(this.attnGate, sc)), run(this.drops[0], a, ctx)));
      const m2 = this.mlpMod.forward(run(this.norm2, h), sc);
      const ff = run(this.fc2, run(this.drops[1], run(geluTanh, run(this.fc1, m2)), ctx));
      h = add(h, mul(perSample(run(this.mlpGate, sc)), run(this.drops[2], ff, ctx)));
      return h;
    });
  }
}

/**
 * Sudeep Dasari's DiT policy (reference `mip/networks/sudeepdit.py`), batch-first.
 *
 * - `c = concat(pos(s, d/2), pos(t, d/2)) + (Linear(To E', d) -> gelu_tanh -> Linear(d, d))(flat cond)`.
 * - Encoder: the length-1 sequence `[c]` through `nLayers` post-norm self-attention layers (the
 *   fixed sinusoidal position-0 encoding, `[0, 1, 0, 1, ...]`, added to queries and keys only);
 *   every layer's output is kept.
 * - Action tokens: `(Linear(A, A) -> gelu_tanh -> Linear(A, d))(x) + dec_pos` (`[1, H, d]`, xavier).
 * - Decoder layer l: adaLN-modulated self-attention and MLP conditioned on `mean_seq(enc_l) + c`,
 *   with zero-initialised gates (so a fresh net ignores its decoder blocks).
 * - Final: `[shift, scale] = Linear(d, 2d)(silu(mean_seq(enc_last) + c))`, `x scale + shift`,
 *   `Linear(d, A)` (the reference's `norm_final` is constructed but not applied, and has no
 *   parameters).
 * - Init: xavier for the attention and MLP matrices, shift/scale xavier with zero bias, gates zero;
 *   PyTorch defaults elsewhere.
 * - The reference's scalar head (`[mean_H x, mean_H y, c] -> Linear(2A + d, d) -> gelu_tanh ->
 *   Linear(d, 1)`) is created for parameter parity and never computed.
 */
export function createSudeepDiT(options: SudeepDiTOptions): Network {
  const {
    actDim,
    horizon,
    obsSteps,
    condDim,
    embDim = 256,
    nLayers = 8,
    nHeads = 4,
    dropout = 0.1,
    disableTimeEmbedding = false,
    seed = 0,
  } = options;
  const shape = commonShape('sudeepdit', { actDim, horizon, obsSteps, condDim });
  positiveInt('sudeepdit', 'nLayers', nLayers);
  positiveInt('sudeepdit', 'nHeads', nHeads);
  if (!Number.isInteger(embDim) || embDim < 4 || embDim % 4 !== 0 || embDim % nHeads !== 0) {
    throw new Error(`sudeepdit: embDim must be a multiple of 4 and of nHeads (${nHeads}), got ${embDim}`);
  }
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`sudeepdit: dropout must be in [0, 1), got ${dropout}`);
  const d = embDim;
  const store = new VariableStore(seed);
  const root = store.root();
  const condEmb1 = new Dense(root.child('cond_emb').child('0'), obsSteps * condDim, d);
  const condEmb2 = new Dense(root.child('cond_emb').child('2'), d, d);
  const encoder = Array.from(
    { length: nLayers },
    (_, i) => new EncoderLayer(root.child('encoder').child(i), d, nHeads, dropout),
  );
  const acProj1 = new Dense(root.child('ac_proj').child('0'), actDim, actDim);
  const acProj2 = new Dense(root.child('ac_proj').child('2'), actDim, d);
  // xavier on a [H, 1, d] tensor: fan_in = d, fan_out = H d.
  const decPosRng = root.rng();
  const decPosBound = Math.sqrt(6 / (d + horizon * d));
  const decPosValues = new Float32Array(horizon * d).map(() => (2 * decPosRng.uniform() - 1) * decPosBound);
  const decPos = root.variable('dec_pos', tf.tensor(decPosValues, [1, horizon, d]));
  const decoder = Array.from(
    { length: nLayers },
    (_, i) => new DecoderLayer(root.child('decoder').child(i), d, nHeads, dropout),
  );
  const finalMod = new Dense(root.child('final').child('adaLN_modulation'), d, 2 * d);
  const finalLinear = new Dense(root.child('final').child('linear'), d, actDim);
  // Unused scalar head (parameter parity with the reference).
  new Dense(root.child('scalar_head').child('0'), 2 * actDim + d, d);
  new Dense(root.child('scalar_head').child('2'), d, 1);

  // Sinusoidal encoding at position 0: sin(0) = 0 on even, cos(0) = 1 on odd channels.
  const pos0 = new Float32Array(d);
  for (let i = 1; i < d; i += 2) pos0[i] = 1;

  const body = (x: T, s: T, t: T, cond: T, ctx: ForwardContext): T => {
    const c = add(
      timeFeatures(s, t, d, disableTimeEmbedding),
      run(condEmb2, run(geluTanh, run(condEmb1, flattenCond(cond)))),
    );
    const pos = tf.tensor3d(pos0, [1, 1, d]);
    let src = perSample(c);
    const encOut: T[] = [];
    for (const layer of encoder) {
      src = layer.forward(src, pos, ctx);
      encOut.push(src);
    }
    const layerCond = (e: T) =>
      add(
        linear(e, (u) => tf.mean(u, 1)),
        c,
      );
    let h = add(run(acProj2, run(geluTanh, run(acProj1, x))), constant(decPos));
    decoder.forEach((layer, i) => {
      h = layer.forward(h, layerCond(encOut[i]), ctx);
    });
    const mod = run(finalMod, run(silu, layerCond(encOut[encOut.length - 1])));
    const shift = perSample(linear(mod, (u) => tf.slice(u, [0, 0], [-1, d])));
    const scale = perSample(linear(mod, (u) => tf.slice(u, [0, d], [-1, d])));
    return run(finalLinear, add(mul(h, scale), shift));
  };

  return makeNetwork(
    { ...shape, embDim, nLayers, nHeads, dropout, disableTimeEmbedding, seed },
    shape,
    store,
    body,
  );
}
