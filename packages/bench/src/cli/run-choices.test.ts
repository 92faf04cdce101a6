// The run choices of issue 24 part A from the command line, on real tasks: --sampler (honest NFE),
// --interpolant / --interpolant-package, --encoder / --encoder-options.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const LOWDIM = join(REPO, 'datasets/pusht/pusht_cchi_v7_lowdim.zarr');

function mipjs(args: string[], cwd = tempDir()) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, cwd };
}

const TINY = [
  '--steps',
  '4',
  '--batch',
  '8',
  '--eval-samples',
  '16',
  '--episodes',
  '0',
  '--network-options',
  '{"embDim":16,"nLayers":1,"timestepEmbDim":8}',
  '--backend',
  'cpu',
  '--quiet',
];

describe('mipjs train --sampler / --interpolant / --encoder on pusht_keypoint', () => {
  it('trains flow with Heun, a package schedule and a per-step encoder; rows and policy.json count NFE as network calls', async () => {
    const out = join(tempDir(), 'run');
    const r = mipjs([
      'train',
      '--task',
      'pusht_keypoint',
      '--data',
      LOWDIM,
      '--algorithm',
      'flow',
      '--sampler',
      'heun',
      '--nfe',
      '2,4',
      '--interpolant',
      'quadratic',
      '--interpolant-package',
      'mipjs-algorithm-example',
      '--encoder',
      'per_step_mlp',
      '--encoder-options',
      '{"embDim":16}',
      '--out',
      out,
      ...TINY,
    ]);
    expect(r.err).not.toMatch(/mipjs: error/);
    expect(r.code).toBe(0);
    // NFE 2 = one Heun step (two network calls), NFE 4 = two.
    expect(r.out).toMatch(/^flow pusht_keypoint NFE 2: /m);
    expect(r.out).toMatch(/^flow pusht_keypoint NFE 4: /m);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      sampler: 'heun',
      interpolant: 'quadratic',
      interpolantPackages: ['mipjs-algorithm-example'],
      encoder: 'per_step_mlp',
      encoderOptions: { embDim: 16 },
    });
    const manifest = JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8'));
    expect(manifest.sampler).toMatchObject({ name: 'heunSampler', callsPerStep: 2 });
    expect(manifest).toMatchObject({ interpolant: 'quadratic', defaultNfe: 2, nfe: [2, 4] });
    expect(manifest.encoder.kind).toBe('per_step_mlp');

    // mipjs eval counts the same way: --nfe 6 is three Heun steps, an odd NFE is one named error.
    const six = mipjs(['eval', out, '--nfe', '6', '--eval-samples', '16', '--backend', 'cpu']);
    expect(six.code).toBe(0);
    expect(six.out).toMatch(/^flow pusht_keypoint NFE 6: /m);
    const odd = mipjs(['eval', out, '--nfe', '3', '--backend', 'cpu']);
    expect(odd.code).toBe(1);
    expect(odd.err).toMatch(/mipjs: error: invalid config: --nfe: NFE 3 is not a whole number of steps/);

    // The loaded policy samples the same way: Heun, nfe / 2 steps; an odd NFE is refused.
    tf.setBackend('cpu');
    const { quadraticSchedule } = await import('mipjs-algorithm-example');
    await expect(loadPolicyFromRun(out)).rejects.toThrow(/interpolant 'quadratic'.*options\.schedules/);
    const policy = await loadPolicyFromRun(out, { schedules: { quadratic: quadraticSchedule } });
    try {
      const obs = new Float32Array(policy.obsSteps * policy.obsDim).fill(0.5);
      expect(() => policy.act(obs, { nfe: 3 })).toThrow(/nfe must be a multiple of 2.*heunSampler/);
      const chunk = policy.act(obs, { nfe: 4 });
      expect(chunk.nfe).toBe(4);
      expect(chunk.shape).toEqual([1, manifest.horizon, 2]);
      expect(chunk.data.every(Number.isFinite)).toBe(true);
    } finally {
      policy.dispose();
    }
  }, 120_000);

  it.each([
    [
      ['--algorithm', 'mip', '--sampler', 'heun'],
      /--sampler: sampler 'heun' does not fit algorithm 'mip'; compatible: auto$/m,
    ],
    [
      ['--algorithm', 'lsd', '--sampler', 'rk4'],
      /--sampler: sampler 'rk4' does not fit algorithm 'lsd'; compatible: auto, flow_map, euler, heun, midpoint/,
    ],
    [
      ['--algorithm', 'flow', '--sampler', 'midpoint', '--nfe', '3'],
      /--nfe: NFE 3 is not a whole number of steps of a sampler that makes 2 network calls per step/,
    ],
    [
      ['--interpolant', 'quadratic'],
      /--interpolant: unknown interpolant 'quadratic'; valid: linear, trig \(others load with --interpolant-package PKG\)/,
    ],
    [
      ['--interpolant-package', 'no-such-mipjs-package'],
      /cannot load interpolant package 'no-such-mipjs-package'/,
    ],
    [
      ['--encoder', 'nope'],
      /--encoder: unknown encoder 'nope'; valid: identity, mlp, per_step_mlp, image \(others load with --encoder-package PKG\)/,
    ],
    [['--encoder-options', '[1]'], /--encoder-options: expected a JSON object, found '\[1\]'/],
  ])('%j is one named error', (extra, message) => {
    const r = mipjs(['train', '--task', 'pusht_keypoint', '--data', LOWDIM, ...TINY, ...extra]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^mipjs: error: /);
    expect(r.err).toMatch(message);
  });

  it('info lists the --sampler choices with their NFE', () => {
    const r = mipjs(['info']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--sampler heun\s+NFE 18, 6, 2/);
    expect(r.out).toMatch(/--sampler flow_map\s+NFE 9, 3, 1/);
  });
});
