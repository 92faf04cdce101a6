import * as tf from '@tensorflow/tfjs-core';
import {
  ACTIVATION_NAMES,
  type Activation,
  type ActivationName,
  activationByName,
} from '../layers/activations.js';
import { Conv1d, ConvTranspose1d } from '../layers/conv1d.js';
import { Dense } from '../layers/dense.js';
import { GroupNorm } from '../layers/group-norm.js';
import { type ForwardContext, type VariableScope, VariableStore } from '../layers/module.js';
import { add, concat, linear, mul, run, type T, tidyT } from '../layers/tangent-ops.js';
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

/** Options of {@link createChiUNet}; defaults are the reference's `chiunet.yaml`. */
export interface ChiUNetOptions extends CommonNetworkOptions {
  /** Horizon H: a power of 2, at least 2^(dimMult.length - 1). */
  horizon: number;
  /** Width E of the time embedding and of the encoded observation (default 256). */
  embDim?: number;
  /** Base channel count (default 128). */
  modelDim?: number;
  /** Convolution kernel size, odd (default 5). */
  kernelSize?: number;
  /** Channel multipliers per level, accumulated: channels `modelDim * cumprod(dimMult)` (default [1, 2, 2]). */
  dimMult?: number[];
  /** Activation of the blocks and of the FiLM/time MLPs (default `'gelu'`, exact; the original Chi U-Net used Mish). */
  activation?: ActivationName;
  /** Replace the time features by zeros (the net ignores s and t). Default false. */
  disableTimeEmbedding?: boolean;
}

/**
 * The keys of {@link ChiUNetOptions} a user sets (the shape keys actDim, horizon, obsSteps, condDim and
 * the seed come from the task and the run, see {@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const CHI_UNET_OPTIONS_SCHEMA: OptionsSchema = {
  embDim: { type: 'integer', min: 1 },
  modelDim: { type: 'integer', min: 1 },
  kernelSize: { type: 'integer', min: 1 },
  dimMult: { type: 'integer[]', min: 1 },
  activation: { type: 'enum', values: ACTIVATION_NAMES },
  disableTimeEmbedding: { type: 'boolean' },
};

/**
 * One residual block with FiLM conditioning (reference `ChiResidualBlock`), channels-last:
 *
 *   h = act(GN(conv1(x)));  [scale | bias] = Linear(act(c));  h = scale h + bias
 *   h = act(GN(conv2(h)));  y = h + residual(x)     (residual = 1x1 conv when widths differ)
 */
class ChiResidualBlock {
  readonly conv1: Conv1d;
  readonly norm1: GroupNorm;
  readonly conv2: Conv1d;
  readonly norm2: GroupNorm;
  readonly film: Dense;
  readonly residual: Conv1d | null;
  readonly outChannels: number;

  constructor(
    scope: VariableScope,
    inChannels: number,
    outChannels: number,
    condWidth: number,
    kernel: number,
    readonly act: Activation,
  ) {
    this.outChannels = outChannels;
    const pad = Math.floor(kernel / 2);
    this.conv1 = new Conv1d(scope.child('conv1'), inChannels, outChannels, kernel, { padding: pad });
    this.norm1 = new GroupNorm(scope.child('norm1'), outChannels);
    this.film = new Dense(scope.child('film'), condWidth, 2 * outChannels);
    this.conv2 = new Conv1d(scope.child('conv2'), outChannels, outChannels, kernel, { padding: pad });
    this.norm2 = new GroupNorm(scope.child('norm2'), outChannels);
    this.residual =
      inChannels !== outChannels ? new Conv1d(scope.child('residual'), inChannels, outChannels, 1) : null;
  }

  forward(x: T, c: T): T {
    return tidyT(() => {
      const o = this.outChannels;
      let h = run(this.act, run(this.norm1, run(this.conv1, x)));
      const film = run(this.film, run(this.act, c));
      const scale = linear(film, (u) => tf.reshape(tf.slice(u, [0, 0], [-1, o]), [-1, 1, o]));
      const bias = linear(film, (u) => tf.reshape(tf.slice(u, [0, o], [-1, o]), [-1, 1, o]));
      h = add(mul(scale, h), bias);
      h = run(this.act, run(this.norm2, run(this.conv2, h)));
      return add(h, this.residual ? run(this.residual, x) : x);
    });
  }
}

/**
 * Chi et al.'s conditional 1-D U-Net (reference `mip/networks/chiunet.py`), channels-last.
 *
 * - Time: `map_emb(concat(pos(s, E/2), pos(t, E/2)))`, `map_emb = Linear(E,4E) -> act -> Linear(4E,E)`.
 * - Observation: `Linear(To E', E)` on the flattened condition (zeros when null); the
 *   conditioning vector is `c = [time (E), obs (E)]`, width 2E.
 * - Channels `[A, m cumprod(dimMult)]`; down levels: two FiLM residual blocks, then a stride-2
 *   `Conv1d(k 3, pad 1)` except at the last level; mid: two blocks; up levels (over all but the
 *   first level, reversed): concat the skip, two blocks, `ConvTranspose1d(k 4, s 2, pad 1)`;
 *   final `Conv1d(m, m, k) -> GroupNorm -> act -> Conv1d(m, A, 1)`.
 * - GroupNorm groups `min(8, C // 4)`, eps 1e-5; PyTorch default initialisation everywhere.
 * - The reference's scalar head (`AvgPool -> Linear(C_mid, 128) -> SiLU -> Linear(128, 1)`, last
 *   layer zeroed) is never used by a loss or sampler; its variables are created (so the parameter
 *   count and a weight file match the reference) but `apply` does not compute it.
 *
 * Defaults `A=10, H=16, To=2, E'=E=256, m=128, k=5, dimMult [1,2,2]`: 19,669,899 parameters.
 */
export function createChiUNet(options: ChiUNetOptions): Network {
  const {
    actDim,
    horizon,
    obsSteps,
    condDim,
    embDim = 256,
    modelDim = 128,
    kernelSize = 5,
    dimMult = [1, 2, 2],
    activation = 'gelu',
    disableTimeEmbedding = false,
    seed = 0,
  } = options;
  const shape = commonShape('chiunet', { actDim, horizon, obsSteps, condDim });
  validateUNetOptions('chiunet', { modelDim, kernelSize, embDim, dimMult });
  requireUNetHorizon('chiunet', horizon, dimMult.length - 1);
  const act = activationByName(activation);

  const store = new VariableStore(seed);
  const root = store.root();
  const timeMlp1 = new Dense(root.child('map_emb').child('0'), embDim, 4 * embDim);
  const timeMlp2 = new Dense(root.child('map_emb').child('2'), 4 * embDim, embDim);
  const obsEncoder = new Dense(root.child('global_cond_encoder'), obsSteps * condDim, embDim);
  const condWidth = 2 * embDim;

  const dims = [actDim];
  let m = 1;
  for (const f of dimMult) {
    m *= f;
    dims.push(modelDim * m);
  }
  const inOut = dims.slice(0, -1).map((d, i) => [d, dims[i + 1]] as const);
  const down = inOut.map(([cin, cout], i) => {
    const scope = root.child('down').child(i);
    return {
      blocks: [
        new ChiResidualBlock(scope.child('0'), cin, cout, condWidth, kernelSize, act),
        new ChiResidualBlock(scope.child('1'), cout, cout, condWidth, kernelSize, act),
      ],
      downsample:
        i < inOut.length - 1
          ? new Conv1d(scope.child('downsample'), cout, cout, 3, { stride: 2, padding: 1 })
          : null,
    };
  });
  const midDim = dims[dims.length - 1];
  const mid = [0, 1].map(
    (i) => new ChiResidualBlock(root.child('mid').child(i), midDim, midDim, condWidth, kernelSize, act),
  );
  const up = inOut
    .slice(1)
    .reverse()
    .map(([cin, cout], i) => {
      const scope = root.child('up').child(i);
      return {
        blocks: [
          new ChiResidualBlock(scope.child('0'), 2 * cout, cin, condWidth, kernelSize, act),
          new ChiResidualBlock(scope.child('1'), cin, cin, condWidth, kernelSize, act),
        ],
        upsample: new ConvTranspose1d(scope.child('upsample'), cin, cin, 4, { stride: 2, padding: 1 }),
      };
    });
  const finalConv = new Conv1d(root.child('final').child('conv'), modelDim, modelDim, kernelSize, {
    padding: Math.floor(kernelSize / 2),
  });
  const finalNorm = new GroupNorm(root.child('final').child('norm'), modelDim);
  const finalOut = new Conv1d(root.child('final').child('out'), modelDim, actDim, 1);
  createScalarHead(root.child('scalar_head'), midDim);

  const body = (x: T, s: T, t: T, cond: T, _ctx: ForwardContext): T => {
    const time = run(timeMlp2, run(act, run(timeMlp1, timeFeatures(s, t, embDim, disableTimeEmbedding))));
    const c = concat([time, run(obsEncoder, flattenCond(cond))], 1);
    let h = x;
    const skips: T[] = [];
    for (const level of down) {
      h = level.blocks[1].forward(level.blocks[0].forward(h, c), c);
      skips.push(h);
      if (level.downsample) h = run(level.downsample, h);
    }
    h = mid[1].forward(mid[0].forward(h, c), c);
    for (const level of up) {
      h = concat([h, skips.pop()!], 2);
      h = level.blocks[1].forward(level.blocks[0].forward(h, c), c);
      h = run(level.upsample, h);
    }
    return run(finalOut, run(act, run(finalNorm, run(finalConv, h))));
  };

  return makeNetwork(
    { ...shape, embDim, modelDim, kernelSize, dimMult: [...dimMult], activation, disableTimeEmbedding, seed },
    shape,
    store,
    body,
  );
}

/** The reference's unused scalar head: `Linear(C, 128) -> SiLU -> Linear(128, 1)` (last zeroed). */
function createScalarHead(scope: VariableScope, width: number): void {
  new Dense(scope.child('0'), width, 128);
  new Dense(scope.child('2'), 128, 1, { init: 'zeros', biasInit: 'zeros' });
}
