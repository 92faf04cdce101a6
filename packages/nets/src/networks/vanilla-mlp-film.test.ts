// FiLM conditioning of the toy MLP (spec §11.2 `FiLMMLP`): parameter count by hand, the forward
// pass against the formula written out from the weights, the condition acting through gamma/beta.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from '../count-parameters.js';
import { createNetwork } from '../create-network.js';
import type { Network } from '../network.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SHAPE = { actDim: 2, horizon: 1, obsSteps: 1, condDim: 2, seed: 3, dropout: 0 };

describe("vanilla_mlp conditioning: 'film'", () => {
  it('has the parameters counted by hand (study size: x 2-D, c 2-D, E 256, 3 layers)', () => {
    // first Linear(2, 256): 2*256 + 256 = 768; each of 2 hidden layers: Linear(256, 256) 65,792
    // + FiLM Linear([c, s, t] = 4, 512) 4*512 + 512 = 2,560; head Linear(256, 2) 514; scalar head 257.
    const film = createNetwork('vanilla_mlp', { ...SHAPE, embDim: 256, nLayers: 2, conditioning: 'film' });
    expect(countParameters(film)).toBe(768 + 2 * (65_792 + 2_560) + 514 + 257);
    // concat: first Linear([x, c, s, t] = 6, 256) = 1,792, no FiLM layers.
    const concat = createNetwork('vanilla_mlp', { ...SHAPE, embDim: 256, nLayers: 2 });
    expect(countParameters(concat)).toBe(1_792 + 2 * 65_792 + 514 + 257);
    film.dispose();
    concat.dispose();
  });

  it('computes relu(gamma * (h W + b) + beta) with raw gamma, [gamma, beta] from [c, s, t]', () => {
    const net = createNetwork('vanilla_mlp', { ...SHAPE, embDim: 8, nLayers: 2, conditioning: 'film' });
    const w = (name: string) => {
      const v = (net as Network).namedVariables?.find((e) => e.name === name)?.variable;
      if (!v) throw new Error(`no variable ${name}`);
      return v;
    };
    const x = tf.tensor3d([[[0.3, -1.2]], [[2.0, 0.5]], [[-0.7, 0.1]]]);
    const cond = tf.tensor3d([[[1.0, -0.5]], [[0.2, 0.9]], [[-1.5, 0.4]]]);
    const s = tf.tensor1d([0.1, 0.5, 0.0]);
    const t = tf.tensor1d([0.9, 0.25, 0.6]);
    const got = net.apply(x, s, t, cond);
    const want = tf.tidy(() => {
      const dense = (h: tf.Tensor, p: string) =>
        tf.add(tf.matMul(h as tf.Tensor2D, w(`${p}/kernel`)), w(`${p}/bias`));
      const c = tf.concat([tf.reshape(cond, [3, 2]), tf.reshape(s, [3, 1]), tf.reshape(t, [3, 1])], 1);
      let h = tf.relu(dense(tf.reshape(x, [3, 2]), 'layers.0/fc'));
      for (const i of [1, 2]) {
        const gb = dense(c, `layers.${i}/film`);
        const [gamma, beta] = tf.split(gb, 2, 1);
        h = tf.relu(tf.add(tf.mul(gamma, dense(h, `layers.${i}/fc`)), beta));
      }
      return tf.reshape(dense(h, 'head'), [3, 1, 2]);
    });
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()).map((v) => expect.closeTo(v, 5)));
    // The condition moves the output (it enters only through gamma and beta).
    const other = net.apply(x, s, t, tf.zerosLike(cond) as tf.Tensor3D);
    expect(tf.max(tf.abs(tf.sub(other, got))).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([x, cond, s, t, got, want, other]);
    net.dispose();
  });

  it('rejects an unknown conditioning, naming the option', () => {
    expect(() => createNetwork('vanilla_mlp', { ...SHAPE, conditioning: 'cross' })).toThrow(
      /vanilla_mlp: option conditioning must be 'concat' or 'film', got cross/,
    );
  });
});
