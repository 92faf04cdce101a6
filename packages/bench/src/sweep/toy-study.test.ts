import { describe, expect, it } from 'vitest';
import { readPreset } from '../config/presets.js';
import { relativeStepCost } from './jobs.js';
import { sweepGrid } from './sweep.js';

/** The grid of the toy-study guide's command (`mipjs sweep --preset toy-study ...`). */
function studyGrid(preset: string) {
  return sweepGrid({
    algorithms: ['regression', 'straight_flow', 'flow', 'mip', 'mip_one_step_integrate'],
    tasks: ['recon', 'proj', 'lie'],
    seeds: [0, 1, 2],
    sets: [
      { key: 'lossOptions.norm', values: ['l1', 'l2'] },
      { key: 'networkOptions.conditioning', values: ['concat', 'film'] },
    ],
    file: readPreset(preset).fields,
    flags: {},
  });
}

describe('the toy-study presets', () => {
  for (const [preset, steps, evalSamples] of [
    ['toy-study', 600, 500],
    ['toy-study-full', 100_000, 2000],
  ] as const) {
    it(`${preset}: the study's 180 runs with its network, optimiser and evaluation (spec §11)`, () => {
      const runs = studyGrid(preset);
      // 5 modes x 2 losses x 2 architectures x 3 tasks x 3 seeds.
      expect(runs).toHaveLength(180);
      expect(new Set(runs.map((r) => r.run)).size).toBe(180);
      for (const { config, variant } of runs) {
        // 3 x 256 ReLU MLP: a first layer and two hidden layers, no dropout.
        expect(config.network).toBe('vanilla_mlp');
        expect(config.networkOptions).toMatchObject({ embDim: 256, nLayers: 2, dropout: 0 });
        expect(variant).toBe(
          `norm=${config.lossOptions.norm}_conditioning=${config.networkOptions.conditioning}`,
        );
        // Adam (no decoupled decay), lr 1e-3, batch 32, no EMA, plain-mean losses, no clipping.
        expect([config.batchSize, config.lr, config.weightDecay, config.emaRate]).toEqual([32, 1e-3, 0, 0]);
        expect([config.gradClip, config.lossOptions.lossScale]).toEqual([0, 1]);
        // Evaluated from x0 = 0 at NFE 1 and 9 (the study's evaluation.initial_dist: zeros).
        expect(config.sampleStart).toBe('zero');
        expect(config.evalNfe).toEqual([1, 9]);
        expect([config.steps, config.evalSamples]).toEqual([steps, evalSamples]);
      }
      expect(new Set(runs.map((r) => r.variant))).toEqual(
        new Set([
          'norm=l1_conditioning=concat',
          'norm=l1_conditioning=film',
          'norm=l2_conditioning=concat',
          'norm=l2_conditioning=film',
        ]),
      );
    });
  }

  it('schedules the two-call modes (mip, mip_one_step_integrate) as twice a one-call step', () => {
    expect(
      ['regression', 'straight_flow', 'flow', 'mip', 'mip_one_step_integrate'].map(relativeStepCost),
    ).toEqual([1, 1, 1, 2, 2]);
  });
});
