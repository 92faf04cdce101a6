import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNetwork } from './create-network.js';
import { FlowMap } from './flow-map.js';
import { installFastMatMulGradient, installHigherOrderGradientFix } from './gradient-fixes.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  installFastMatMulGradient();
  installHigherOrderGradientFix();
});

const TINY = {
  actDim: 2,
  horizon: 4,
  obsSteps: 1,
  condDim: 3,
  embDim: 16,
  nLayers: 1,
  dropout: 0.1,
  seed: 2,
};

describe.each([
  ['mlp', { timestepEmbDim: 8 }],
  ['vanilla_mlp', {}],
  ['rnn', { timestepEmbDim: 8, rnnType: 'lstm' }],
  ['vanilla_rnn', { rnnType: 'gru' }],
])('training smoke test on wasm: %s', (kind, extra) => {
  it('a few Adam steps on a flow-map loss with a forward-mode JVP term decrease the loss', () => {
    expect(tf.getBackend()).toBe('wasm');
    const net = createNetwork(kind, { ...TINY, ...extra } as Record<string, unknown>);
    const fm = new FlowMap(net);
    const x = tf.randomNormal([16, 4, 2], 0, 1, 'float32', 1) as tf.Tensor3D;
    const target = tf.mul(x, 0.5) as tf.Tensor3D;
    const s = tf.zeros([16]) as tf.Tensor1D;
    const t = tf.randomUniform([16], 0, 1, 'float32', 3) as tf.Tensor1D;
    const cond = tf.randomNormal([16, 1, 3], 0, 1, 'float32', 4) as tf.Tensor3D;
    const opt = tf.train.adam(1e-2);
    const lossFn = () =>
      tf.tidy(() => {
        const { map, tangent } = fm.jvpT(s, t, x, cond, { training: true });
        return tf.add(
          tf.mean(tf.square(tf.sub(map, target))),
          tf.mul(tf.mean(tf.square(tangent)), 0.01),
        ) as tf.Scalar;
      });
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const l = opt.minimize(lossFn, true, net.variables.filter((v) => v.trainable) as tf.Variable[]);
      losses.push(l!.dataSync()[0]);
      l!.dispose();
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.8 * losses[0]);
    opt.dispose();
    net.dispose();
  });
});
