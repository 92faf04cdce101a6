import * as tf from '@tensorflow/tfjs-core';
import { type SinCosFeatures, uniformFrequencyEmbedding } from '../embeddings.js';
import {
  ACTIVATION_NAMES,
  type Activation,
  type ActivationName,
  activationByName,
} from '../layers/activations.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import type { WeightInit } from '../layers/init.js';
import { WEIGHT_INITS } from '../layers/init.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { type ForwardContext, VariableStore } from '../layers/module.js';
import { add, concat, constant, linear, run, type T } from '../layers/tangent-ops.js';
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

/** Options of {@link createMlp} (defaults: `examples/configs/network/mlp.yaml`). */
export interface MlpOptions extends CommonNetworkOptions {
  /** Width E of the residual stream (default 512). */
  embDim?: number;
  /** Number of residual blocks (default 8). */
  nLayers?: number;
  /** Dropout rate inside the blocks (default 0.1). */
  dropout?: number;
  /** Width of each time's uniform-frequency features (default 128). */
  timestepEmbDim?: number;
  /** Top frequency of the uniform-frequency features (default 100). */
  maxFreq?: number;
  /** Drop the s and t features from the input (the net ignores the times). Default false. */
  disableTimeEmbedding?: boolean;
  /** Block activation (default `'gelu'`, exact). */
  activation?: ActivationName;
  /** Weight init of the input projection, block linears and head (default `'orthogonal'`). */
  init?: WeightInit;
}

/**
 * The keys of {@link MlpOptions} a user sets (the shape keys actDim, horizon, obsSteps, condDim and
 * the seed come from the task and the run, see {@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const MLP_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  nLayers: { type: 'integer', min: 0 },
  dropout: DROPOUT_OPTION,
  timestepEmbDim: { type: 'integer', min: 1 },
  maxFreq: { type: 'number', min: 0, exclusiveMin: true },
  disableTimeEmbedding: { type: 'boolean' },
  activation: { type: 'enum', values: ACTIVATION_NAMES },
  init: { type: 'enum', values: WEIGHT_INITS },
};

/** A resolved MLP config (every option set). */
export type MlpConfig = Required<MlpOptions> & { kind: 'mlp' };

/**
 * The reference MLP (`mip/networks/mlp.py`, spec §5.3):
 *
 *   in  = [flatten(x) (H A), emb(s), emb(t), flatten(cond) (To E)]      (plain concatenation)
 *   h   = act(LN(Linear(in -> E)))
 *   h  += Drop(Linear(4E -> E)(LN(Drop(act(Linear(E -> 4E)(LN(h)))))))  x nLayers  (pre-norm)
 *   y   = reshape(Linear(E -> H A)(LN(h)), [B, H, A])
 *
 * with emb the uniform-frequency features `[sin(t w), cos(t w)]`, `w = linspace(0, maxFreq, d/2)`.
 * The scalar head `Linear(E, 1)` (zero init) is kept for parameter parity with the reference.
 * Forward mode: every layer's dual pass in sequence (exact J·(dx, ds, dt)).
 */
export class Mlp extends DualNetwork {
  readonly config: Readonly<MlpConfig>;
  private readonly timeEmb: SinCosFeatures | null;
  private readonly act: Activation;
  private readonly inProj: Dense;
  private readonly inNorm: LayerNorm;
  private readonly blocks: {
    norm1: LayerNorm;
    fc1: Dense;
    drop1: Dropout;
    norm2: LayerNorm;
    fc2: Dense;
    drop2: Dropout;
  }[];
  private readonly outNorm: LayerNorm;
  private readonly head: Dense;

  constructor(options: MlpOptions) {
    const shape = commonShape('mlp', options);
    super(shape, new VariableStore(options.seed ?? 0));
    const cfg: MlpConfig = {
      ...shape,
      kind: 'mlp',
      embDim: positiveInt('mlp', 'embDim', options.embDim ?? 512),
      nLayers: options.nLayers ?? 8,
      dropout: dropoutRate('mlp', options.dropout ?? 0.1),
      timestepEmbDim: positiveInt('mlp', 'timestepEmbDim', options.timestepEmbDim ?? 128),
      maxFreq: options.maxFreq ?? 100,
      disableTimeEmbedding: options.disableTimeEmbedding ?? false,
      activation: options.activation ?? 'gelu',
      init: options.init ?? 'orthogonal',
      seed: options.seed ?? 0,
    };
    if (!Number.isInteger(cfg.nLayers) || cfg.nLayers < 0) {
      throw new Error(`mlp: option nLayers must be a non-negative integer, got ${cfg.nLayers}`);
    }
    this.config = cfg;
    this.act = activationByName(cfg.activation);
    const e = cfg.embDim;
    const root = this.store.root();
    this.timeEmb = cfg.disableTimeEmbedding
      ? null
      : uniformFrequencyEmbedding(cfg.timestepEmbDim, cfg.maxFreq);
    const inDim =
      this.horizon * this.actDim + (this.timeEmb ? 2 * cfg.timestepEmbDim : 0) + this.obsSteps * this.condDim;
    const init = { init: cfg.init, biasInit: 'zeros' } as const;
    this.inProj = new Dense(root.child('in_proj'), inDim, e, init);
    this.inNorm = new LayerNorm(root.child('in_norm'), e);
    this.blocks = [];
    for (let i = 0; i < cfg.nLayers; i++) {
      const b = root.child(`blocks.${i}`);
      this.blocks.push({
        norm1: new LayerNorm(b.child('norm1'), e),
        fc1: new Dense(b.child('fc1'), e, 4 * e, init),
        drop1: new Dropout(b.child('drop1'), cfg.dropout),
        norm2: new LayerNorm(b.child('norm2'), 4 * e),
        fc2: new Dense(b.child('fc2'), 4 * e, e, init),
        drop2: new Dropout(b.child('drop2'), cfg.dropout),
      });
    }
    this.outNorm = new LayerNorm(root.child('out_norm'), e);
    this.head = new Dense(root.child('head'), e, this.horizon * this.actDim, init);
    new Dense(root.child('scalar_head'), e, 1, { init: 'zeros', biasInit: 'zeros' });
  }

  protected body(x: T, s: T, t: T, cond: tf.Tensor3D | null, ctx: ForwardContext): T {
    const b = x.v.shape[0];
    const parts: T[] = [linear(x, (u) => tf.reshape(u, [b, -1]))];
    if (this.timeEmb) parts.push(run(this.timeEmb, s), run(this.timeEmb, t));
    parts.push(constant(flattenCond(this, cond, b)));
    let h = run(this.act, run(this.inNorm, run(this.inProj, concat(parts, 1))));
    for (const blk of this.blocks) {
      let r = run(blk.norm1, h);
      r = run(blk.drop1, run(this.act, run(blk.fc1, r)), ctx);
      r = run(blk.drop2, run(blk.fc2, run(blk.norm2, r)), ctx);
      h = add(h, r);
    }
    const y = run(this.head, run(this.outNorm, h));
    return linear(y, (u) => tf.reshape(u, [b, this.horizon, this.actDim]));
  }
}

/** Builds the reference MLP (spec §5.3). */
export function createMlp(options: MlpOptions): Mlp {
  return new Mlp(options);
}
