import {
  eulerSampler,
  flowMapSampler,
  heunSampler,
  midpointSampler,
  mipReferenceSampler,
  mipSampler,
  oneStepSampler,
  type Sampler,
  type TwoStepOptions,
  tsdSampler,
  twoStepSampler,
} from '@mipjs/samplers';
import type { PolicySamplerSpec } from './manifest.js';
import { PolicyError } from './policy-error.js';

/** A sampler as the policy calls it: the `@mipjs/samplers` contract with the two-step options. */
export type PolicySampler = Sampler<TwoStepOptions>;

/**
 * The sampler table at the deploy edge: `policy.json`'s `sampler.name` -> sampler function. Keys
 * are the export names of `@mipjs/samplers`, so the name in a manifest says exactly which function
 * runs. The training side (the bench's algorithm table) decides which name a run gets; nothing
 * here looks at algorithm names.
 */
export const POLICY_SAMPLERS: Readonly<Record<string, PolicySampler>> = Object.freeze({
  eulerSampler,
  heunSampler,
  midpointSampler,
  flowMapSampler,
  oneStepSampler,
  mipSampler,
  mipReferenceSampler,
  tsdSampler,
  twoStepSampler,
});

/** The sampler of a manifest from the table (plus `extra` samplers of external algorithm packages). */
export function resolveSampler(
  spec: PolicySamplerSpec,
  extra: Readonly<Record<string, PolicySampler>> = {},
): PolicySampler {
  const table = { ...POLICY_SAMPLERS, ...extra };
  const sampler = Object.hasOwn(table, spec.name) ? table[spec.name] : undefined;
  if (typeof sampler !== 'function') {
    throw new PolicyError(
      'unknown-sampler',
      `policy sampler '${spec.name}' is not in the sampler table (known: ${Object.keys(table).join(', ')}); ` +
        'pass it in loadPolicy options.samplers',
    );
  }
  return sampler;
}
