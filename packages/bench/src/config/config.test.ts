import { describe, expect, it } from 'vitest';
import { energyDistance, histogramKL } from '../tasks/metrics.js';
import {
  ConfigError,
  configMismatch,
  parseIntListFlag,
  parseNumberFlag,
  resolveRunConfig,
} from './config.js';

describe('config', () => {
  it('applies the task preset, then the file, then flags', () => {
    const c = resolveRunConfig({ steps: 50, lr: 0.01 }, { lr: 0.02 });
    expect(c).toMatchObject({
      task: 'checkerboard',
      network: 'mlp',
      steps: 50,
      lr: 0.02,
      emaRate: 0.995,
      gradClip: 10,
    });
    expect(c.networkOptions).toMatchObject({ embDim: 64 });
  });

  it('names every bad field', () => {
    expect(() => resolveRunConfig({ batchSize: 0, emaRate: 3, bogus: 1 })).toThrow(
      /batchSize: Too small[\s\S]*emaRate: Too big[\s\S]*Unrecognized key: "bogus"/,
    );
    expect(() => resolveRunConfig({}, { task: 'nope' })).toThrow(/unknown task 'nope'/);
    expect(() => resolveRunConfig({}, { network: 'nope' })).toThrow(/network: Invalid option/);
    expect(() => resolveRunConfig({}, { task: 'robomimic' })).toThrow(ConfigError);
  });

  it('parses numbers and lists with clear errors', () => {
    expect(parseNumberFlag('--lr', '1e-3')).toBe(1e-3);
    expect(() => parseNumberFlag('--lr', 'x')).toThrow(/--lr: 'x' is not a number/);
    expect(parseIntListFlag('--nfe', '1,2,4')).toEqual([1, 2, 4]);
    expect(() => parseIntListFlag('--nfe', '1,0')).toThrow(/positive integer/);
  });

  it('applies the (task, algorithm) preset below the config file and the flags', () => {
    expect(resolveRunConfig({}, { algorithm: 'lsd' }).steps).toBe(800);
    expect(resolveRunConfig({}, { algorithm: 'flow' }).steps).toBe(1200);
    expect(resolveRunConfig({ steps: 50 }, { algorithm: 'lsd' }).steps).toBe(50);
    expect(resolveRunConfig({}, { algorithm: 'lsd', steps: 7 }).steps).toBe(7);
    expect(resolveRunConfig({}, { algorithm: 'lsd', task: 'recon' }).steps).toBe(3000);
    const pusht = resolveRunConfig({}, { task: 'pusht', data: 'x.zarr' });
    expect([pusht.encoder, pusht.valFraction, pusht.splitSeed]).toEqual(['mlp', 0.1, 0]);
  });

  it('detects a resume from another config', () => {
    const a = resolveRunConfig({}, { steps: 10 });
    expect(configMismatch(a, resolveRunConfig({}, { steps: 10, logEvery: 5 }))).toEqual([]);
    // Evaluation during training may be switched on or off on a resume.
    expect(configMismatch(a, resolveRunConfig({}, { steps: 10, evalEvery: 100 }))).toEqual([]);
    expect(configMismatch(a, resolveRunConfig({}, { steps: 20 }))).toEqual(['steps: saved 10, now 20']);
  });
});

describe('metrics', () => {
  it('KL and energy distance are ~0 for equal samples and positive otherwise', () => {
    const a = Float32Array.from({ length: 400 }, (_, i) => Math.sin(i * 12.9898) * 0.9);
    const b = Float32Array.from(a, (v) => v + 0.5);
    const box = { xmin: -1, xmax: 1, ymin: -1, ymax: 1 };
    expect(histogramKL(a, a, box, 8)).toBeCloseTo(0, 10);
    expect(histogramKL(b, a, box, 8)).toBeGreaterThan(0.1);
    expect(energyDistance(b, a)).toBeGreaterThan(energyDistance(a, a) + 0.1);
  });
});
