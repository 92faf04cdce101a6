import * as tf from '@tensorflow/tfjs-core';
import { type SinCosFeatures, uniformFrequencyEmbedding } from '../embeddings.js';
import { type Activation, geluTanh, relu } from '../layers/activations.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { type ForwardContext, VariableStore } from '../layers/module.js';
import { RECURRENT_TYPES, Recurrent, type RecurrentType } from '../layers/recurrent.js';
import { concat, constant, linear, run, type T } from '../layers/tangent-ops.js';
import type { OptionsSchema } from '../options-schema.js';
import {
  type CommonNetworkOptions,
  commonShape,
  DROPOUT_OPTION,
  dropoutRate,
  flattenCond,
  positiveInt,
} from './common.js';
import { DualNetwork } from './dual-network.js';

/** Options of {@link createRnn} / {@link createVanillaRnn} (defaults: `rnn.yaml`). */
export interface RnnOptions extends CommonNetworkOptions {
  /** Hidden width E of the recurrent layers (default 512). */
  embDim?: number;
  /** Number of stacked recurrent layers (default 8). */
  nLayers?: number;
  /** `'lstm'` (default) or `'gru'`. */
  rnnType?: RecurrentType;
  /** Dropout between recurrent layers and in the per-step MLP (default 0.1). */
  dropout?: number;
  /** Width of each time's uniform-frequency features (default 128; `rnn` only). */
  timestepEmbDim?: number;
  /** Top frequency of the features (default 100; `rnn` only). */
  maxFreq?: number;
  /** Drop the time features (the net ignores s and t); `rnn` only. Default false. */
  disableTimeEmbedding?: boolean;
}

/**
 * The keys of {@link RnnOptions} a user sets (the shape keys actDim, horizon, obsSteps, condDim and
 * the seed come from the task and the run, see {@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const RNN_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  nLayers: { type: 'integer', min: 1 },
  rnnType: { type: 'enum', values: RECURRENT_TYPES },
  dropout: DROPOUT_OPTION,
  timestepEmbDim: { type: 'integer', min: 1 },
  maxFreq: { type: 'number', min: 0, exclusiveMin: true },
  disableTimeEmbedding: { type: 'boolean' },
};

/** The keys of {@link RnnOptions} that `vanilla_rnn` reads (it has no time features). */
export const VANILLA_RNN_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  nLayers: { type: 'integer', min: 1 },
  rnnType: { type: 'enum', values: RECURRENT_TYPES },
  dropout: DROPOUT_OPTION,
};

export type RnnConfig = Required<RnnOptions> & { kind: 'rnn' | 'vanilla_rnn' };

/**
 * The reference RNN (spec §5.9). Per step i of the horizon the input is
 * `[x_i (A), emb(s), emb(t), flatten(cond)]` (`rnn`) or `[x_i, flatten(cond), s, t]`
 * (`vanilla_rnn`); `nLayers` stacked unidirectional LSTM/GRU layers of width E with dropout
 * between them; a per-step MLP with hidden widths `[E, E/2]` (`Linear -> LayerNorm -> GELU(tanh)
 * -> Dropout` for `rnn`, `Linear -> ReLU -> Dropout` for `vanilla_rnn`); `Linear(E/2, A)` per
 * step. Orthogonal (`rnn`) or xavier-uniform (`vanilla_rnn`) weights, zero biases; a zero scalar
 * head `Linear(E/2, 1)` is kept for parameter parity. Forward mode: the recurrences are unrolled
 * over H with explicit gate derivatives ({@link Recurrent}).
 */
export class Rnn extends DualNetwork {
  readonly config: Readonly<RnnConfig>;
  private readonly timeEmb: SinCosFeatures | null;
  private readonly layers: Recurrent[] = [];
  private readonly interDrop: Dropout[] = [];
  private readonly mlp: { fc: Dense; norm: LayerNorm | null; drop: Dropout }[] = [];
  private readonly act: Activation;
  private readonly head: Dense;

  constructor(kind: 'rnn' | 'vanilla_rnn', options: RnnOptions) {
    const shape = commonShape(kind, options);
    super(shape, new VariableStore(options.seed ?? 0));
    const vanilla = kind === 'vanilla_rnn';
    const cfg: RnnConfig = {
      ...shape,
      kind,
      embDim: positiveInt(kind, 'embDim', options.embDim ?? 512),
      nLayers: positiveInt(kind, 'nLayers', options.nLayers ?? 8),
      rnnType: options.rnnType ?? 'lstm',
      dropout: dropoutRate(kind, options.dropout ?? 0.1),
      timestepEmbDim: positiveInt(kind, 'timestepEmbDim', options.timestepEmbDim ?? 128),
      maxFreq: options.maxFreq ?? 100,
      disableTimeEmbedding: options.disableTimeEmbedding ?? false,
      seed: options.seed ?? 0,
    };
    if (!RECURRENT_TYPES.includes(cfg.rnnType)) {
      throw new Error(`${kind}: unknown rnnType '${cfg.rnnType}'; valid: ${RECURRENT_TYPES.join(', ')}`);
    }
    if (cfg.embDim % 2 !== 0) throw new Error(`${kind}: option embDim must be even, got ${cfg.embDim}`);
    this.config = cfg;
    const root = this.store.root();
    const e = cfg.embDim;
    const init = vanilla ? 'xavier-uniform' : 'orthogonal';
    this.timeEmb =
      vanilla || cfg.disableTimeEmbedding ? null : uniformFrequencyEmbedding(cfg.timestepEmbDim, cfg.maxFreq);
    const condWidth = this.obsSteps * this.condDim;
    const inDim = this.actDim + condWidth + (vanilla ? 2 : this.timeEmb ? 2 * cfg.timestepEmbDim : 0);
    for (let i = 0; i < cfg.nLayers; i++) {
      this.layers.push(new Recurrent(root.child(`rnn.${i}`), cfg.rnnType, i === 0 ? inDim : e, e, init));
      if (i < cfg.nLayers - 1) this.interDrop.push(new Dropout(root.child(`rnn_drop.${i}`), cfg.dropout));
    }
    this.act = vanilla ? relu : geluTanh;
    const widths = [e, e / 2];
    let prev = e;
    widths.forEach((w, i) => {
      const sc = root.child(`mlp.${i}`);
      this.mlp.push({
        fc: new Dense(sc.child('fc'), prev, w, { init, biasInit: 'zeros' }),
        norm: vanilla ? null : new LayerNorm(sc.child('norm'), w),
        drop: new Dropout(sc.child('drop'), cfg.dropout),
      });
      prev = w;
    });
    this.head = new Dense(root.child('head'), prev, this.actDim, { init, biasInit: 'zeros' });
    new Dense(root.child('scalar_head'), prev, 1, { init: 'zeros' });
  }

  protected body(x: T, s: T, t: T, cond: tf.Tensor3D | null, ctx: ForwardContext): T {
    const [b, h] = x.v.shape;
    /** [B, W] -> [B, H, W], the same vector at every step. */
    const tileSteps = (u: T): T => linear(u, (v) => tf.tile(tf.expandDims(v, 1), [1, h, 1]));
    const column = (u: tf.Tensor) => tf.reshape(u, [b, 1]);
    const condPart = tileSteps(constant(flattenCond(this, cond, b)));
    const parts: T[] = [x];
    if (this.kind === 'vanilla_rnn') {
      parts.push(condPart, tileSteps(linear(s, column)), tileSteps(linear(t, column)));
    } else {
      if (this.timeEmb) parts.push(tileSteps(run(this.timeEmb, s)), tileSteps(run(this.timeEmb, t)));
      parts.push(condPart);
    }
    let z = concat(parts, 2);
    this.layers.forEach((layer, i) => {
      const [v, d] = layer.run(z.v, z.d);
      z = { v, d };
      if (i < this.interDrop.length) z = run(this.interDrop[i], z, ctx);
    });
    for (const { fc, norm, drop } of this.mlp) {
      z = run(fc, z);
      if (norm) z = run(norm, z);
      z = run(drop, run(this.act, z), ctx);
    }
    return run(this.head, z);
  }
}

/** Builds the reference RNN (spec §5.9). */
export function createRnn(options: RnnOptions): Rnn {
  return new Rnn('rnn', options);
}

/** Builds the reference VanillaRNN (spec §5.9). */
export function createVanillaRnn(options: RnnOptions): Rnn {
  return new Rnn('vanilla_rnn', options);
}
