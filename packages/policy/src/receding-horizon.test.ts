import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from './load.js';
import type { ActionChunk, ActOptions } from './policy.js';
import { PolicyError } from './policy-error.js';
import { type ChunkPolicy, RecedingHorizon } from './receding-horizon.js';
import { manifestFor, runFiles } from './test-utils/fixture.js';

/**
 * A stand-in policy whose chunk entries encode (chunk k, row h, env b, axis a) as
 * 1000·k + 10·h + b + a/10, and which records the histories and seeds it was asked with.
 */
function recordingPolicy(shape = { obsSteps: 2, horizon: 16, actionSteps: 8, obsDim: 3, actDim: 2 }) {
  const calls: { history: Float32Array; options: ActOptions }[] = [];
  const policy: ChunkPolicy = {
    ...shape,
    act(observations, options = {}) {
      const B = observations ? observations.length / (shape.obsSteps * shape.obsDim) : options.batch!;
      calls.push({ history: Float32Array.from(observations ?? []), options });
      const k = calls.length - 1;
      const data = new Float32Array(B * shape.horizon * shape.actDim);
      for (let b = 0; b < B; b++)
        for (let h = 0; h < shape.horizon; h++)
          for (let a = 0; a < shape.actDim; a++)
            data[(b * shape.horizon + h) * shape.actDim + a] = 1000 * k + 10 * h + b + a / 10;
      return {
        data,
        shape: [B, shape.horizon, shape.actDim],
        nfe: 1,
        seed: options.seed ?? 0,
      } as ActionChunk;
    },
  };
  return { policy, calls };
}

/** Observation of env b at step t: [t, b, -t]. */
const obsAt = (t: number, B: number) =>
  Float32Array.from({ length: B * 3 }, (_, i) => [t, Math.floor(i / 3), 0 - t || 0][i % 3]!);

describe('RecedingHorizon', () => {
  it('pads the history with the first observation, replans every Ta steps, executes rows To-1 .. To-2+Ta', () => {
    const { policy, calls } = recordingPolicy();
    const B = 2;
    const control = new RecedingHorizon(policy, { batch: B, nfe: 3, seed: 40 });
    const actions: Float32Array[] = [];
    for (let t = 0; t < 20; t++) actions.push(control.step(obsAt(t, B)));
    // Chunks at steps 0, 8, 16.
    expect(calls.length).toBe(3);
    expect(control.chunksRequested).toBe(3);
    expect(calls.map((c) => c.options)).toEqual([
      { nfe: 3, seed: 40 },
      { nfe: 3, seed: 41 },
      { nfe: 3, seed: 42 },
    ]);
    // Step 0: the first observation repeated To = 2 times (pad_before = To - 1).
    expect(Array.from(calls[0]!.history)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0]);
    // Step 8: observations of steps 7 and 8, oldest first, per env.
    expect(Array.from(calls[1]!.history)).toEqual([7, 0, -7, 8, 0, -8, 7, 1, -7, 8, 1, -8]);
    expect(Array.from(calls[2]!.history)).toEqual([15, 0, -15, 16, 0, -16, 15, 1, -15, 16, 1, -16]);
    // Step t executes chunk k = t div 8, row To - 1 + t mod 8 (rows 1..8).
    for (let t = 0; t < 20; t++) {
      const k = Math.floor(t / 8);
      const h = 1 + (t % 8);
      for (let b = 0; b < B; b++) {
        expect(actions[t]![b * 2]).toBeCloseTo(1000 * k + 10 * h + b, 4);
        expect(actions[t]![b * 2 + 1]).toBeCloseTo(1000 * k + 10 * h + b + 0.1, 4);
      }
    }
    expect(control.stepCount).toBe(20);
    expect(control.lastChunk!.shape).toEqual([2, 16, 2]);
    expect(Array.from(control.observationHistory())).toEqual([
      18, 0, -18, 19, 0, -19, 18, 1, -18, 19, 1, -19,
    ]);
  });

  it('stepAsync reads each chunk with actAsync and hands out the same actions as step', async () => {
    const sync = recordingPolicy();
    const viaAsync = recordingPolicy();
    let asyncCalls = 0;
    const { act } = viaAsync.policy;
    viaAsync.policy.act = () => {
      throw new Error('stepAsync called the synchronous act');
    };
    viaAsync.policy.actAsync = async (observations, options) => {
      asyncCalls++;
      return act(observations, options);
    };
    const B = 2;
    const a = new RecedingHorizon(sync.policy, { batch: B, nfe: 3, seed: 40 });
    const b = new RecedingHorizon(viaAsync.policy, { batch: B, nfe: 3, seed: 40 });
    for (let t = 0; t < 20; t++) expect(await b.stepAsync(obsAt(t, B))).toEqual(a.step(obsAt(t, B)));
    expect(asyncCalls).toBe(3);
    expect(viaAsync.calls).toEqual(sync.calls);
    expect(b.chunksRequested).toBe(3);
    expect(b.stepCount).toBe(20);
    // Without actAsync it falls back to act.
    const plain = recordingPolicy();
    const c = new RecedingHorizon(plain.policy, { batch: B });
    await c.stepAsync(obsAt(0, B));
    expect(plain.calls).toHaveLength(1);
  });

  it('reset starts a new episode: padding again and chunk seeds from the start', () => {
    const { policy, calls } = recordingPolicy();
    const control = new RecedingHorizon(policy, { seed: 5 });
    for (let t = 0; t < 3; t++) control.step(obsAt(t, 1));
    control.reset();
    control.step([[9, 9, 9]]);
    expect(calls.length).toBe(2);
    expect(calls[1]!.options.seed).toBe(5);
    expect(Array.from(calls[1]!.history)).toEqual([9, 9, 9, 9, 9, 9]);
  });

  it('actionSteps: a shorter Ta replans sooner; more than H - (To - 1) is refused', () => {
    const { policy, calls } = recordingPolicy();
    const control = new RecedingHorizon(policy, { actionSteps: 3 });
    for (let t = 0; t < 7; t++) control.step(obsAt(t, 1));
    expect(calls.length).toBe(3);
    expect(() => new RecedingHorizon(policy, { actionSteps: 16 })).toThrow(PolicyError);
    expect(() => new RecedingHorizon(policy, { actionSteps: 16 })).toThrow('[1, 15], got 16');
    // A policy whose To - 1 + Ta exceeds H executes the rows that exist.
    const short = recordingPolicy({ obsSteps: 4, horizon: 8, actionSteps: 8, obsDim: 3, actDim: 2 });
    expect(new RecedingHorizon(short.policy).actionSteps).toBe(5);
  });

  it('checks each step: [B, D], finite', () => {
    const { policy } = recordingPolicy();
    const control = new RecedingHorizon(policy, { batch: 2 });
    expect(() => control.step(new Float32Array(3))).toThrow('expected [B=2, D=3] = 6 values, got 3');
    expect(() => control.step([[1, 2, 3]])).toThrow(PolicyError);
    expect(() => control.step([1, 2, 3, 4, Number.NaN, 6])).toThrow('NaN at environment 1, feature 1');
  });

  it('with a real policy, each action is the chunk of the current history at row To-1+i', async () => {
    await tf.setBackend('cpu');
    const manifest = manifestFor(
      'flow',
      { name: 'eulerSampler', options: { start: 'noise' } },
      { defaultNfe: 3 },
    );
    const policy = await loadPolicy({ files: runFiles(manifest) });
    const B = 3;
    const control = new RecedingHorizon(policy, { batch: B, seed: 7 });
    const obs = (t: number) => Float32Array.from({ length: B * 5 }, (_, i) => 100 + 10 * t + i);
    const before = tf.memory().numTensors;
    const first = control.step(obs(0));
    const chunk0 = policy.act(control.observationHistory(), { seed: 7 });
    for (let b = 0; b < B; b++)
      expect(Array.from(first.subarray(b * 2, b * 2 + 2))).toEqual(
        Array.from(chunk0.data.subarray((b * 16 + 1) * 2, (b * 16 + 2) * 2)),
      );
    let last = first;
    for (let t = 1; t <= 8; t++) last = control.step(obs(t));
    const chunk1 = policy.act(control.observationHistory(), { seed: 8 });
    expect(Array.from(last.subarray(0, 2))).toEqual(Array.from(chunk1.data.subarray(2, 4)));
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });
});
