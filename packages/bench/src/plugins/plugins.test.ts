// Networks, encoders and tasks of packages from the command line (issue 24): the example
// package's example_mlp network, example_mean encoder and example_parabola task, trained,
// evaluated and reloaded as a policy; a bad package or a missing export is one named error.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runPolicyOptions } from '../evaluate/closed-loop.js';
import { loadCatalog } from '../serve/catalog.js';
import { tempDir } from '../test-utils/fixtures.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const LOWDIM = join(REPO, 'datasets/pusht/pusht_cchi_v7_lowdim.zarr');
const EXAMPLE = 'mipjs-algorithm-example';

function mipjs(args: string[], cwd = tempDir()) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, cwd };
}

const TINY = ['--steps', '4', '--batch', '8', '--eval-samples', '16', '--backend', 'cpu', '--quiet'];
const PLUGINS = [
  '--network',
  'example_mlp',
  '--network-package',
  EXAMPLE,
  '--encoder',
  'example_mean',
  '--encoder-package',
  EXAMPLE,
  '--encoder-options',
  '{"embDim":8}',
];

describe('mipjs train --network-package / --encoder-package / --task-package', () => {
  it('trains the example network, encoder and task, evaluates the run and reloads its policy', async () => {
    const out = join(tempDir(), 'run');
    const args = ['--task', 'example_parabola', '--task-package', EXAMPLE, ...PLUGINS];
    const r = mipjs(['train', ...args, '--algorithm', 'flow', '--nfe', '1,2', '--out', out, ...TINY]);
    expect(r.err).not.toMatch(/mipjs: error/);
    expect(r.code).toBe(0);
    // A number: a task that read its policy without awaiting it would score NaN.
    expect(r.out).toMatch(/^flow example_parabola NFE 2: .*"l1_error":\d/m);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      task: 'example_parabola',
      network: 'example_mlp',
      encoder: 'example_mean',
      taskPackages: [EXAMPLE],
      networkPackages: [EXAMPLE],
      encoderPackages: [EXAMPLE],
    });
    const manifest = JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8'));
    expect(manifest.network.kind).toBe('example_mlp');
    expect(manifest.encoder.kind).toBe('example_mean');

    // mipjs eval reloads the checkpoint through the saved config's packages.
    const ev = mipjs(['eval', out, '--nfe', '4', '--backend', 'cpu']);
    expect(ev.err).not.toMatch(/mipjs: error/);
    expect(ev.out).toMatch(/^flow example_parabola NFE 4: /m);

    // The policy loader needs the package factories; the bench gives them from the run's config.
    tf.setBackend('cpu');
    await expect(loadPolicyFromRun(out)).rejects.toThrow(/example_mean|example_mlp/);
    const before = tf.memory().numTensors;
    const policy = await loadPolicyFromRun(out, await runPolicyOptions(out));
    try {
      const chunk = policy.act(Float32Array.of(0.5), { nfe: 2 });
      expect(chunk.shape).toEqual([1, 1, 2]);
      expect(chunk.data.every(Number.isFinite)).toBe(true);
    } finally {
      policy.dispose();
    }
    expect(tf.memory().numTensors - before).toBe(0);

    // mipjs serve loads the same run through the same factories.
    const [served] = await loadCatalog([`parabola=${out}`]);
    try {
      expect(served?.policy.manifest.network.kind).toBe('example_mlp');
    } finally {
      served?.policy.dispose();
    }
  }, 120_000);

  it('trains the example network and encoder on pusht_keypoint (real data)', () => {
    const out = join(tempDir(), 'run');
    const r = mipjs([
      'train',
      '--task',
      'pusht_keypoint',
      '--data',
      LOWDIM,
      ...PLUGINS,
      '--algorithm',
      'flow',
      '--nfe',
      '1',
      '--episodes',
      '0',
      '--out',
      out,
      ...TINY,
    ]);
    expect(r.err).not.toMatch(/mipjs: error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^flow pusht_keypoint NFE 1: /m);
    const manifest = JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8'));
    expect(manifest).toMatchObject({ network: { kind: 'example_mlp' }, encoder: { kind: 'example_mean' } });
  }, 120_000);

  it('compares flow and mip on the example task (no preset: the default mlp, here narrowed)', () => {
    const r = mipjs([
      'compare',
      '--task',
      'example_parabola',
      '--task-package',
      EXAMPLE,
      '--algorithms',
      'flow,mip',
      '--nfe',
      '1',
      '--network-options',
      '{"embDim":16,"nLayers":1,"timestepEmbDim":8}',
      ...TINY,
    ]);
    expect(r.err).not.toMatch(/mipjs: error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/flow/);
    expect(r.out).toMatch(/mip/);
    expect(r.out).toMatch(/l1_error/);
  }, 120_000);

  it('sweeps over a package task (its name is checked when the package loads)', () => {
    const cwd = tempDir();
    const r = mipjs(
      [
        'sweep',
        '--tasks',
        'example_parabola',
        '--task-package',
        EXAMPLE,
        '--algorithms',
        'flow',
        '--nfe',
        '1',
        '--workers',
        '1',
        '--out',
        join(cwd, 'sweep'),
        '--network-options',
        '{"embDim":16,"nLayers":1,"timestepEmbDim":8}',
        ...TINY,
      ],
      cwd,
    );
    expect(r.err).not.toMatch(/mipjs: error/);
    expect(r.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(cwd, 'sweep', 'results.json'), 'utf8'));
    expect(JSON.stringify(rows)).toMatch(/example_parabola/);
  }, 120_000);

  it.each([
    [
      ['--network', 'example_mlp'],
      /--network: unknown network 'example_mlp'.*\(others load with --network-package PKG\)/,
    ],
    [
      ['--task', 'example_parabola'],
      /--task: unknown task 'example_parabola'.*\(others load with --task-package PKG\)/,
    ],
    [
      ['--encoder', 'example_mean'],
      /--encoder: unknown encoder 'example_mean'; valid: identity, mlp, per_step_mlp, image \(others load with --encoder-package PKG\)/,
    ],
    [
      ['--network', 'nope', '--network-package', EXAMPLE],
      /--network: unknown network 'nope'; valid: .*chiunet.*, example_mlp$/m,
    ],
    [
      ['--network-package', 'no-such-mipjs-package'],
      /--network-package no-such-mipjs-package: cannot load the package/,
    ],
    [['--task-package', '@mipjs/losses'], /--task-package @mipjs\/losses: the package has no 'tasks' export/],
  ])('%j is one named error', (extra, message) => {
    const r = mipjs(['train', '--task', 'bimodal', ...TINY, ...extra]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^mipjs: error: /);
    expect(r.err).toMatch(message);
  });
});
