// The paths that must run on a backend without synchronous reads (TF.js's webgpu in Node, where
// dataSync needs OffscreenCanvas): training with checkpoints, offline and closed-loop evaluation,
// `mipjs perf`'s timers, the serve batcher. They run here on the cpu backend with its readSync
// made to throw, so any dataSync / arraySync / bufferSync() left on those paths fails the test.
// The cpu kernels' own reads (bufferSync inside a kernel) are routed around the ban: they are the
// backend reading its own memory, which a GPU backend does on the device.

import { loadPolicyFromRun } from '@mipjs/policy/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinAlgorithms } from '../algorithms/algorithms.js';
import { evaluatePushT } from '../evaluate/closed-loop.js';
import { timeSampling } from '../perf/measure.js';
import { executeRun } from '../run/run.js';
import { ActBatcher } from '../serve/batcher.js';
import { tempDir, tinyConfig } from '../test-utils/fixtures.js';
import { HAVE_PUSHT_DATA, tinyPushTConfig } from '../test-utils/pusht-run.js';
import { prepareBackend } from './setup.js';

const SYNC_READ = 'a synchronous read on a backend without one';

interface CpuInternals {
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  bufferSync(t: tf.TensorInfo): tf.TensorBuffer<tf.Rank, tf.DataType>;
}

let restore: (() => void) | null = null;

/** Makes the cpu backend's readSync throw (and read / kernel-internal reads keep working). */
function banSyncReads(): void {
  const cpu = tf.backend() as unknown as CpuInternals;
  const saved = { readSync: cpu.readSync, read: cpu.read, bufferSync: cpu.bufferSync };
  const readSync = cpu.readSync.bind(cpu);
  cpu.read = async (dataId) => readSync(dataId);
  cpu.bufferSync = (t) => tf.buffer(t.shape, t.dtype, readSync(t.dataId) as tf.TypedArray);
  cpu.readSync = () => {
    throw new Error(SYNC_READ);
  };
  restore = () => Object.assign(cpu, saved);
}

beforeAll(async () => {
  await prepareBackend('cpu');
  banSyncReads();
});
afterAll(() => restore?.());

describe('a backend without synchronous reads', () => {
  it('the ban works (the test can fail)', () => {
    expect(() => tf.ones([2]).dataSync()).toThrow(SYNC_READ);
  });

  it('trains with checkpoints and evaluates a checkerboard run (mip, lsd: a JVP loss)', async () => {
    for (const algorithm of ['mip', 'lsd']) {
      const { rows } = await executeRun({
        config: tinyConfig({ algorithm, steps: 4, checkpointEvery: 2 }),
        dir: tempDir(),
        backend: 'cpu',
        quiet: true,
      });
      expect(rows.length).toBeGreaterThan(0);
      expect(Number.isFinite(rows[0]!.metrics.kl)).toBe(true);
    }
  }, 120_000);

  it.skipIf(!HAVE_PUSHT_DATA)(
    'trains a PushT run with a closed-loop evaluation, then evaluates and serves its policy',
    async () => {
      const dir = tempDir();
      const { rows } = await executeRun({
        config: tinyPushTConfig({ steps: 4, evalEpisodes: 2 }),
        dir,
        backend: 'cpu',
        quiet: true,
      });
      expect(Number.isFinite(rows[0]!.metrics.meanMaxReward)).toBe(true);
      const policy = await loadPolicyFromRun(dir);
      const r = await evaluatePushT(policy, { episodes: 2, maxSteps: 16 });
      expect(r.episodes).toBe(2);
      const batcher = new ActBatcher(policy, true);
      const history = new Float32Array(policy.obsSteps * policy.obsDim).fill(100);
      const [a, b] = await Promise.all([
        batcher.submit({ observations: history, batch: 1 }),
        batcher.submit({ observations: history, batch: 1 }),
      ]);
      expect(a!.data).toEqual(b!.data);
      expect(a!.shape).toEqual([1, policy.horizon, 2]);
      policy.dispose();
    },
    180_000,
  );

  it('times sampling for mipjs perf', async () => {
    const mip = builtinAlgorithms().find((x) => x.name === 'mip')!;
    const times = await timeSampling({
      algorithm: mip,
      steps: 2,
      network: 'mlp',
      networkOptions: { embDim: 16, nLayers: 1 },
      warmup: 1,
      repeats: 2,
    });
    expect(times).toHaveLength(2);
  });
});
