import {
  ctmLoss,
  esdLoss,
  flowLoss,
  type LossFn,
  lmdLoss,
  lsdLoss,
  mfLoss,
  mipLoss,
  mipOriginLoss,
  psdLoss,
  regressionLoss,
  straightFlowLoss,
  tsdLoss,
} from '@mipjs/losses';
import type * as tf from '@tensorflow/tfjs-core';
import {
  type Algorithm,
  AlgorithmError,
  type AlgorithmSampler,
  loadAlgorithmPackage,
  type SampleOptions,
  type SamplerContext,
} from './algorithm.js';
import { requireExport } from './libs.js';

export type { Algorithm } from './algorithm.js';

/** The sampler families of @mipjs/samplers, by the export names the bench looks for. */
const SAMPLER_EXPORTS = {
  ode: ['eulerSampler', 'odeSampler', 'euler'],
  flowMap: ['flowMapSampler', 'flowMap'],
  oneStep: ['oneStepSampler', 'regressionSampler', 'oneStep'],
  twoStep: ['twoStepSampler', 'mipSampler', 'twoStep'],
  twoStepReference: ['mipReferenceSampler', 'twoStepReferenceSampler'],
  tsd: ['tsdSampler', 'twoStepNoiseSampler'],
} as const;

type LibrarySampler = (ctx: unknown, cond: tf.Tensor3D | null, options: unknown) => tf.Tensor3D;

/**
 * A table sampler that calls the @mipjs/samplers sampler of a family; the library function is
 * resolved on first use (a missing export is a clear error).
 */
function librarySampler(family: keyof typeof SAMPLER_EXPORTS): AlgorithmSampler {
  return (ctx: SamplerContext, cond: tf.Tensor3D | null, options: SampleOptions) => {
    const fn = requireExport<LibrarySampler>('@mipjs/samplers', ...SAMPLER_EXPORTS[family]);
    return fn({ ...ctx, ...(ctx.options ?? {}) }, cond, options);
  };
}

function mipSampler(): AlgorithmSampler {
  const page = librarySampler('twoStep');
  const reference = librarySampler('twoStepReference');
  return (ctx, cond, options) => (ctx.options?.variant === 'reference' ? reference : page)(ctx, cond, options);
}

function tsdSampler(): AlgorithmSampler {
  const page = librarySampler('tsd');
  const reference = librarySampler('twoStepReference');
  return (ctx, cond, options) => (ctx.options?.variant === 'reference' ? reference : page)(ctx, cond, options);
}

/** Reference default step lists (spec §4): 3^k for the multi-step families. */
const MULTI_STEP = [9, 3, 1];

function entry(
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: each loss has its own options type
  loss: LossFn<any>,
  sampler: AlgorithmSampler,
  defaultSteps: number[],
  description: string,
  extra: Partial<Algorithm> = {},
): Algorithm {
  return { name, loss, sampler, defaultSteps, description, ...extra };
}

/**
 * Every built-in algorithm: the one place where names map to losses and samplers.
 * Sampler families follow spec §4 and design §4 (page forms by default; `variant: 'reference'`
 * in the loss options switches mip / tsd to the reference code's sampler).
 */
export function builtinAlgorithms(): Algorithm[] {
  const ode = librarySampler('ode');
  const flowMap = librarySampler('flowMap');
  const oneStep = librarySampler('oneStep');
  return [
    entry('flow', flowLoss, ode, MULTI_STEP, 'flow matching; Euler ODE sampler'),
    entry('regression', regressionLoss, oneStep, [1], 'conditional mean; one call from zeros', { fixedNfe: 1 }),
    entry('straight_flow', straightFlowLoss, oneStep, [1], 'regression from pure noise at t=0; one call', {
      fixedNfe: 1,
    }),
    entry('tsd', tsdLoss, tsdSampler(), [1], 'two-step denoising; two calls', { fixedNfe: 2 }),
    entry('mip', mipLoss, mipSampler(), [1], 'minimum iterative policy; two calls (t* a0 at the second)', {
      fixedNfe: 2,
    }),
    entry('mip_origin', mipOriginLoss, librarySampler('twoStep'), [1], "reference's scaled mip variant; two calls", {
      fixedNfe: 2,
    }),
    entry('ctm', ctmLoss, flowMap, MULTI_STEP, 'consistency trajectory model (flow teacher); flow-map jumps', {
      needsTeacher: true,
    }),
    entry('lmd', lmdLoss, flowMap, MULTI_STEP, 'Lagrangian map distillation (flow teacher); flow-map jumps', {
      needsTeacher: true,
    }),
    entry('psd', psdLoss, flowMap, MULTI_STEP, 'progressive self-distillation; flow-map jumps'),
    entry('lsd', lsdLoss, flowMap, MULTI_STEP, 'Lagrangian self-distillation; flow-map jumps'),
    entry('esd', esdLoss, flowMap, MULTI_STEP, 'Euler self-distillation; flow-map jumps'),
    entry('mf', mfLoss, flowMap, MULTI_STEP, 'MeanFlow; flow-map jumps'),
  ];
}

/** Names of the built-in algorithms, in table order. */
export const BUILTIN_ALGORITHM_NAMES = builtinAlgorithms().map((a) => a.name);

/**
 * The algorithm table of a run: the built-ins plus every algorithm of the given packages. A
 * package algorithm may not reuse a built-in name.
 */
export async function resolveAlgorithms(packages: readonly string[] = []): Promise<Map<string, Algorithm>> {
  const table = new Map(builtinAlgorithms().map((a) => [a.name, a]));
  for (const pkg of packages) {
    for (const a of await loadAlgorithmPackage(pkg)) {
      if (table.has(a.name)) {
        throw new AlgorithmError(`package '${pkg}' defines algorithm '${a.name}', which already exists`);
      }
      table.set(a.name, a);
    }
  }
  return table;
}
