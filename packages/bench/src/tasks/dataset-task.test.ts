import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNormalizers } from '@mipjs/data';
import { loadWeights } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinAlgorithms } from '../algorithms/algorithms.js';
import { prepareBackend } from '../backend/setup.js';
import { resolveRunConfig, validateRunConfig } from '../config/config.js';
import { loadModel, loadTeacher } from '../model/model.js';
import { executeRun } from '../run/run.js';
import { writeLeRobotFixture, writePushTFixture, writeRobomimicFixture } from '../test-utils/datasets.js';
import { tempDir } from '../test-utils/fixtures.js';
import { train } from '../train/trainer.js';
import { NORMALIZERS_FILE } from './dataset-task.js';
import { openTask } from './tasks.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function mipjs(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const SMALL = {
  networkOptions: { embDim: 32, nLayers: 1, timestepEmbDim: 8, dropout: 0 },
  encoderOptions: { embDim: 16 },
  batchSize: 8,
  evalSamples: 16,
  evalNfe: [1, 2],
  logEvery: 2,
};

beforeAll(async () => {
  await prepareBackend('cpu');
});

describe('dataset tasks', () => {
  it('pusht: splits by episode, normalises with training statistics, cuts H16/To2/Ta8 windows, seeds batches', async () => {
    const data = writePushTFixture(join(tempDir(), 'pusht.zarr'));
    const config = resolveRunConfig({}, { task: 'pusht', data, ...SMALL });
    expect(config.encoder).toBe('mlp');
    const task = await openTask(config);
    expect([task.horizon, task.obsSteps, task.actDim, task.obsDim]).toEqual([16, 2, 2, 5]);
    expect(task.description).toMatch(/6 episodes \(5 train, 1 held out\)/);
    const a = task.trainBatch(0, 3, 8);
    expect(a.obs!.length).toBe(8 * 2 * 5);
    expect(a.action.length).toBe(8 * 16 * 2);
    expect(Array.from(task.trainBatch(0, 3, 8).action)).toEqual(Array.from(a.action));
    expect(Array.from(task.trainBatch(1, 3, 8).action)).not.toEqual(Array.from(a.action));
    for (const v of [...a.obs!, ...a.action]) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6);
    const held = task.validationBatch!(1000);
    expect(held.count).toBe(24 - 7); // one held-out episode of 24 frames: L - 7 windows
  });

  it('resumes a dataset run (network and encoder) to exactly the weights of an uninterrupted run', async () => {
    const data = writePushTFixture(join(tempDir(), 'pusht.zarr'));
    const config = resolveRunConfig({}, { task: 'pusht', data, steps: 6, checkpointEvery: 100, ...SMALL });
    const task = await openTask(config);
    const algorithm = builtinAlgorithms().find((a) => a.name === 'flow')!;
    const weights = (r: { model: { variables: readonly { dataSync(): ArrayLike<number> }[] } }) =>
      r.model.variables.flatMap((v) => Array.from(v.dataSync()));
    const full = await train({ config, algorithm, task, dir: tempDir() });
    expect(full.model.encoder?.kind).toBe('mlp');
    const dir = tempDir();
    (await train({ config, algorithm, task, dir, stopAfterStep: 3 })).dispose();
    const resumed = await train({ config, algorithm, task, dir, resume: true });
    expect(weights(resumed)).toEqual(weights(full));
    full.dispose();
    resumed.dispose();
  });

  it('ctm with a learned encoder: the teacher trained first answers on its own frozen encoding', async () => {
    const data = writePushTFixture(join(tempDir(), 'pusht.zarr'));
    const config = resolveRunConfig(
      {},
      { task: 'pusht', data, algorithm: 'ctm', steps: 2, teacherSteps: 2, ...SMALL },
    );
    const dir = join(tempDir(), 'run');
    const outcome = await executeRun({ config, dir, backend: 'cpu', quiet: true });
    expect(outcome.rows.map((r) => r.nfe)).toEqual([1, 2]);
    for (const r of outcome.rows) expect(Number.isFinite(r.metrics.valLoss)).toBe(true);
    // The teacher's velocity in the loss: its network on its own encoder's output, whatever
    // condition (the student's encoding) the loss passes.
    const task = await openTask(config);
    const teacher = await loadTeacher(join(dir, 'teacher'), task);
    const teacherConfig = validateRunConfig(
      JSON.parse(readFileSync(join(dir, 'teacher', 'config.json'), 'utf8')),
    );
    const direct = await loadModel(join(dir, 'teacher', 'checkpoint', 'ema'), teacherConfig, task);
    const before = tf.memory().numTensors;
    const [got, want] = tf.tidy(() => {
      const host = task.trainBatch(0, 0, 3);
      const obs = tf.tensor3d(host.obs!, [3, task.obsSteps, task.obsDim]);
      const x = tf.randomNormal([3, task.horizon, task.actDim], 0, 1, 'float32', 7) as tf.Tensor3D;
      const t = tf.tensor1d([0.1, 0.5, 0.9]);
      const studentCond = tf.randomNormal([3, task.obsSteps, 16], 0, 1, 'float32', 8) as tf.Tensor3D;
      return [
        teacher.on(obs).velocity(t, x, studentCond).arraySync(),
        direct.flowMap.velocity(t, x, direct.encode(obs, false)).arraySync(),
      ];
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(got).toEqual(want);
    teacher.dispose();
    direct.dispose();
    task.close?.();
  });

  it.each([
    ['robomimic', 10, 12, (dir: string) => writeRobomimicFixture(join(dir, 'low_dim_abs.hdf5'))],
    ['lerobot', 2, 5, (dir: string) => writeLeRobotFixture(join(dir, 'lerobot'))],
  ] as const)(
    '%s: trains jointly with the mlp encoder, saves normalizers and reports held-out metrics',
    async (task, actDim, obsDim, write) => {
      const dir = tempDir();
      const data = await write(dir);
      const config = resolveRunConfig({}, { task, data, steps: 4, ...SMALL });
      const opened = await openTask(config);
      expect([opened.actDim, opened.obsDim]).toEqual([actDim, obsDim]);
      const out = join(dir, 'run');
      const outcome = await executeRun({ config, dir: out, backend: 'cpu', quiet: true });
      expect(outcome.rows.map((r) => r.nfe)).toEqual([1, 2]);
      for (const r of outcome.rows) {
        expect(Object.keys(r.metrics)).toEqual(['valLoss', 'actionMse', 'actionMseExecuted']);
        for (const v of Object.values(r.metrics)) expect(Number.isFinite(v)).toBe(true);
      }
      const normalizers = await loadNormalizers(join(out, NORMALIZERS_FILE));
      expect(normalizers.action!.dim).toBe(actDim);
      // The checkpoint's weights are @mipjs/nets weights directories, the encoder's included.
      const net = await loadWeights(join(out, 'checkpoint', 'ema', 'network'));
      expect(net.condDim).toBe(16);
      net.dispose();
      expect(existsSync(join(out, 'checkpoint', 'model', 'encoder', 'manifest.json'))).toBe(true);
    },
  );
});

describe('mipjs with --data', () => {
  const tiny = [
    '--network-options',
    '{"embDim":32,"nLayers":1,"timestepEmbDim":8}',
    '--batch',
    '8',
    '--eval-samples',
    '16',
    '--nfe',
    '1,2',
    '--backend',
    'cpu',
    '--quiet',
  ];

  it('mipjs train --task pusht --data <zarr> --steps 5 writes a checkpoint; mipjs eval reuses it', () => {
    const dir = tempDir();
    const data = writePushTFixture(join(dir, 'pusht.zarr'));
    const out = join(dir, 'run');
    const r = mipjs(['train', '--task', 'pusht', '--data', data, '--steps', '5', ...tiny, '--out', out], dir);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/flow pusht NFE 1: \{"valLoss":/);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')).step).toBe(5);
    for (const f of ['config.json', 'metrics.jsonl', NORMALIZERS_FILE, 'result.json'])
      expect(existsSync(join(out, f))).toBe(true);
    const ev = mipjs(['eval', out, '--nfe', '1', '--backend', 'cpu', '--json', join(dir, 'rows.json')], dir);
    expect(ev.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(dir, 'rows.json'), 'utf8'));
    const trained = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).rows[0];
    // Every metric equal but the closed-loop chunk latency, a wall-clock time.
    const { chunkLatencyMs: a, ...evaluated } = rows[0].metrics;
    const { chunkLatencyMs: b, ...recorded } = trained.metrics;
    expect(evaluated).toEqual(recorded);
    expect(recorded.episodes).toBe(50);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });

  it('an unreadable dataset is a clear error, a non-zero exit, and nothing is written', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'not a dataset\n');
    for (const [task, path] of [
      ['pusht', join(dir, 'notes.txt')],
      ['robomimic', join(dir, 'notes.txt')],
      ['lerobot', dir],
    ]) {
      const r = mipjs(
        ['train', '--task', task, '--data', path, '--steps', '5', ...tiny, '--out', join(dir, 'run')],
        dir,
      );
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`mipjs: error: cannot load dataset .* for task '${task}'`));
      expect(readdirSync(dir)).toEqual(['notes.txt']);
    }
  });
});
