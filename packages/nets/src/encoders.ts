import * as tf from '@tensorflow/tfjs-core';
import { type ImageEncoderOptions, MultiImageObsEncoder } from './image-encoder.js';
import { leakyRelu } from './layers/activations.js';
import { Dense } from './layers/dense.js';
import { drawSeed, type NamedVariable, VariableStore } from './layers/module.js';

/** Options of an encoder call. */
export interface EncodeOptions {
  /** Training mode: per-sample condition dropout active. Default false. */
  training?: boolean;
  /** Seed of the condition-dropout mask (drawn per call when training without one). */
  dropoutSeed?: number;
}

/**
 * An observation encoder `obs: [B, To, D] -> [B, To, E]` (spec §5.10). In training mode a
 * per-sample mask `u > p` (u ~ U[0, 1), one draw per sample, no rescaling) multiplies the whole
 * embedding of a sample (classifier-free-guidance style condition dropout).
 */
export interface ObsEncoder {
  readonly kind: EncoderKind;
  readonly config: Readonly<Record<string, unknown>>;
  readonly obsSteps: number;
  readonly obsDim: number;
  /** Output width E. */
  readonly embDim: number;
  readonly variables: readonly tf.Variable[];
  readonly namedVariables: readonly NamedVariable[];
  encode(obs: tf.Tensor3D, options?: EncodeOptions): tf.Tensor3D;
  dispose(): void;
}

export const ENCODER_KINDS = ['identity', 'mlp', 'per_step_mlp', 'image'] as const;
export type EncoderKind = (typeof ENCODER_KINDS)[number];

/** Options of the encoders. */
export interface EncoderOptions {
  /** Observation width D. */
  obsDim: number;
  /** Observation steps To. */
  obsSteps: number;
  /** Output width E (MLP encoders; the identity encoder's E is D). */
  embDim?: number;
  /** Hidden widths of the MLP (default `[E, E]`). */
  hiddenDims?: number[];
  /** Condition-dropout rate (default 0, the reference's `encoder_dropout`). */
  dropout?: number;
  /** Init seed (default 0). */
  seed?: number;
}

/** The per-sample condition-dropout mask `[B, 1, 1]`, or null when inactive. */
function conditionMask(batch: number, rate: number, options?: EncodeOptions): tf.Tensor | null {
  if (!options?.training || rate === 0) return null;
  const seed = options.dropoutSeed ?? drawSeed();
  return tf.tidy(() =>
    tf.reshape(tf.cast(tf.greater(tf.randomUniform([batch], 0, 1, 'float32', seed), rate), 'float32'), [
      batch,
      1,
      1,
    ]),
  );
}

class BaseEncoder {
  protected readonly store: VariableStore;
  readonly obsSteps: number;
  readonly obsDim: number;
  readonly dropout: number;

  constructor(kind: string, o: EncoderOptions) {
    for (const key of ['obsDim', 'obsSteps'] as const) {
      const v = o[key];
      if (!Number.isInteger(v) || v <= 0)
        throw new Error(`${kind} encoder: option ${key} must be a positive integer, got ${v}`);
    }
    const dropout = o.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1))
      throw new Error(`${kind} encoder: option dropout must be in [0, 1), got ${dropout}`);
    this.obsSteps = o.obsSteps;
    this.obsDim = o.obsDim;
    this.dropout = dropout;
    this.store = new VariableStore(o.seed ?? 0);
  }

  get variables(): tf.Variable[] {
    return this.store.variables;
  }

  get namedVariables(): readonly NamedVariable[] {
    return this.store.namedVariables;
  }

  protected check(kind: string, obs: tf.Tensor): void {
    if (obs.rank !== 3 || obs.shape[1] !== this.obsSteps || obs.shape[2] !== this.obsDim) {
      throw new Error(
        `${kind} encoder: obs must have shape [B, To=${this.obsSteps}, D=${this.obsDim}], got [${obs.shape.join(', ')}]`,
      );
    }
  }

  protected withDropout(y: tf.Tensor, options?: EncodeOptions): tf.Tensor3D {
    const m = conditionMask(y.shape[0], this.dropout, options);
    return (m ? tf.mul(y, m) : y) as tf.Tensor3D;
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** Passes observations through (E = D), with condition dropout. */
export class IdentityEncoder extends BaseEncoder implements ObsEncoder {
  readonly kind = 'identity';
  readonly embDim: number;
  readonly config: Readonly<Record<string, unknown>>;

  constructor(o: EncoderOptions) {
    super('identity', o);
    this.embDim = o.obsDim;
    this.config = { kind: 'identity', obsDim: o.obsDim, obsSteps: o.obsSteps, dropout: this.dropout };
  }

  encode(obs: tf.Tensor3D, options?: EncodeOptions): tf.Tensor3D {
    this.check('identity', obs);
    return tf.tidy(() => this.withDropout(tf.clone(obs), options));
  }
}

/**
 * `MLPEncoder`: `[B, To D] -> Linear -> LeakyReLU -> ... -> Linear(h, E To) -> [B, To, E]`
 * (`per_step_mlp`: the same MLP on each step, `[B To, D] -> [B To, E]`, no time mixing).
 * PyTorch default init, LeakyReLU slope 0.01.
 */
export class MlpEncoder extends BaseEncoder implements ObsEncoder {
  readonly kind: 'mlp' | 'per_step_mlp';
  readonly embDim: number;
  readonly config: Readonly<Record<string, unknown>>;
  private readonly layers: Dense[] = [];

  constructor(kind: 'mlp' | 'per_step_mlp', o: EncoderOptions) {
    super(kind, o);
    this.kind = kind;
    const e = o.embDim;
    if (!Number.isInteger(e) || (e as number) <= 0)
      throw new Error(`${kind} encoder: option embDim must be a positive integer, got ${e}`);
    this.embDim = e as number;
    const hidden = o.hiddenDims ?? [this.embDim, this.embDim];
    this.config = {
      kind,
      obsDim: o.obsDim,
      obsSteps: o.obsSteps,
      embDim: e,
      hiddenDims: hidden,
      dropout: this.dropout,
      seed: o.seed ?? 0,
    };
    const perStep = kind === 'per_step_mlp';
    const widths = [
      perStep ? o.obsDim : o.obsDim * o.obsSteps,
      ...hidden,
      perStep ? this.embDim : this.embDim * o.obsSteps,
    ];
    const root = this.store.root();
    for (let i = 0; i + 1 < widths.length; i++)
      this.layers.push(new Dense(root.child(`layers.${i}`), widths[i], widths[i + 1]));
  }

  encode(obs: tf.Tensor3D, options?: EncodeOptions): tf.Tensor3D {
    this.check(this.kind, obs);
    return tf.tidy(() => {
      const b = obs.shape[0];
      let h: tf.Tensor =
        this.kind === 'mlp' ? tf.reshape(obs, [b, -1]) : tf.reshape(obs, [b * this.obsSteps, this.obsDim]);
      this.layers.forEach((layer, i) => {
        h = layer.apply(h);
        if (i < this.layers.length - 1) h = leakyRelu.apply(h);
      });
      return this.withDropout(tf.reshape(h, [b, this.obsSteps, this.embDim]), options);
    });
  }
}

/** An encoder by kind; the error lists the valid kinds. */
export function createEncoder(kind: string, options: EncoderOptions): ObsEncoder {
  switch (kind) {
    case 'identity':
      return new IdentityEncoder(options);
    case 'mlp':
    case 'per_step_mlp':
      return new MlpEncoder(kind, options);
    case 'image':
      return new MultiImageObsEncoder(options as ImageEncoderOptions);
    default:
      throw new Error(`unknown encoder kind '${kind}'; valid: ${ENCODER_KINDS.join(', ')}`);
  }
}
