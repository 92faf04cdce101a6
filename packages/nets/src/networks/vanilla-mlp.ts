import * as tf from '@tensorflow/tfjs-core';
import { relu } from '../layers/activations.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { type ForwardContext, VariableStore } from '../layers/module.js';
import { add, concat, constant, linear, mul, run, type T } from '../layers/tangent-ops.js';
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

/** Options of {@link createVanillaMlp} (defaults: `vanilla_mlp.yaml`). */
export interface VanillaMlpOptions extends CommonNetworkOptions {
  /** Hidden width E (default 512). */
  embDim?: number;
  /** Number of hidden `Linear(E, E) -> ReLU -> Dropout` layers after the first (default 8). */
  nLayers?: number;
  /** Dropout rate (default 0.1). */
  dropout?: number;
  /**
   * How the condition and the times enter (default `'concat'`): `'concat'` appends them to the input;
   * `'film'` feeds the first layer x alone and modulates each later layer (the toy study's `FiLMMLP`).
   */
  conditioning?: 'concat' | 'film';
}

/**
 * The keys of {@link VanillaMlpOptions} a user sets (the shape keys actDim, horizon, obsSteps, condDim and
 * the seed come from the task and the run, see {@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const VANILLA_MLP_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  nLayers: { type: 'integer', min: 0 },
  dropout: DROPOUT_OPTION,
  conditioning: { type: 'enum', values: ['concat', 'film'], doc: "'concat' (default) or 'film'" },
};

/** PyTorch's `nn.Linear` default: weights and biases U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
const TORCH_DEFAULT_INIT = { init: 'kaiming-uniform', biasInit: 'kaiming-uniform' } as const;

export type VanillaMlpConfig = Required<VanillaMlpOptions> & { kind: 'vanilla_mlp' };

/**
 * The reference VanillaMLP (spec §5.4): input `[flatten(x), flatten(cond), s, t]` (raw times),
 * `Linear(in, E) -> ReLU -> Dropout`, then `nLayers x (Linear(E, E) -> ReLU -> Dropout)`,
 * head `Linear(E, H A)`; xavier-uniform weights, zero biases, zero scalar head.
 * Forward mode: the layers' duals (ReLU' = step(x)).
 *
 * `conditioning: 'film'` is the toy study's `FiLMMLP` (spec §11.2): the first layer sees
 * `flatten(x)` only, and each of the `nLayers` later layers is
 * `h <- ReLU(gamma * Linear(E, E)(h) + beta)`, `[gamma, beta] = Linear([flatten(cond), s, t], 2E)(.)`,
 * gamma used raw (not `1 + gamma`), so the condition and the times act by multiplication. The FiLM
 * layers take PyTorch's default init, U(+-1/sqrt(fanIn)) for weights and biases: with xavier the
 * FiLM MLP learned nothing on recon in 600 steps (see the toy-study guide). Its duals:
 * `d(gamma u) = dgamma u + gamma du` (tangent-ops `mul`). With `nLayers: 0` nothing is modulated and
 * the output ignores the condition: the study's depth 3 is `nLayers: 2`.
 *
 * ```ts
 * const net = createVanillaMlp({ actDim: 2, horizon: 1, obsSteps: 1, condDim: 2, embDim: 256, nLayers: 2, conditioning: 'film' });
 * ```
 */
export class VanillaMlp extends DualNetwork {
  readonly config: Readonly<VanillaMlpConfig>;
  private readonly layers: { fc: Dense; drop: Dropout; film: Dense | null }[] = [];
  private readonly head: Dense;

  constructor(options: VanillaMlpOptions) {
    const shape = commonShape('vanilla_mlp', options);
    super(shape, new VariableStore(options.seed ?? 0));
    const cfg: VanillaMlpConfig = {
      ...shape,
      kind: 'vanilla_mlp',
      embDim: positiveInt('vanilla_mlp', 'embDim', options.embDim ?? 512),
      nLayers: options.nLayers ?? 8,
      dropout: dropoutRate('vanilla_mlp', options.dropout ?? 0.1),
      conditioning: options.conditioning ?? 'concat',
      seed: options.seed ?? 0,
    };
    if (cfg.conditioning !== 'concat' && cfg.conditioning !== 'film') {
      throw new Error(
        `vanilla_mlp: option conditioning must be 'concat' or 'film', got ${String(cfg.conditioning)}`,
      );
    }
    if (!Number.isInteger(cfg.nLayers) || cfg.nLayers < 0) {
      throw new Error(`vanilla_mlp: option nLayers must be a non-negative integer, got ${cfg.nLayers}`);
    }
    this.config = cfg;
    const root = this.store.root();
    const e = cfg.embDim;
    const film = cfg.conditioning === 'film';
    const condIn = this.obsSteps * this.condDim + 2;
    const inDim = this.horizon * this.actDim + (film ? 0 : condIn);
    const init = { init: 'xavier-uniform', biasInit: 'zeros' } as const;
    for (let i = 0; i <= cfg.nLayers; i++) {
      const sc = root.child(`layers.${i}`);
      this.layers.push({
        fc: new Dense(sc.child('fc'), i === 0 ? inDim : e, e, init),
        drop: new Dropout(sc.child('drop'), cfg.dropout),
        // PyTorch's default Linear init (the toy study's FiLMMLP): xavier over 3 inputs and 2E
        // outputs makes gamma ~0.06 c, shrinking h ~16x per layer at the start.
        film: film && i > 0 ? new Dense(sc.child('film'), condIn, 2 * e, TORCH_DEFAULT_INIT) : null,
      });
    }
    this.head = new Dense(root.child('head'), e, this.horizon * this.actDim, init);
    new Dense(root.child('scalar_head'), e, 1, { init: 'zeros' });
  }

  protected body(x: T, s: T, t: T, cond: tf.Tensor3D | null, ctx: ForwardContext): T {
    const b = x.v.shape[0];
    const column = (u: tf.Tensor) => tf.reshape(u, [b, -1]);
    const c = concat([constant(flattenCond(this, cond, b)), linear(s, column), linear(t, column)], 1);
    const e = this.config.embDim;
    let h = this.config.conditioning === 'film' ? linear(x, column) : concat([linear(x, column), c], 1);
    for (const { fc, drop, film } of this.layers) {
      let u = run(fc, h);
      if (film) {
        const gb = run(film, c);
        const gamma = linear(gb, (v) => tf.slice(v, [0, 0], [-1, e]));
        const beta = linear(gb, (v) => tf.slice(v, [0, e], [-1, e]));
        u = add(mul(gamma, u), beta);
      }
      h = run(drop, run(relu, u), ctx);
    }
    return linear(run(this.head, h), (u) => tf.reshape(u, [b, this.horizon, this.actDim]));
  }
}

/** Builds the reference VanillaMLP (spec §5.4). */
export function createVanillaMlp(options: VanillaMlpOptions): VanillaMlp {
  return new VanillaMlp(options);
}
