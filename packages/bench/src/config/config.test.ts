import { describe, expect, it } from 'vitest';
import { energyDistance, histogramKL } from '../tasks/metrics.js';
import {
  ConfigError,
  configMismatch,
  parseIntListFlag,
  parseNumberFlag,
  resolveRunConfig,
  validateRunConfig,
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

  it('names every bad field as the user wrote it: the flag, or the key in the config file', () => {
    expect(() => resolveRunConfig({ batchSize: 0, emaRate: 3, bogus: 1 })).toThrow(
      /'batchSize': expected a number > 0, found 0[\s\S]*'emaRate': expected a number <= 1, found 3[\s\S]*unknown key 'bogus'; valid keys: task, data,/,
    );
    // --batch 0 names --batch, not the internal field batchSize.
    expect(() => resolveRunConfig({}, { batchSize: 0 })).toThrow(
      /^invalid config: --batch: expected a number > 0, found 0$/,
    );
    expect(() => resolveRunConfig({}, { steps: 1.5 })).toThrow(/--steps: expected an integer, found 1\.5/);
    const fileKey = (key: string) => `'${key}' in run.yaml`;
    expect(() => resolveRunConfig({ batchSize: 0 }, {}, { fileKey })).toThrow(
      /'batchSize' in run.yaml: expected a number > 0, found 0/,
    );
    expect(() => resolveRunConfig({}, { task: 'nope' })).toThrow(/--task: unknown task 'nope'/);
    expect(() => resolveRunConfig({}, { network: 'nope' })).toThrow(
      /--network: unknown network 'nope'; valid: mlp, /,
    );
    expect(() => resolveRunConfig({}, { task: 'robomimic' })).toThrow(ConfigError);
  });

  it('network and encoder options: an unknown key lists the valid ones, a wrong type is not spread', () => {
    // A typo used to train the default network.
    expect(() => resolveRunConfig({}, { networkOptions: { embDimm: 64 } })).toThrow(
      /--network-options \(network 'mlp'\): unknown key 'embDimm'; valid keys: embDim, nLayers,/,
    );
    expect(() =>
      resolveRunConfig({ networkOptions: { nLayers: 'two' } }, {}, { fileKey: (k) => `'${k}' in run.yaml` }),
    ).toThrow(
      /'networkOptions.nLayers' in run.yaml \(network 'mlp'\): 'nLayers': expected an integer >= 0, found 'two'/,
    );
    // "wide" used to become { 0: 'w', 1: 'i', ... }.
    expect(() => resolveRunConfig({ networkOptions: 'wide' })).toThrow(
      /'networkOptions': expected an object of options, found 'wide'/,
    );
    expect(() => resolveRunConfig({}, { lossOptions: [1] })).toThrow(
      /--loss-options: expected an object of options/,
    );
    expect(() =>
      resolveRunConfig({ encoderOptions: { hidenDims: [8] } }, { task: 'pusht', data: 'x.zarr' }),
    ).toThrow(/'encoderOptions.hidenDims' \(encoder 'mlp'\): unknown key 'hidenDims'/);
    // The preset's options of another network are not inherited (so not checked against this one).
    expect(resolveRunConfig({}, { network: 'vanilla_mlp' }).networkOptions).toEqual({});
  });

  it("a toy task's mlp defaults do not leak into another network given options of its own", () => {
    // `mipjs train --task recon --network vanilla_mlp --network-options '{"embDim":256,"nLayers":3}'`
    // once failed with "unknown key 'timestepEmbDim'" (an mlp key merged into vanilla_mlp's options).
    for (const task of ['recon', 'proj', 'lie', 'checkerboard'] as const) {
      const c = resolveRunConfig(
        {},
        { task, network: 'vanilla_mlp', networkOptions: { embDim: 256, nLayers: 3 } },
      );
      expect(c.networkOptions).toEqual({ embDim: 256, nLayers: 3 });
    }
    // The same from a config file, and the preset's own network still gets its defaults merged.
    expect(
      resolveRunConfig({ task: 'recon', network: 'vanilla_mlp', networkOptions: { embDim: 8 } })
        .networkOptions,
    ).toEqual({ embDim: 8 });
    expect(resolveRunConfig({}, { task: 'recon', networkOptions: { embDim: 8 } }).networkOptions).toEqual({
      embDim: 8,
      nLayers: 3,
      timestepEmbDim: 32,
      maxFreq: 1,
      dropout: 0,
    });
    // Every toy task's mlp has time features up to frequency 1 (the toy-study guide says why).
    for (const task of ['recon', 'proj', 'lie'] as const)
      expect(resolveRunConfig({}, { task }).networkOptions).toMatchObject({ maxFreq: 1 });
    expect(resolveRunConfig({}, { task: 'checkerboard' }).networkOptions.maxFreq).toBeUndefined();
  });

  it('a saved config names its file', () => {
    expect(() =>
      validateRunConfig({ ...resolveRunConfig(), steps: -1 }, { file: 'runs/a/config.json' }),
    ).toThrow(/'steps' in runs\/a\/config.json: expected a number > 0, found -1/);
  });

  it('parses numbers and lists with clear errors', () => {
    expect(parseNumberFlag('--lr', '1e-3')).toBe(1e-3);
    expect(() => parseNumberFlag('--lr', 'x')).toThrow(/--lr: expected a number, found 'x'/);
    expect(parseIntListFlag('--nfe', '1,2,4')).toEqual([1, 2, 4]);
    expect(() => parseIntListFlag('--nfe', '1,0')).toThrow(/--nfe: expected positive integers, found '0'/);
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
