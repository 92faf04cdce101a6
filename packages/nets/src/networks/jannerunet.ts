import * as tf from '@tensorflow/tfjs-core';
import {
  ACTIVATION_NAMES,
  type Activation,
  type ActivationName,
  activationByName,
} from '../layers/activations.js';
import { LinearAttention } from '../layers/attention.js';
import { Conv1d, ConvTranspose1d } from '../layers/conv1d.js';
import { Dense } from '../layers/dense.js';
import { GroupNorm } from '../layers/group-norm.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { type ForwardContext, type VariableScope, VariableStore } from '../layers/module.js';
import { add, concat, linear, run, type T, tidyT } from '../layers/tangent-ops.js';
import type { Network } from '../network.js';
import type { OptionsSchema } from '../options-schema.js';
import {
  flattenCond,
  makeNetwork,
  requireUNetHorizon,
  timeFeatures,
  validateUNetOptions,
} from './big-nets-shared.js';
import { type CommonNetworkOptions, commonShape } from './common.js';

/** Normalisation inside the JannerUNet blocks. */
export type JannerNorm = 'groupnorm' | 'layernorm' | 'none';
const NORMS: readonly JannerNorm[] = ['groupnorm', 'layernorm', 'none'];

/** Options of {@link createJannerUNet}; defaults are the reference's `jannerunet.yaml`. */
export interface JannerUNetOptions extends CommonNetworkOptions {
  /** Horizon H: a power of 2, at least 2^(dimMult.length - 1) (8 with the default 4 levels). */
  horizon: number;
  /** Width E of the time features (E/2 per time) and of the encoded observation (default 32). */
  embDim?: number;
  /** Base channel count m, also the width of the block embedding (default 32). */
  modelDim?: number;
  /** Convolution kernel size of the blocks, odd (default 3). */
  kernelSize?: number;
  /** Channel multipliers, accumulated: channels `m cumprod(dimMult)` (default [1, 2, 2, 2]). */
  dimMult?: number[];
  /** Block normalisation (default `'groupnorm'`: `min(8, C // 4)` groups). */
  normType?: JannerNorm;
  /** Linear-attention layers after each level's blocks and in the middle (default false). */
  attention?: boolean;
  /** Activation (default `'mish'`, as the reference). */
  activation?: ActivationName;
  /** Replace the time features by zeros (the net ignores s and t). Default false. */
  disableTimeEmbedding?: boolean;
}

/**
 * The keys of {@link JannerUNetOptions} a user sets (the shape keys actDim, horizon, obsSteps, condDim and
 * the seed come from the task and the run, see {@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const JANNER_UNET_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  modelDim: { type: 'integer', min: 1 },
  kernelSize: { type: 'integer', min: 1 },
  dimMult: { type: 'integer[]', min: 1 },
  normType: { type: 'enum', values: ['groupnorm', 'layernorm', 'none'] },
  attention: { type: 'boolean' },
  activation: { type: 'enum', values: ACTIVATION_NAMES },
  disableTimeEmbedding: { type: 'boolean' },
};

type NormLayer = {
  apply(x: tf.Tensor): tf.Tensor;
  applyDual(x: tf.Tensor, dx: tf.Tensor): [tf.Tensor, tf.Tensor];
};

const identity: NormLayer = { apply: (x) => x, applyDual: (x, dx) => [x, dx] };

function makeNorm(scope: VariableScope, type: JannerNorm, channels: number): NormLayer {
  if (type === 'groupnorm') return new GroupNorm(scope, channels);
  // Janner's channel LayerNorm: over the channel axis, biased variance, eps 1e-5, gain 1, bias 0.
  if (type === 'layernorm') return new LayerNorm(scope, channels);
  return identity;
}

/**
 * Janner's residual block: `h = act(norm(conv1(x))) + Linear(act(emb))` (the embedding is
 * added, broadcast over time), `h = act(norm(conv2(h)))`, `y = h + residual(x)`.
 */
class JannerResidualBlock {
  readonly conv1: Conv1d;
  readonly norm1: NormLayer;
  readonly conv2: Conv1d;
  readonly norm2: NormLayer;
  readonly embProj: Dense;
  readonly residual: Conv1d | null;

  constructor(
    scope: VariableScope,
    inChannels: number,
    outChannels: number,
    embWidth: number,
    kernel: number,
    norm: JannerNorm,
    readonly act: Activation,
  ) {
    const pad = Math.floor(kernel / 2);
    this.conv1 = new Conv1d(scope.child('conv1'), inChannels, outChannels, kernel, { padding: pad });
    this.norm1 = makeNorm(scope.child('norm1'), norm, outChannels);
    this.embProj = new Dense(scope.child('time_mlp'), embWidth, outChannels);
    this.conv2 = new Conv1d(scope.child('conv2'), outChannels, outChannels, kernel, { padding: pad });
    this.norm2 = makeNorm(scope.child('norm2'), norm, outChannels);
    this.residual =
      inChannels !== outChannels ? new Conv1d(scope.child('residual'), inChannels, outChannels, 1) : null;
  }

  forward(x: T, emb: T): T {
    return tidyT(() => {
      const e = linear(run(this.embProj, run(this.act, emb)), (u) => tf.expandDims(u, 1));
      let h = add(run(this.act, run(this.norm1, run(this.conv1, x))), e);
      h = run(this.act, run(this.norm2, run(this.conv2, h)));
      return add(h, this.residual ? run(this.residual, x) : x);
    });
  }
}

/** `x + LinearAttention(LayerNorm(x))` (Janner's `Residual(PreNorm(dim, LinearAttention(dim)))`). */
class AttentionBlock {
  readonly norm: LayerNorm;
  readonly attention: LinearAttention;

  constructor(scope: VariableScope, channels: number) {
    this.norm = new LayerNorm(scope.child('norm'), channels);
    this.attention = new LinearAttention(scope.child('attn'), channels);
  }

  forward(x: T): T {
    return tidyT(() => add(x, this.attention.forward(run(this.norm, x))));
  }
}

/**
 * Janner et al.'s temporal U-Net (reference `mip/networks/jannerunet.py`), channels-last.
 *
 * - Embedding: `map_emb(concat(pos(s, E/2), pos(t, E/2), Linear(To E', E)(flat cond)))`,
 *   `map_emb = Linear(2E, 4m) -> act -> Linear(4m, m)`, added in every block through
 *   `act -> Linear(m, C)`.
 * - Same U-Net layout as ChiUNet (channels `m cumprod(dimMult)`; stride-2 `Conv1d(k 3)` downsampling
 *   except at the last level; up levels concat the skip, two blocks, `ConvTranspose1d(k 4, s 2, p 1)`),
 *   optional linear attention (pre-LayerNorm, residual) after each level's blocks and between the
 *   two mid blocks; final `Conv1d(m, m, 5, pad 2) -> norm -> act -> Conv1d(m, A, 1)`.
 * - The reference's scalar head (`AvgPool -> Linear(C_mid, 128) -> Mish -> Linear(128, 1)`,
 *   zeroed) is created for parameter parity and never computed.
 */
export function createJannerUNet(options: JannerUNetOptions): Network {
  const {
    actDim,
    horizon,
    obsSteps,
    condDim,
    embDim = 32,
    modelDim = 32,
    kernelSize = 3,
    dimMult = [1, 2, 2, 2],
    normType = 'groupnorm',
    attention = false,
    activation = 'mish',
    disableTimeEmbedding = false,
    seed = 0,
  } = options;
  const shape = commonShape('jannerunet', { actDim, horizon, obsSteps, condDim });
  validateUNetOptions('jannerunet', { modelDim, kernelSize, embDim, dimMult });
  if (!NORMS.includes(normType)) {
    throw new Error(`jannerunet: unknown normType '${normType}'; valid: ${NORMS.join(', ')}`);
  }
  requireUNetHorizon('jannerunet', horizon, dimMult.length - 1);
  const act = activationByName(activation);

  const store = new VariableStore(seed);
  const root = store.root();
  const obsEncoder = new Dense(root.child('cond_encoder'), obsSteps * condDim, embDim);
  const embMlp1 = new Dense(root.child('map_emb').child('0'), 2 * embDim, 4 * modelDim);
  const embMlp2 = new Dense(root.child('map_emb').child('2'), 4 * modelDim, modelDim);

  const dims = [actDim];
  let m = 1;
  for (const f of dimMult) {
    m *= f;
    dims.push(modelDim * m);
  }
  const inOut = dims.slice(0, -1).map((d, i) => [d, dims[i + 1]] as const);
  const block = (scope: VariableScope, cin: number, cout: number) =>
    new JannerResidualBlock(scope, cin, cout, modelDim, kernelSize, normType, act);
  const down = inOut.map(([cin, cout], i) => {
    const scope = root.child('down').child(i);
    return {
      blocks: [block(scope.child('0'), cin, cout), block(scope.child('1'), cout, cout)],
      attn: attention ? new AttentionBlock(scope.child('attn'), cout) : null,
      downsample:
        i < inOut.length - 1
          ? new Conv1d(scope.child('downsample'), cout, cout, 3, { stride: 2, padding: 1 })
          : null,
    };
  });
  const midDim = dims[dims.length - 1];
  const mid1 = block(root.child('mid').child('0'), midDim, midDim);
  const midAttn = attention ? new AttentionBlock(root.child('mid').child('attn'), midDim) : null;
  const mid2 = block(root.child('mid').child('1'), midDim, midDim);
  const up = inOut
    .slice(1)
    .reverse()
    .map(([cin, cout], i) => {
      const scope = root.child('up').child(i);
      return {
        blocks: [block(scope.child('0'), 2 * cout, cin), block(scope.child('1'), cin, cin)],
        attn: attention ? new AttentionBlock(scope.child('attn'), cin) : null,
        upsample: new ConvTranspose1d(scope.child('upsample'), cin, cin, 4, { stride: 2, padding: 1 }),
      };
    });
  const finalConv = new Conv1d(root.child('final').child('conv'), modelDim, modelDim, 5, { padding: 2 });
  const finalNorm = makeNorm(root.child('final').child('norm'), normType, modelDim);
  const finalOut = new Conv1d(root.child('final').child('out'), modelDim, actDim, 1);
  // Unused scalar head (parameter parity with the reference).
  new Dense(root.child('scalar_head').child('0'), midDim, 128);
  new Dense(root.child('scalar_head').child('2'), 128, 1, { init: 'zeros', biasInit: 'zeros' });

  const body = (x: T, s: T, t: T, cond: T, _ctx: ForwardContext): T => {
    const features = concat(
      [timeFeatures(s, t, embDim, disableTimeEmbedding), run(obsEncoder, flattenCond(cond))],
      1,
    );
    const emb = run(embMlp2, run(act, run(embMlp1, features)));
    let h = x;
    const skips: T[] = [];
    for (const level of down) {
      h = level.blocks[1].forward(level.blocks[0].forward(h, emb), emb);
      if (level.attn) h = level.attn.forward(h);
      skips.push(h);
      if (level.downsample) h = run(level.downsample, h);
    }
    h = mid1.forward(h, emb);
    if (midAttn) h = midAttn.forward(h);
    h = mid2.forward(h, emb);
    for (const level of up) {
      h = concat([h, skips.pop()!], 2);
      h = level.blocks[1].forward(level.blocks[0].forward(h, emb), emb);
      if (level.attn) h = level.attn.forward(h);
      h = run(level.upsample, h);
    }
    return run(finalOut, run(act, run(finalNorm, run(finalConv, h))));
  };

  return makeNetwork(
    {
      ...shape,
      embDim,
      modelDim,
      kernelSize,
      dimMult: [...dimMult],
      normType,
      attention,
      activation,
      disableTimeEmbedding,
      seed,
    },
    shape,
    store,
    body,
  );
}
