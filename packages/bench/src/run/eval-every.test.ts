import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { algorithmFor } from '../algorithms/algorithms.js';
import { ConfigError, resolveRunConfig } from '../config/config.js';
import { buildModel } from '../model/model.js';
import { writeReport } from '../report/report.js';
import { openTask } from '../tasks/tasks.js';
import { HAVE_PUSHT_DATA, tinyPushTConfig, trainTinyPushTRun } from '../test-utils/pusht-run.js';
import { evaluateEveryFor } from './eval-every.js';
import { executeRun } from './run.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mipjs-eval-every-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const lines = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('evaluation during training (evalEvery)', () => {
  it.skipIf(!HAVE_PUSHT_DATA)(
    'writes the closed-loop curve to metrics.jsonl and keeps the best EMA weights beside the latest checkpoint',
    async () => {
      const dir = temp();
      await trainTinyPushTRun(dir, { evalEvery: 10, evalEpisodes: 2 });
      const closed = lines(dir).filter((l) => 'closedLoop' in l);
      expect(closed.map((l) => l.step)).toEqual([10, 20]);
      for (const l of closed) {
        expect(Object.keys(l.closedLoop as object)).toEqual(
          expect.arrayContaining(['meanMaxReward', 'successRate', 'meanFinalCoverage', 'episodes']),
        );
        expect((l.closedLoop as Record<string, number>).episodes).toBe(2);
      }
      // The loss lines are as before.
      expect(lines(dir).filter((l) => 'loss' in l).length).toBeGreaterThan(0);
      const best = json(join(dir, 'checkpoint-best', 'best.json'));
      const scores = closed.map((l) => (l.closedLoop as Record<string, number>).meanMaxReward!);
      expect(best.score).toBe(Math.max(...scores));
      expect(best.step).toBe(closed[scores.indexOf(best.score)]!.step);
      expect(json(join(dir, 'checkpoint', 'state.json')).step).toBe(20);
      // checkpoint-best/ loads as a policy on its own.
      const policy = await loadPolicyFromRun(join(dir, 'checkpoint-best'), { expect: { task: 'pusht' } });
      const chunk = policy.act(new Float32Array(2 * 5).fill(200), { seed: 0 });
      expect(chunk.shape).toEqual([1, 16, 2]);
      policy.dispose();
      // The report plots the curve and lists it step by step.
      const written = await writeReport(dir, { rollouts: false });
      expect(written).toContain(join(dir, 'plots', 'closed-loop.png'));
      const md = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(md).toContain('## Closed loop during training');
      expect(md).toMatch(new RegExp(`\\| ${best.step} \\(best\\) \\|`));
      expect(md).toMatch(/\| 10( \(best\))? \| [0-9.e-]+ \|/);
    },
    120_000,
  );

  it.skipIf(!HAVE_PUSHT_DATA)(
    'a resume continues from checkpoint/ and keeps the best score of best.json',
    async () => {
      const dir = temp();
      const config = tinyPushTConfig({ evalEpisodes: 2, evalEvery: 10 });
      await executeRun({ config, dir, backend: 'cpu', quiet: true, stopAfterStep: 10 });
      expect(json(join(dir, 'checkpoint-best', 'best.json')).step).toBe(10);
      // A score no evaluation can reach (rewards are at most 1): the resumed run must not replace it.
      const path = join(dir, 'checkpoint-best', 'best.json');
      writeFileSync(path, JSON.stringify({ ...json(path), score: 2 }));
      await executeRun({ config, dir, backend: 'cpu', quiet: true, resume: true });
      expect(json(path)).toMatchObject({ step: 10, score: 2 });
      expect(json(join(dir, 'checkpoint', 'state.json')).step).toBe(20);
      expect(
        lines(dir)
          .filter((l) => 'closedLoop' in l)
          .map((l) => l.step),
      ).toEqual([10, 20]);
    },
    120_000,
  );

  it.skipIf(!HAVE_PUSHT_DATA)('keeps the tensor count flat across an evaluation', async () => {
    const dir = temp();
    const config = tinyPushTConfig({ evalEpisodes: 2, evalEvery: 10 });
    const task = await openTask(config);
    const artifacts = (await task.writeArtifacts?.(dir)) ?? [];
    const model = buildModel(config, task);
    const hook = evaluateEveryFor(dir, config, await algorithmFor(config), task, artifacts)!;
    await hook.evaluate(10, model); // first call: kernels and any lazy state
    const before = tf.memory().numTensors;
    const metrics = await hook.evaluate(20, model);
    expect(tf.memory().numTensors).toBe(before);
    expect(metrics.episodes).toBe(2);
    // The EMA weights are still there after the evaluation's Policy was disposed.
    expect(model.network.variables.every((v) => !v.isDisposed)).toBe(true);
    model.dispose();
    task.close?.();
  });

  it('on a task without an environment, evalEvery is a one-line ConfigError naming the field', async () => {
    const config = resolveRunConfig({}, { task: 'checkerboard', algorithm: 'flow', steps: 4, evalEvery: 2 });
    const error = await executeRun({ config, dir: temp(), backend: 'cpu', quiet: true }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^evalEvery: task 'checkerboard' .*tasks with one: pusht/);
    expect(error.message).not.toContain('\n');
  });
});
