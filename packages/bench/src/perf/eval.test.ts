import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Policy } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePushT } from '../evaluate/closed-loop.js';
import { timeClosedLoop } from './eval.js';

// The playground's committed MIP policy (sha256 manifests): reproducible without training.
const MIP = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../apps/playground/public/policies/mip',
);
let policy: Policy;

beforeAll(async () => {
  await tf.setBackend('cpu');
  policy = await loadPolicyFromRun(MIP);
});
afterAll(() => policy?.dispose());

describe('timeClosedLoop', () => {
  it('splits the wall time into policy + environment, one chunk per Ta steps, same score, no leaks', async () => {
    const before = tf.memory().numTensors;
    const t = await timeClosedLoop(policy, { episodes: 3, maxSteps: 20 });
    expect(tf.memory().numTensors).toBe(before);
    expect(t.steps).toBe(20);
    // Receding horizon: a chunk at steps 0, 8, 16 (Ta = 8).
    expect(t.chunks).toBe(Math.ceil(20 / policy.actionSteps));
    expect(t.chunkMs).toHaveLength(t.chunks);
    expect(t.policyMs).toBeCloseTo(
      t.chunkMs.reduce((a, b) => a + b, 0),
      9,
    );
    expect(t.policyMs + t.envMs).toBeCloseTo(t.wallMs, 9);
    expect(t.policyMs).toBeGreaterThan(0);
    expect(t.envMs).toBeGreaterThan(0);
    expect(t.policyMs).toBeLessThan(t.wallMs);
    // The clocked wrapper changes nothing: the untimed evaluation scores the same.
    const plain = await evaluatePushT(policy, { episodes: 3, maxSteps: 20 });
    expect(t.meanMaxReward).toBe(plain.meanMaxReward);
    expect(t.successRate).toBe(plain.successRate);
  });

  it('batch 1 (the rollout a robot sees) works too', async () => {
    const t = await timeClosedLoop(policy, { episodes: 1, maxSteps: 9 });
    expect(t.chunks).toBe(2);
    expect(t.steps).toBe(9);
  });
});
