import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNormalizers, loadZarrReplayBuffer, type MinMaxNormalizer } from '@mipjs/data';
import { PushTEnv, pushTCoverage, pushTKeypoints, pushTReward } from '@mipjs/envs';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { executeRun } from '../run/run.js';
import { HAVE_PUSHT_DATA, PUSHT_DATA, trainTinyPushTRun } from '../test-utils/pusht-run.js';
import { demonstrationLevel, evaluatePushT, HOLD_STILL } from './closed-loop.js';

/** One episode at a time in a plain PushTEnv: the oracle of the batched evaluation. */
function oneByOne(act: (env: PushTEnv, step: number) => [number, number], seed: number, maxSteps = 300) {
  const env = new PushTEnv();
  env.reset(seed, { legacy: true });
  let best = 0;
  let success = false;
  for (let t = 0; t < maxSteps; t++) {
    const r = env.step(act(env, t));
    best = Math.max(best, r.reward);
    if (r.terminated) success = true;
    if (r.terminated || r.truncated) break;
  }
  return { best, success };
}

describe('evaluatePushT', () => {
  it('scores the hold-still baseline as the same episodes stepped one by one', async () => {
    const r = await evaluatePushT(HOLD_STILL, { episodes: 4, seed: 100000 });
    for (let i = 0; i < 4; i++) {
      const o = oneByOne((env) => {
        const s = env.getState();
        return [s[0]!, s[1]!];
      }, 100000 + i);
      expect(r.maxRewards[i]).toBeCloseTo(o.best, 12);
    }
    expect(r.nfe).toBe(0);
    expect(r.meanMaxReward).toBeCloseTo(r.maxRewards.reduce((a, b) => a + b) / 4, 12);
  });

  it('rejects a bad episode count by name', async () => {
    await expect(evaluatePushT(HOLD_STILL, { episodes: 0 })).rejects.toThrow(
      /episodes must be a positive integer/,
    );
  });
});

describe('demonstrationLevel', () => {
  it.skipIf(!HAVE_PUSHT_DATA)('scores the recorded PushT demonstrations from their states', async () => {
    const store = await loadZarrReplayBuffer(PUSHT_DATA, { keys: ['state'] });
    const state = store.get('state').data;
    const ends = store.episodeEnds;
    const level = demonstrationLevel(state, ends);
    // ../shared/data/README.md: final coverage 0.77-0.85 (median 0.85), none passes 0.95.
    expect(level.episodes).toBe(206);
    expect(level.successRate).toBe(0);
    expect(level.meanFinalCoverage).toBeGreaterThan(0.77);
    expect(level.meanFinalCoverage).toBeLessThan(0.86);
    const last = ends[0]! - 1;
    const first = demonstrationLevel(state.subarray(0, ends[0]! * 5), [ends[0]!]);
    expect(first.meanFinalCoverage).toBeCloseTo(
      pushTCoverage(state[last * 5 + 2]!, state[last * 5 + 3]!, state[last * 5 + 4]!),
      12,
    );
    expect(first.meanMaxReward).toBeLessThanOrEqual(pushTReward(0.95));
  });
});

describe('a trained run in closed loop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-closed-loop-'));
  let rows: Awaited<ReturnType<typeof executeRun>>['rows'] = [];
  beforeAll(async () => {
    if (!HAVE_PUSHT_DATA) return;
    ({ rows } = await trainTinyPushTRun(dir, { evalEpisodes: 2 }));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!HAVE_PUSHT_DATA)(
    'adds closed-loop metrics that equal its policy stepped episode by episode',
    async () => {
      expect(rows).toHaveLength(1);
      const m = rows[0]!.metrics;
      expect(m.episodes).toBe(2);
      const policy = await loadPolicyFromRun(dir);
      // The receding horizon by hand: chunk k (seed k) from the last two observations, rows 1..8 executed.
      for (let i = 0; i < 2; i++) {
        let history: number[][] = [];
        const queue: number[][] = [];
        let chunks = 0;
        const o = oneByOne((env) => {
          const s = Array.from(env.getState());
          history = history.length === 0 ? [s, s] : [history[1]!, s];
          if (queue.length === 0) {
            const c = policy.act([history.flat()], { seed: chunks++ });
            for (let h = 1; h <= 8; h++) queue.push([c.data[h * 2]!, c.data[h * 2 + 1]!]);
          }
          return queue.shift() as [number, number];
        }, 100000 + i);
        const batched = (await evaluatePushT(policy, { episodes: 2 })).maxRewards[i]!;
        expect(batched).toBeCloseTo(o.best, 4);
      }
      expect(m.meanMaxReward).toBeGreaterThanOrEqual(0);
      policy.dispose();
    },
  );
});

describe('a keypoint run (pusht_keypoint) in closed loop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-closed-loop-kp-'));
  beforeAll(async () => {
    if (!HAVE_PUSHT_DATA) return;
    await trainTinyPushTRun(dir, { task: 'pusht_keypoint' });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!HAVE_PUSHT_DATA)(
    'reads the 9 keypoints + agent position, with one x range and one y range',
    async () => {
      const policy = await loadPolicyFromRun(dir);
      expect([policy.manifest.task, policy.obsDim]).toEqual(['pusht_keypoint', 20]);
      const { obs } = await loadNormalizers(join(dir, 'normalizers.json'));
      const mm = obs as MinMaxNormalizer;
      // The reference fits the keypoint MinMax on all (N·9, 2) points: every x column shares a range.
      const store = await loadZarrReplayBuffer(PUSHT_DATA, { keys: ['keypoint'] });
      const kp = store.get('keypoint').data;
      let globalMin = Number.POSITIVE_INFINITY;
      for (let i = 0; i < kp.length; i += 2) globalMin = Math.min(globalMin, kp[i]!);
      for (let c = 2; c < 18; c += 2) expect(mm.min[c]).toBe(mm.min[0]);
      for (let c = 3; c < 18; c += 2) expect(mm.max[c]).toBe(mm.max[1]);
      expect(mm.min[0]).toBeGreaterThanOrEqual(globalMin); // fitted on the training episodes only
      expect(mm.min[18]).not.toBe(mm.min[0]); // agent_pos keeps its own range

      // The batched evaluation feeds pushTKeypointObservation of the live state; by hand, one episode:
      let history: number[][] = [];
      const queue: number[][] = [];
      let chunks = 0;
      const o = oneByOne((env) => {
        const [ax, ay, bx, by, angle] = env.getState();
        const kpObs = [...pushTKeypoints(bx!, by!, angle!), ax!, ay!];
        history = history.length === 0 ? [kpObs, kpObs] : [history[1]!, kpObs];
        if (queue.length === 0) {
          const c = policy.act([history.flat()], { seed: chunks++ });
          for (let h = 1; h <= 8; h++) queue.push([c.data[h * 2]!, c.data[h * 2 + 1]!]);
        }
        return queue.shift() as [number, number];
      }, 100000);
      expect((await evaluatePushT(policy, { episodes: 1 })).maxRewards[0]).toBeCloseTo(o.best, 4);
      policy.dispose();
    },
  );
});
