import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowMap } from '@mipjs/nets';
import { heunSampler } from '@mipjs/samplers';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicyManifest } from './manifest.js';
import { loadPolicyFromRun } from './node/index.js';
import { manifestFor, observations, SHAPE, writeRun } from './test-utils/fixture.js';

// A Heun policy (the bench's `--sampler heun`): NFE counts network calls, so `act({ nfe: 4 })`
// runs two Heun steps, exactly as the bench's evaluation does.
const HEUN = manifestFor(
  'flow',
  { name: 'heunSampler', options: { start: 'zero' }, callsPerStep: 2 },
  { defaultNfe: 2, nfe: [2, 4] },
);

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'mipjs-policy-heun-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('sampler.callsPerStep', () => {
  it('act({ nfe: 4 }) equals heunSampler with 2 steps on the same weights; odd NFE is refused', async () => {
    const dir = join(root, 'heun');
    await writeRun(dir, HEUN);
    const policy = await loadPolicyFromRun(dir);
    try {
      const obs = observations(3);
      const before = tf.memory().numTensors;
      const chunk = policy.act(obs, { nfe: 4, seed: 1 });
      expect(tf.memory().numTensors).toBe(before);
      expect(chunk.nfe).toBe(4);
      const expected = tf.tidy(() => {
        const o = tf.tensor3d(policy.normalizers!.obs!.normalize(obs), [3, SHAPE.obsSteps, SHAPE.obsDim]);
        const cond = policy.encoder!.encode(o, { training: false });
        return heunSampler({ flowMap: new FlowMap(policy.network) }, cond, {
          steps: 2,
          start: 'zero',
          seed: 1,
          batch: 3,
          horizon: SHAPE.horizon,
          actDim: SHAPE.actDim,
        });
      });
      const want = policy.normalizers!.action.unnormalize(expected.dataSync() as Float32Array);
      expected.dispose();
      Array.from(chunk.data).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
      expect(() => policy.act(obs, { nfe: 3 })).toThrow(
        /nfe must be a multiple of 2 \(sampler 'heunSampler' makes 2 network calls per step\), got 3/,
      );
    } finally {
      policy.dispose();
    }
  });

  it('a manifest whose NFE is no whole number of steps is refused by field', () => {
    const bad = { ...HEUN, nfe: [2, 3] };
    expect(() => parsePolicyManifest(JSON.stringify(bad), 'policy.json')).toThrow(
      /defaultNfe and nfe must be multiples of sampler\.callsPerStep \(2\)/,
    );
    const zero = { ...HEUN, sampler: { ...HEUN.sampler, callsPerStep: 0 } };
    expect(() => parsePolicyManifest(JSON.stringify(zero), 'policy.json')).toThrow(
      /sampler\.callsPerStep must be a positive integer/,
    );
  });
});
