import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunConfig, resolveRunConfig } from '../config/config.js';
import { mixSeed, type Task } from '../tasks/task.js';

/** A fresh temporary folder. */
export function tempDir(prefix = 'mipjs-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A tiny test task (two Gaussian blobs in 2-D, no observation), independent of @mipjs/data so the
 * trainer's tests do not depend on the data package's tasks.
 */
export function blobTask(): Task {
  const draw = (seed: number, n: number) => {
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const a = (mixSeed(seed, i, 1) + 1) / 4294967297;
      const b = (mixSeed(seed, i, 2) + 1) / 4294967297;
      const r = Math.sqrt(-2 * Math.log(a));
      const side = mixSeed(seed, i, 3) % 2 === 0 ? -1 : 1;
      out[2 * i] = side * 2 + 0.3 * r * Math.cos(2 * Math.PI * b);
      out[2 * i + 1] = 0.3 * r * Math.sin(2 * Math.PI * b);
    }
    return out;
  };
  return {
    name: 'blobs',
    description: 'two Gaussian blobs (test fixture)',
    horizon: 1,
    actDim: 2,
    obsSteps: 0,
    obsDim: 0,
    trainBatch: (seed, index, n) => ({ action: draw(mixSeed(seed, index), n), obs: null }),
    async evaluate(policy, nfe, seed, n) {
      const x = await policy(null, n, nfe, seed);
      let m = 0;
      for (let i = 0; i < n; i++) m += Math.abs(x[2 * i]);
      return { metrics: { meanAbsX: m / n } };
    },
  };
}

/** A small run config for tests. */
export function tinyConfig(overrides: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig(
    {},
    {
      task: 'checkerboard',
      algorithm: 'flow',
      networkOptions: { embDim: 16, nLayers: 1, timestepEmbDim: 8, dropout: 0 },
      steps: 8,
      batchSize: 16,
      lr: 1e-3,
      logEvery: 2,
      checkpointEvery: 4,
      evalSamples: 64,
      ...overrides,
    },
  );
}
