import { FlowMap } from '@mipjs/nets';
import {
  eulerSampler,
  flowMapSampler,
  mipReferenceSampler,
  mipSampler,
  oneStepSampler,
  tsdSampler,
  twoStepSampler,
} from '@mipjs/samplers';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from './load.js';
import type { PolicyManifest } from './manifest.js';
import { POLICY_SAMPLERS, type PolicySampler } from './sampler-table.js';
import { manifestFor, observations, pushtNormalizers, runFiles } from './test-utils/fixture.js';

/**
 * The manifest each built-in algorithm of the bench gets (its sampler, start and NFE as in the
 * bench's algorithm table: packages/bench algorithms), and the function that must run it.
 */
const BUILTIN: [algorithm: string, manifest: Partial<PolicyManifest>, sampler: PolicySampler][] = [
  [
    'flow',
    { sampler: { name: 'eulerSampler', options: { start: 'noise' } }, defaultNfe: 9, nfe: [9, 3, 1] },
    eulerSampler,
  ],
  [
    'regression',
    { sampler: { name: 'oneStepSampler', options: { start: 'zero' } }, defaultNfe: 1, fixedNfe: 1 },
    oneStepSampler,
  ],
  [
    'straight_flow',
    { sampler: { name: 'oneStepSampler', options: { start: 'noise' } }, defaultNfe: 1, fixedNfe: 1 },
    oneStepSampler,
  ],
  [
    'tsd',
    {
      sampler: { name: 'tsdSampler', options: { start: 'noise', tStar: 0.9 }, variant: 'page' },
      defaultNfe: 1,
      fixedNfe: 2,
    },
    tsdSampler,
  ],
  [
    'tsd',
    {
      sampler: { name: 'mipReferenceSampler', options: { start: 'noise', tStar: 0.9 }, variant: 'reference' },
      defaultNfe: 1,
      fixedNfe: 2,
    },
    mipReferenceSampler,
  ],
  [
    'mip',
    {
      sampler: { name: 'mipSampler', options: { start: 'zero', tStar: 0.8 }, variant: 'page' },
      defaultNfe: 1,
      fixedNfe: 2,
    },
    mipSampler,
  ],
  [
    'mip',
    {
      sampler: { name: 'mipReferenceSampler', options: { start: 'zero', tStar: 0.9 }, variant: 'reference' },
      defaultNfe: 1,
      fixedNfe: 2,
    },
    mipReferenceSampler,
  ],
  [
    'mip_origin',
    { sampler: { name: 'twoStepSampler', options: { start: 'zero' } }, defaultNfe: 1, fixedNfe: 2 },
    twoStepSampler,
  ],
  ...['ctm', 'lmd', 'psd', 'lsd', 'esd', 'mf'].map(
    (name) =>
      [
        name,
        { sampler: { name: 'flowMapSampler', options: { start: 'noise' } }, defaultNfe: 9, nfe: [9, 3, 1] },
        flowMapSampler,
      ] as [string, Partial<PolicyManifest>, PolicySampler],
  ),
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('every built-in algorithm gives a working policy', () => {
  it('covers the twelve built-in algorithms, tsd and mip in both variants', () => {
    expect(new Set(BUILTIN.map(([a]) => a))).toEqual(
      new Set([
        'regression',
        'straight_flow',
        'flow',
        'tsd',
        'mip',
        'mip_origin',
        'ctm',
        'lmd',
        'psd',
        'lsd',
        'esd',
        'mf',
      ]),
    );
    for (const [, m, fn] of BUILTIN) expect(POLICY_SAMPLERS[m.sampler!.name]).toBe(fn);
  });

  it.each(BUILTIN)('%s with %o', async (algorithm, extra, sampler) => {
    const manifest = manifestFor(algorithm, extra.sampler!, extra);
    const policy = await loadPolicy({ files: runFiles(manifest, 3), label: algorithm });
    const B = 4;
    const obs = observations(B, 2);
    const before = tf.memory().numTensors;
    const chunk = policy.act(obs, { seed: 9 });
    expect(chunk.shape).toEqual([B, 16, 2]);
    expect(chunk.data.every(Number.isFinite)).toBe(true);
    expect(chunk.nfe).toBe(manifest.fixedNfe ?? manifest.defaultNfe);
    // The same as the sampler function called directly with the manifest's options.
    const n = pushtNormalizers();
    const direct = tf.tidy(() => {
      const cond = policy.encoder!.encode(tf.tensor3d(n.obs.normalize(obs), [B, 2, 5]));
      return sampler({ flowMap: new FlowMap(policy.network), interpolant: policy.interpolant }, cond, {
        ...manifest.sampler.options,
        steps: manifest.defaultNfe,
        seed: 9,
        batch: B,
        horizon: 16,
        actDim: 2,
      });
    });
    expect(Array.from(chunk.data)).toEqual(
      Array.from(n.action.unnormalize(direct.dataSync() as Float32Array)),
    );
    direct.dispose();
    if (manifest.sampler.options?.start === 'noise') {
      // Seeded noise start: another seed, other actions; the same seed, the same.
      expect(policy.act(obs, { seed: 10 }).data).not.toEqual(chunk.data);
      expect(policy.act(obs, { seed: 9 }).data).toEqual(chunk.data);
    }
    if (!manifest.fixedNfe) expect(policy.act(obs, { seed: 9, nfe: 1 }).data).not.toEqual(chunk.data);
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });

  it('a task without observations (checkerboard-like: To 0, no encoder, no normalizers)', async () => {
    const { createNetwork, serializeWeights } = await import('@mipjs/nets');
    const net = createNetwork('mlp', {
      actDim: 2,
      horizon: 1,
      obsSteps: 1,
      condDim: 1,
      embDim: 16,
      nLayers: 1,
      init: 'normal-0.02',
    });
    const { manifest: wm, data } = serializeWeights(net);
    net.dispose();
    const manifest: PolicyManifest = {
      ...manifestFor('flow', { name: 'eulerSampler', options: { start: 'noise' } }, { defaultNfe: 4 }),
      task: 'checkerboard',
      obsSteps: 0,
      horizon: 1,
      actionSteps: 1,
      obs: { dim: 0 },
      encoder: null,
      normalizers: null,
    };
    const policy = await loadPolicy({
      manifest,
      files: {
        'checkpoint/ema/network/manifest.json': JSON.stringify(wm),
        'checkpoint/ema/network/weights.bin': data,
      },
    });
    const chunk = policy.act(null, { batch: 5, seed: 1 });
    expect(chunk.shape).toEqual([5, 1, 2]);
    expect(chunk.data.every(Number.isFinite)).toBe(true);
    expect(() => policy.act(observations(1))).toThrow('takes no observations');
    policy.dispose();
  });
});
