// algorithms/samplers.ts: the bench's sampler table (`--sampler NAME` -> sampler function, its
// policy.json name and its network calls per step), and the choice of an algorithm's sampler.
import { eulerSampler, flowMapSampler, heunSampler, midpointSampler, type Sampler } from '@mipjs/samplers';
import { ConfigError, fieldLabel, type RunConfig } from '../config/config.js';
import type { Algorithm } from './algorithm.js';

/** One choosable sampler. */
export interface SamplerChoice {
  sampler: Sampler;
  /** Its key in @mipjs/policy's sampler table (written to policy.json). */
  policyName: string;
  /**
   * Network calls per step: NFE = steps x callsPerStep. Euler and the flow-map jump call the
   * network once per step; Heun and midpoint twice (a predictor and a corrector evaluation).
   */
  callsPerStep: number;
  description: string;
}

/**
 * `--sampler` names -> samplers of @mipjs/samplers. Which of them an algorithm accepts is its
 * `samplers` list (the ODE samplers integrate the velocity b_t(x) = f(x, t, t), so they fit every
 * model trained with a flow-matching diagonal: flow and the flow-map families).
 */
export const SAMPLER_CHOICES: Readonly<Record<string, SamplerChoice>> = Object.freeze({
  euler: {
    sampler: eulerSampler,
    policyName: 'eulerSampler',
    callsPerStep: 1,
    description: 'Euler ODE, 1 call per step',
  },
  heun: {
    sampler: heunSampler,
    policyName: 'heunSampler',
    callsPerStep: 2,
    description: "Heun's method (2nd order), 2 calls per step",
  },
  midpoint: {
    sampler: midpointSampler,
    policyName: 'midpointSampler',
    callsPerStep: 2,
    description: 'explicit midpoint (2nd order), 2 calls per step',
  },
  flow_map: {
    sampler: flowMapSampler,
    policyName: 'flowMapSampler',
    callsPerStep: 1,
    description: 'flow-map jumps X_{s,t}, 1 call per step',
  },
});

/**
 * The algorithm a run samples with: `algorithm` itself when `config.sampler` is `auto` (or the
 * algorithm's own default), else a copy whose sampler, policy sampler name and `callsPerStep` are
 * those of the chosen entry of {@link SAMPLER_CHOICES}. A name the algorithm does not list in
 * `samplers` is a ConfigError naming the flag and listing the compatible ones.
 *
 * ```ts
 * const heun = withSampler(flow, { ...config, sampler: 'heun' }); // heun.callsPerStep === 2
 * ```
 */
export function withSampler(algorithm: Algorithm, config: Pick<RunConfig, 'sampler'>): Algorithm {
  const name = config.sampler ?? 'auto';
  if (name === 'auto') return algorithm;
  const compatible = algorithm.samplers ?? [];
  if (!compatible.includes(name) || !Object.hasOwn(SAMPLER_CHOICES, name)) {
    const valid = ['auto', ...compatible.filter((s) => Object.hasOwn(SAMPLER_CHOICES, s))];
    throw ConfigError.of([
      `${fieldLabel(config, 'sampler')}: sampler '${name}' does not fit algorithm '${algorithm.name}'; ` +
        `compatible: ${valid.join(', ')}`,
    ]);
  }
  const choice = SAMPLER_CHOICES[name]!;
  return {
    ...algorithm,
    sampler: choice.sampler,
    samplerName: choice.policyName,
    callsPerStep: choice.callsPerStep,
  };
}

/** Network calls per sampler step of an algorithm (1 unless its sampler says otherwise). */
export function callsPerStep(algorithm: Pick<Algorithm, 'callsPerStep'>): number {
  return algorithm.callsPerStep ?? 1;
}

/**
 * The NFE values (network calls per chunk) a run is evaluated at: the requested list, or the
 * algorithm's default steps times its sampler's calls per step (Heun on [9, 3, 1]: [18, 6, 2]);
 * an algorithm with a fixed number of calls is evaluated once, at that number. A requested NFE
 * that is not a whole number of steps is a ConfigError naming `--nfe` (or the config file key)
 * when the user gave it, and dropped when it came from a task preset.
 *
 * ```ts
 * nfeList(withSampler(flow, { sampler: 'heun' }), [4, 8]); // [4, 8]: 2 and 4 Heun steps
 * ```
 */
export function nfeList(
  algorithm: Algorithm,
  requested: readonly number[],
  source?: object | string,
): number[] {
  if (algorithm.fixedNfe) return [algorithm.fixedNfe];
  const calls = callsPerStep(algorithm);
  if (requested.length === 0) return algorithm.defaultSteps.map((s) => s * calls);
  const odd = requested.filter((n) => n % calls !== 0);
  // `source`: the run config (its fields' flags / file keys) or the flag itself (`mipjs eval --nfe`).
  const label = typeof source === 'string' ? source : fieldLabel(source, 'evalNfe');
  if (odd.length > 0 && label === 'evalNfe') {
    // A preset's list (checkerboard: 1, 2, 4, 8, 16) is written for one call per step: keep the
    // NFE a Heun / midpoint run can make rather than fail on values the user never typed.
    const whole = requested.filter((n) => n % calls === 0);
    return whole.length > 0 ? whole : algorithm.defaultSteps.map((s) => s * calls);
  }
  if (odd.length > 0) {
    throw ConfigError.of([
      `${label}: NFE ${odd.join(', ')} is not a whole number of steps of a sampler ` +
        `that makes ${calls} network calls per step; expected multiples of ${calls}`,
    ]);
  }
  return [...requested];
}
