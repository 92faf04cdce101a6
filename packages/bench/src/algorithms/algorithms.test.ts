import * as losses from '@mipjs/losses';
import { describe, expect, it } from 'vitest';
import { prepareBackend } from '../backend/setup.js';
import { blobTask, tempDir, tinyConfig } from '../test-utils/fixtures.js';
import { train } from '../train/trainer.js';
import { AlgorithmError, loadAlgorithmPackage, validateAlgorithm } from './algorithm.js';
import { builtinAlgorithms, resolveAlgorithms } from './algorithms.js';

describe('algorithm table', () => {
  it('has every loss of @mipjs/losses, each with a sampler and default steps', () => {
    const lossFns = Object.entries(losses).filter(
      ([k, v]) => k.endsWith('Loss') && typeof v === 'function' && k !== 'normLoss' && k !== 'meanSquareLoss',
    );
    const table = builtinAlgorithms();
    expect(table.map((a) => a.name).sort()).toEqual(
      [
        'ctm',
        'esd',
        'flow',
        'lmd',
        'lsd',
        'mf',
        'mip',
        'mip_one_step_integrate',
        'mip_origin',
        'psd',
        'regression',
        'straight_flow',
        'tsd',
      ].sort(),
    );
    for (const [, fn] of lossFns) expect(table.some((a) => a.loss === fn)).toBe(true);
    for (const a of table) {
      expect(validateAlgorithm(a, 'builtin')).toBe(a);
      expect(a.defaultSteps.length).toBeGreaterThan(0);
    }
    expect(table.filter((a) => a.needsTeacher).map((a) => a.name)).toEqual(['ctm', 'lmd']);
  });

  it('rejects malformed algorithms with the field named', () => {
    expect(() =>
      validateAlgorithm({ name: 'x', loss: 1, sampler: () => null, defaultSteps: [] }, 'pkg'),
    ).toThrow(/loss must be a function[\s\S]*defaultSteps must be a non-empty array/);
    expect(() => validateAlgorithm(null, 'pkg')).toThrow(AlgorithmError);
  });

  it('loads the example package by name and trains it a few steps', async () => {
    const [a] = await loadAlgorithmPackage('mipjs-algorithm-example');
    expect(a.name).toBe('weighted_flow');
    const table = await resolveAlgorithms(['mipjs-algorithm-example']);
    expect(table.get('weighted_flow')).toBe(a);
    await prepareBackend('cpu');
    const result = await train({
      config: tinyConfig({
        algorithm: 'weighted_flow',
        algorithmPackages: ['mipjs-algorithm-example'],
        steps: 4,
      }),
      algorithm: a,
      task: blobTask(),
      dir: tempDir(),
    });
    expect(result.metrics.at(-1)?.terms.weighted_flow).toBeGreaterThan(0);
    result.dispose();
  });

  it('names a missing package', async () => {
    await expect(loadAlgorithmPackage('definitely-not-installed-pkg')).rejects.toThrow(
      /cannot load algorithm package/,
    );
  });
});
