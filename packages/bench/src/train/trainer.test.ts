import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowLoss } from '@mipjs/losses';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Algorithm } from '../algorithms/algorithm.js';
import { builtinAlgorithms } from '../algorithms/algorithms.js';
import { prepareBackend } from '../backend/setup.js';
import { blobTask, tempDir, tinyConfig } from '../test-utils/fixtures.js';
import { NonFiniteError, ResumeError, train } from './trainer.js';

beforeAll(async () => {
  await prepareBackend('cpu');
});

const algo = (name: string) => builtinAlgorithms().find((a) => a.name === name)!;

function weightsOf(vars: readonly tf.Variable[]): number[] {
  return vars.flatMap((v) => Array.from(v.dataSync()));
}

describe('train', () => {
  it('resumes to exactly the weights of an uninterrupted run', async () => {
    const task = blobTask();
    const config = tinyConfig({ algorithm: 'lsd', steps: 8 });
    const full = await train({ config, algorithm: algo('lsd'), task, dir: tempDir() });
    const dir = tempDir();
    const half = await train({ config, algorithm: algo('lsd'), task, dir, stopAfterStep: 4 });
    expect(half.step).toBe(4);
    half.dispose();
    const resumed = await train({ config, algorithm: algo('lsd'), task, dir, resume: true });
    expect(resumed.step).toBe(8);
    const a = weightsOf(full.model.variables);
    const b = weightsOf(resumed.model.variables);
    expect(b).toEqual(a);
    expect(weightsOf(resumed.ema.variables)).toEqual(weightsOf(full.ema.variables));
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).step)).toEqual([2, 4, 6, 8]);
    full.dispose();
    resumed.dispose();
  });

  it('resumes from the newest complete checkpoint a kill between the swap renames left, and removes the temporaries', async () => {
    const task = blobTask();
    const config = tinyConfig({ steps: 8, checkpointEvery: 2 });
    const full = await train({ config, algorithm: algo('flow'), task, dir: tempDir() });
    const dir = tempDir();
    (await train({ config, algorithm: algo('flow'), task, dir, stopAfterStep: 2 })).dispose();
    const older = join(dir, '.tmp-00aa-checkpoint-old');
    cpSync(join(dir, 'checkpoint'), older, { recursive: true });
    (await train({ config, algorithm: algo('flow'), task, dir, resume: true, stopAfterStep: 4 })).dispose();
    // writeDirAtomic moved the step-2 folder aside, then the kill came before the new one moved in.
    renameSync(join(dir, 'checkpoint'), join(dir, '.tmp-00bb-checkpoint'));
    // A third write killed mid-fill (no state.json yet) and a half-written file.
    mkdirSync(join(dir, '.tmp-00cc-checkpoint', 'model'), { recursive: true });
    writeFileSync(join(dir, '.tmp-00dd-config.json'), '{"task": "che');
    const lines: string[] = [];
    const resumed = await train({
      config,
      algorithm: algo('flow'),
      task,
      dir,
      resume: true,
      log: (l) => lines.push(l),
    });
    expect(lines.join('\n')).toMatch(
      /no checkpoint\/ \(a kill interrupted a checkpoint swap\); restored the newest complete copy, step 4, from \.tmp-00bb-checkpoint/,
    );
    expect(lines.join('\n')).toMatch(/resuming .* at step 4 from .*checkpoint/);
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(resumed.step).toBe(8);
    expect(weightsOf(resumed.model.variables)).toEqual(weightsOf(full.model.variables));
    full.dispose();
    resumed.dispose();
  });

  it('evaluates every N steps, keeps the best EMA weights beside the latest checkpoint, and resumes the best score', async () => {
    const task = blobTask();
    const config = tinyConfig({ algorithm: 'flow', steps: 8 });
    const scores: Record<number, number> = { 2: 0.3, 4: 0.7, 6: 0.5, 8: 0.6 };
    const calls: number[] = [];
    const hook = {
      every: 2,
      evaluate: (step: number) => {
        calls.push(step);
        return { meanMaxReward: scores[step]!, episodes: 2 };
      },
      score: (m: Record<string, number>) => m.meanMaxReward!,
    };
    const dir = tempDir();
    const half = await train({
      config,
      algorithm: algo('flow'),
      task,
      dir,
      stopAfterStep: 4,
      evaluateEvery: hook,
    });
    half.dispose();
    expect(calls).toEqual([2, 4]);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint-best', 'best.json'), 'utf8'))).toMatchObject({
      step: 4,
      score: 0.7,
    });
    const bestWeights = readFileSync(join(dir, 'checkpoint-best', 'network', 'weights.bin'));
    const resumed = await train({
      config,
      algorithm: algo('flow'),
      task,
      dir,
      resume: true,
      evaluateEvery: hook,
    });
    expect(calls).toEqual([2, 4, 6, 8]);
    // 0.5 and 0.6 after the resume do not beat the 0.7 read back from best.json.
    expect(resumed.best).toMatchObject({ step: 4, score: 0.7 });
    expect(readFileSync(join(dir, 'checkpoint-best', 'network', 'weights.bin'))).toEqual(bestWeights);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')).step).toBe(8);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => 'loss' in l).map((l) => l.step)).toEqual([2, 4, 6, 8]);
    expect(lines.filter((l) => 'closedLoop' in l).map((l) => [l.step, l.closedLoop.meanMaxReward])).toEqual([
      [2, 0.3],
      [4, 0.7],
      [6, 0.5],
      [8, 0.6],
    ]);
    expect(resumed.metrics.every((m) => typeof m.loss === 'number')).toBe(true);
    expect(resumed.closedLoop.map((l) => l.step)).toEqual([2, 4, 6, 8]);
    resumed.dispose();
  });

  it('with emaRate 0 the EMA copy is the trained weights, in memory, in every checkpoint and on resume', async () => {
    const task = blobTask();
    const config = tinyConfig({ steps: 6, checkpointEvery: 4, emaRate: 0 });
    const dir = tempDir();
    const half = await train({ config, algorithm: algo('flow'), task, dir, stopAfterStep: 4 });
    // The step-4 checkpoint's EMA weights are the step-4 weights (copied before the write).
    const { loadModelInto, buildModel } = await import('../model/model.js');
    const saved = buildModel(config, task);
    await loadModelInto(saved, join(dir, 'checkpoint', 'ema'));
    expect(weightsOf(saved.variables)).toEqual(weightsOf(half.model.variables));
    half.dispose();
    const resumed = await train({ config, algorithm: algo('flow'), task, dir, resume: true });
    const full = await train({ config, algorithm: algo('flow'), task, dir: tempDir() });
    expect(weightsOf(full.ema.variables)).toEqual(weightsOf(full.model.variables));
    expect(weightsOf(resumed.ema.variables)).toEqual(weightsOf(full.model.variables));
    // ... and the trained weights moved: the copy is not the initial weights.
    const init = buildModel(config, task);
    expect(weightsOf(full.ema.variables)).not.toEqual(weightsOf(init.variables));
    for (const m of [saved, init]) m.dispose();
    full.dispose();
    resumed.dispose();
  });

  it('keeps numTensors flat across steps', async () => {
    const task = blobTask();
    const counts: number[] = [];
    const progress = {
      start() {},
      update() {
        counts.push(tf.memory().numTensors);
      },
      stop() {},
    };
    const result = await train({
      config: tinyConfig({ algorithm: 'mf', steps: 6, checkpointEvery: 100 }),
      algorithm: algo('mf'),
      task,
      dir: tempDir(),
      progress,
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    result.dispose();
  });

  it('stops on a non-finite loss, names step, algorithm and term, and keeps the last checkpoint', async () => {
    let calls = 0;
    const config = tinyConfig({ steps: 8, checkpointEvery: 4 });
    const exploding: Algorithm = {
      ...algo('flow'),
      name: 'exploding',
      loss: (ctx, batch, draws) => {
        // Training steps only (the memory probe before training runs the loss at batches 4 and 8).
        if (batch.action.shape[0] === config.batchSize) calls++;
        const r = flowLoss(ctx, batch, draws);
        if (calls < 6) return r;
        const bad = tf.mul(r.terms.flow, Number.NaN) as tf.Scalar;
        tf.dispose([r.loss, r.terms.flow]);
        return { loss: tf.clone(bad), terms: { flow: bad } };
      },
    };
    const dir = tempDir();
    await expect(train({ config, algorithm: exploding, task: blobTask(), dir })).rejects.toThrow(
      NonFiniteError,
    );
    calls = 0;
    const err = await train({ config, algorithm: exploding, task: blobTask(), dir: tempDir() }).catch(
      (e) => e,
    );
    expect(err.message).toMatch(/step 6/);
    expect(err.message).toMatch(/'exploding'/);
    expect(err.message).toMatch(/term 'flow'/);
    const state = JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.step).toBe(4);
    expect(existsSync(join(dir, 'checkpoint', 'optimizer.bin'))).toBe(true);
  });

  it('refuses to resume a folder written by another config', async () => {
    const dir = tempDir();
    const r = await train({
      config: tinyConfig({ steps: 2 }),
      algorithm: algo('flow'),
      task: blobTask(),
      dir,
    });
    r.dispose();
    await expect(
      train({
        config: tinyConfig({ steps: 2, lr: 5e-3 }),
        algorithm: algo('flow'),
        task: blobTask(),
        dir,
        resume: true,
      }),
    ).rejects.toThrow(ResumeError);
    await expect(
      train({ config: tinyConfig({ steps: 2 }), algorithm: algo('flow'), task: blobTask(), dir }),
    ).rejects.toThrow(/--resume/);
  });
});
