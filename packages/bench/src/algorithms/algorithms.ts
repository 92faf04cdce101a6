// algorithms/ owns the algorithm table: the Algorithm contract, the built-ins, external algorithm packages.
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
import {
  eulerSampler,
  FLOW_DEFAULT_STEPS,
  flowMapSampler,
  mipReferenceSampler,
  mipSampler,
  ONE_STEP_DEFAULT_STEPS,
  oneStepSampler,
  type Sampler,
  tsdSampler,
  twoStepSampler,
} from '@mipjs/samplers';
import type { RunConfig } from '../config/config.js';
import { type Algorithm, AlgorithmError, loadAlgorithmPackage } from './algorithm.js';

export type { Algorithm } from './algorithm.js';

/** mip / tsd: the page's sampler by default; the reference code's when the loss variant says so. */
function byVariant(page: Sampler, reference: Sampler): Algorithm['sampler'] {
  const chosen: Algorithm['sampler'] = (ctx, cond, options) =>
    ((ctx as { variant?: string }).variant === 'reference' ? reference : page)(ctx, cond, options);
  return chosen;
}

/** Reference default step lists (spec §4): 3^k for the multi-step families. */
const MULTI_STEP = [...FLOW_DEFAULT_STEPS];
const ONE_STEP = [...ONE_STEP_DEFAULT_STEPS];

function entry(
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: each loss has its own options type
  loss: LossFn<any>,
  sampler: Sampler,
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
  const ode = eulerSampler;
  const flowMap = flowMapSampler;
  const oneStep = oneStepSampler;
  return [
    entry('flow', flowLoss, ode, MULTI_STEP, 'flow matching; Euler ODE sampler', {
      samplerName: 'eulerSampler',
    }),
    entry('regression', regressionLoss, oneStep, ONE_STEP, 'conditional mean; one call from zeros', {
      samplerName: 'oneStepSampler',
      fixedNfe: 1,
      defaultStart: 'zero',
    }),
    entry(
      'straight_flow',
      straightFlowLoss,
      oneStep,
      ONE_STEP,
      'regression from pure noise at t=0; one call',
      {
        samplerName: 'oneStepSampler',
        fixedNfe: 1,
      },
    ),
    entry(
      'tsd',
      tsdLoss,
      byVariant(tsdSampler, mipReferenceSampler),
      ONE_STEP,
      'two-step denoising; two calls',
      { samplerName: { page: 'tsdSampler', reference: 'mipReferenceSampler' }, fixedNfe: 2 },
    ),
    entry(
      'mip',
      mipLoss,
      byVariant(mipSampler, mipReferenceSampler),
      ONE_STEP,
      'minimum iterative policy; two calls (t* a0 at the second)',
      {
        samplerName: { page: 'mipSampler', reference: 'mipReferenceSampler' },
        fixedNfe: 2,
        defaultStart: 'zero',
      },
    ),
    entry(
      'mip_origin',
      mipOriginLoss,
      twoStepSampler,
      ONE_STEP,
      "reference's scaled mip variant; two calls",
      {
        samplerName: 'twoStepSampler',
        fixedNfe: 2,
        defaultStart: 'zero',
      },
    ),
    entry(
      'ctm',
      ctmLoss,
      flowMap,
      MULTI_STEP,
      'consistency trajectory model (flow teacher); flow-map jumps',
      {
        samplerName: 'flowMapSampler',
        needsTeacher: true,
      },
    ),
    entry('lmd', lmdLoss, flowMap, MULTI_STEP, 'Lagrangian map distillation (flow teacher); flow-map jumps', {
      samplerName: 'flowMapSampler',
      needsTeacher: true,
    }),
    entry('psd', psdLoss, flowMap, MULTI_STEP, 'progressive self-distillation; flow-map jumps', {
      samplerName: 'flowMapSampler',
    }),
    entry('lsd', lsdLoss, flowMap, MULTI_STEP, 'Lagrangian self-distillation; flow-map jumps', {
      samplerName: 'flowMapSampler',
    }),
    entry('esd', esdLoss, flowMap, MULTI_STEP, 'Euler self-distillation; flow-map jumps', {
      samplerName: 'flowMapSampler',
    }),
    entry('mf', mfLoss, flowMap, MULTI_STEP, 'MeanFlow; flow-map jumps', { samplerName: 'flowMapSampler' }),
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

/** Finds the algorithm of a config among the built-ins and its packages. */
export async function algorithmFor(config: RunConfig): Promise<Algorithm> {
  const table = await resolveAlgorithms(config.algorithmPackages);
  const algorithm = table.get(config.algorithm);
  if (!algorithm) {
    throw new AlgorithmError(
      `unknown algorithm '${config.algorithm}'; valid algorithms: ${[...table.keys()].join(', ')}`,
    );
  }
  return algorithm;
}
