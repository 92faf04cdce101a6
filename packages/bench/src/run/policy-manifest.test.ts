import { POLICY_SAMPLERS, parsePolicyManifest } from '@mipjs/policy';
import { describe, expect, it } from 'vitest';
import { builtinAlgorithms } from '../algorithms/algorithms.js';
import { resolveRunConfig } from '../config/config.js';
import type { Task } from '../tasks/task.js';
import { policyManifestFor } from './policy-manifest.js';

const pusht = {
  name: 'pusht',
  description: 'test',
  horizon: 16,
  actDim: 2,
  obsSteps: 2,
  obsDim: 5,
} as unknown as Task;

describe("the run's policy.json", () => {
  it.each(
    builtinAlgorithms().flatMap((a) => [
      [a.name, {} as { variant?: string }],
      [a.name, { variant: 'reference' }],
    ]) as [string, { variant?: string }][],
  )('%s %o: a valid manifest whose sampler is the one the bench evaluates with', (name, lossOptions) => {
    const algorithm = builtinAlgorithms().find((a) => a.name === name)!;
    const config = resolveRunConfig({}, { task: 'pusht', data: 'x.zarr', algorithm: name, lossOptions });
    const manifest = policyManifestFor(config, algorithm, pusht, ['/run/normalizers.json'])!;
    expect(parsePolicyManifest(manifest)).toBe(manifest);
    const fn = POLICY_SAMPLERS[manifest.sampler.name];
    expect(fn).toBeTypeOf('function');
    // Plain entries hold the sampler itself; mip / tsd hold a variant switch, checked by name.
    if (typeof algorithm.samplerName === 'string') expect(fn).toBe(algorithm.sampler);
    else
      expect(manifest.sampler.name).toBe(
        lossOptions.variant === 'reference'
          ? 'mipReferenceSampler'
          : name === 'mip'
            ? 'mipSampler'
            : 'tsdSampler',
      );
    expect(manifest.sampler.options?.start).toBe(algorithm.defaultStart ?? 'noise');
    expect(manifest.defaultNfe).toBe(algorithm.fixedNfe ?? config.evalNfe[0]);
    expect(manifest).toMatchObject({
      obsSteps: 2,
      horizon: 16,
      actionSteps: 8,
      normalizers: 'normalizers.json',
      network: { weights: 'checkpoint/ema/network' },
      encoder: { weights: 'checkpoint/ema/encoder' },
    });
  });

  it('a task without observations has no encoder; an algorithm without samplerName writes none', () => {
    const flow = builtinAlgorithms().find((a) => a.name === 'flow')!;
    const config = resolveRunConfig({}, { task: 'checkerboard', algorithm: 'flow' });
    const toy = { ...pusht, horizon: 1, obsSteps: 0, obsDim: 0 } as Task;
    const manifest = policyManifestFor(config, flow, toy)!;
    expect(manifest).toMatchObject({
      obsSteps: 0,
      obs: { dim: 0 },
      encoder: null,
      normalizers: null,
      actionSteps: 1,
    });
    expect(parsePolicyManifest(manifest)).toBe(manifest);
    expect(policyManifestFor(config, { ...flow, samplerName: undefined }, toy)).toBeNull();
  });
});
