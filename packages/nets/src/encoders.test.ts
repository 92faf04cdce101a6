import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from './count-parameters.js';
import { createEncoder } from './encoders.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('observation encoders', () => {
  it('identity returns the input in eval mode; shapes of the MLP encoders', () => {
    const obs = tf.randomNormal([4, 2, 3]) as tf.Tensor3D;
    const id = createEncoder('identity', { obsDim: 3, obsSteps: 2 });
    expect(tf.max(tf.abs(tf.sub(id.encode(obs), obs))).dataSync()[0]).toBe(0);
    for (const kind of ['mlp', 'per_step_mlp']) {
      const enc = createEncoder(kind, { obsDim: 3, obsSteps: 2, embDim: 8 });
      expect(enc.encode(obs).shape).toEqual([4, 2, 8]);
      expect(enc.embDim).toBe(8);
      enc.dispose();
    }
  });

  it('MLP encoder has 807,936 parameters for obs 19, To 2, E 512 (reference)', () => {
    const enc = createEncoder('mlp', { obsDim: 19, obsSteps: 2, embDim: 512 });
    expect(countParameters(enc)).toBe(807_936);
    enc.dispose();
  });

  it('condition dropout zeroes whole samples in training, seeded; none in eval', () => {
    const obs = tf.ones([64, 2, 3]) as tf.Tensor3D;
    const enc = createEncoder('identity', { obsDim: 3, obsSteps: 2, dropout: 0.5 });
    const y = enc.encode(obs, { training: true, dropoutSeed: 4 });
    const perSample = tf.sum(y, [1, 2]).arraySync() as number[];
    expect(perSample.every((v) => v === 0 || v === 6)).toBe(true);
    const dropped = perSample.filter((v) => v === 0).length;
    expect(dropped).toBeGreaterThan(10);
    expect(dropped).toBeLessThan(54);
    const again = enc.encode(obs, { training: true, dropoutSeed: 4 });
    expect(tf.max(tf.abs(tf.sub(again, y))).dataSync()[0]).toBe(0);
    expect(tf.sum(enc.encode(obs)).dataSync()[0]).toBe(64 * 6);
  });

  it('errors name the argument and list kinds; no leaks', () => {
    expect(() => createEncoder('resnet', { obsDim: 3, obsSteps: 2 })).toThrow(
      /valid: identity, mlp, per_step_mlp/,
    );
    const enc = createEncoder('mlp', { obsDim: 3, obsSteps: 2, embDim: 4 });
    expect(() => enc.encode(tf.zeros([2, 3, 3]) as tf.Tensor3D)).toThrow(
      /obs must have shape \[B, To=2, D=3\]/,
    );
    const obs = tf.ones([2, 2, 3]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    enc.encode(obs, { training: true }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    const gradsReachWeights = tf.variableGrads(() => tf.sum(tf.square(enc.encode(obs))) as tf.Scalar).grads;
    expect(Object.keys(gradsReachWeights).length).toBe(enc.variables.length);
  });
});
