// algorithms/ owns the algorithm table: the Algorithm contract, the built-ins, external algorithm packages.
import {
  CTM_LOSS_OPTIONS_SCHEMA,
  ctmLoss,
  ESD_LOSS_OPTIONS_SCHEMA,
  esdLoss,
  FLOW_LOSS_OPTIONS_SCHEMA,
  flowLoss,
  LMD_LOSS_OPTIONS_SCHEMA,
  type LossFn,
  LSD_LOSS_OPTIONS_SCHEMA,
  lmdLoss,
  lsdLoss,
  MF_LOSS_OPTIONS_SCHEMA,
  MIP_LOSS_OPTIONS_SCHEMA,
  MIP_ONE_STEP_INTEGRATE_LOSS_OPTIONS_SCHEMA,
  MIP_ORIGIN_LOSS_OPTIONS_SCHEMA,
  mfLoss,
  mipLoss,
  mipOneStepIntegrateLoss,
  mipOriginLoss,
  PSD_LOSS_OPTIONS_SCHEMA,
  psdLoss,
  REGRESSION_LOSS_OPTIONS_SCHEMA,
  regressionLoss,
  STRAIGHT_FLOW_LOSS_OPTIONS_SCHEMA,
  straightFlowLoss,
  TSD_LOSS_OPTIONS_SCHEMA,
  tsdLoss,
} from '@mipjs/losses';
import { checkOptions, type OptionsSchema } from '@mipjs/nets';
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
import { ConfigError, fieldLabel, type RunConfig } from '../config/config.js';
import { type Algorithm, AlgorithmError, loadAlgorithmPackage } from './algorithm.js';
import { nfeList, withSampler } from './samplers.js';
import { checkInterpolant } from './schedules.js';

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

/**
 * `--sampler` choices (names of SAMPLER_CHOICES). Flow's velocity field takes any ODE solver; a
 * flow map's diagonal f(x, t, t) is a velocity too, so the flow-map families also take them.
 */
const ODE_SAMPLERS = ['euler', 'heun', 'midpoint'] as const;
const FLOW_MAP_SAMPLERS = ['flow_map', ...ODE_SAMPLERS] as const;

function entry(
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: each loss has its own options type
  loss: LossFn<any>,
  lossOptionsSchema: OptionsSchema,
  sampler: Sampler,
  defaultSteps: number[],
  description: string,
  extra: Partial<Algorithm> = {},
): Algorithm {
  return { name, loss, lossOptionsSchema, sampler, defaultSteps, description, ...extra };
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
    entry('flow', flowLoss, FLOW_LOSS_OPTIONS_SCHEMA, ode, MULTI_STEP, 'flow matching; Euler ODE sampler', {
      samplerName: 'eulerSampler',
      samplers: ODE_SAMPLERS,
    }),
    entry(
      'regression',
      regressionLoss,
      REGRESSION_LOSS_OPTIONS_SCHEMA,
      oneStep,
      ONE_STEP,
      'conditional mean; one call from zeros',
      {
        samplerName: 'oneStepSampler',
        fixedNfe: 1,
        defaultStart: 'zero',
      },
    ),
    entry(
      'straight_flow',
      straightFlowLoss,
      STRAIGHT_FLOW_LOSS_OPTIONS_SCHEMA,
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
      TSD_LOSS_OPTIONS_SCHEMA,
      byVariant(tsdSampler, mipReferenceSampler),
      ONE_STEP,
      'two-step denoising; two calls',
      { samplerName: { page: 'tsdSampler', reference: 'mipReferenceSampler' }, fixedNfe: 2 },
    ),
    entry(
      'mip',
      mipLoss,
      MIP_LOSS_OPTIONS_SCHEMA,
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
      'mip_one_step_integrate',
      mipOneStepIntegrateLoss,
      MIP_ONE_STEP_INTEGRATE_LOSS_OPTIONS_SCHEMA,
      oneStep,
      ONE_STEP,
      "toy study's time-blind mip (both terms at time 0); one call from zeros",
      {
        samplerName: 'oneStepSampler',
        fixedNfe: 1,
        defaultStart: 'zero',
      },
    ),
    entry(
      'mip_origin',
      mipOriginLoss,
      MIP_ORIGIN_LOSS_OPTIONS_SCHEMA,
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
      CTM_LOSS_OPTIONS_SCHEMA,
      flowMap,
      MULTI_STEP,
      'consistency trajectory model (flow teacher); flow-map jumps',
      {
        samplerName: 'flowMapSampler',
        samplers: FLOW_MAP_SAMPLERS,
        needsTeacher: true,
      },
    ),
    entry(
      'lmd',
      lmdLoss,
      LMD_LOSS_OPTIONS_SCHEMA,
      flowMap,
      MULTI_STEP,
      'Lagrangian map distillation (flow teacher); flow-map jumps',
      {
        samplerName: 'flowMapSampler',
        samplers: FLOW_MAP_SAMPLERS,
        needsTeacher: true,
      },
    ),
    entry(
      'psd',
      psdLoss,
      PSD_LOSS_OPTIONS_SCHEMA,
      flowMap,
      MULTI_STEP,
      'progressive self-distillation; flow-map jumps',
      {
        samplerName: 'flowMapSampler',
        samplers: FLOW_MAP_SAMPLERS,
      },
    ),
    entry(
      'lsd',
      lsdLoss,
      LSD_LOSS_OPTIONS_SCHEMA,
      flowMap,
      MULTI_STEP,
      'Lagrangian self-distillation; flow-map jumps',
      {
        samplerName: 'flowMapSampler',
        samplers: FLOW_MAP_SAMPLERS,
      },
    ),
    entry(
      'esd',
      esdLoss,
      ESD_LOSS_OPTIONS_SCHEMA,
      flowMap,
      MULTI_STEP,
      'Euler self-distillation; flow-map jumps',
      {
        samplerName: 'flowMapSampler',
        samplers: FLOW_MAP_SAMPLERS,
      },
    ),
    entry('mf', mfLoss, MF_LOSS_OPTIONS_SCHEMA, flowMap, MULTI_STEP, 'MeanFlow; flow-map jumps', {
      samplerName: 'flowMapSampler',
      samplers: FLOW_MAP_SAMPLERS,
    }),
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

/**
 * Finds the algorithm of a config among the built-ins and its packages, drawn with the config's
 * `sampler` (see {@link withSampler}).
 */
export async function algorithmFor(config: RunConfig): Promise<Algorithm> {
  const table = await resolveAlgorithms(config.algorithmPackages);
  const algorithm = table.get(config.algorithm);
  if (!algorithm) {
    throw new AlgorithmError(
      `unknown algorithm '${config.algorithm}'; valid algorithms: ${[...table.keys()].join(', ')}`,
    );
  }
  await checkInterpolant(config); // loads --interpolant-package schedules for interpolantFor
  const drawn = withSampler(algorithm, config);
  nfeList(drawn, config.evalNfe, config); // `--nfe 3` with Heun fails here, before training
  return drawn;
}

/**
 * Checks a config's loss options against its algorithm's `lossOptionsSchema` (the schema next to
 * each loss of @mipjs/losses): a key the loss would ignore, or a value of the wrong type, is a
 * {@link ConfigError} naming the flag or file key it came from and listing the valid keys. An
 * external algorithm without a schema is not checked.
 *
 * ```ts
 * checkLossOptions(await algorithmFor(config), config);
 * // ConfigError: --loss-options (algorithm 'mip'): unknown key 'tstar'; valid keys: lossScale, norm, tStar, variant
 * ```
 */
export function checkLossOptions(algorithm: Algorithm, config: RunConfig): void {
  if (!algorithm.lossOptionsSchema) return;
  const problems = checkOptions(algorithm.lossOptionsSchema, config.lossOptions).map((p) => {
    const key = /^unknown key '([^']+)'/.exec(p)?.[1] ?? /^'([^']+)'/.exec(p)?.[1];
    return `${fieldLabel(config, key ? `lossOptions.${key}` : 'lossOptions')} (algorithm '${algorithm.name}'): ${p}`;
  });
  if (problems.length > 0) throw ConfigError.of(problems);
}
