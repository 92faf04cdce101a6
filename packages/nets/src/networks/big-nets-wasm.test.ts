import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlowMap } from '../flow-map.js';
import { installFastMatMulGradient } from '../gradient-fixes.js';
import type { Network } from '../network.js';
import { createChiTransformer } from './chitransformer.js';
import { createChiUNet } from './chiunet.js';
import { createJannerUNet } from './jannerunet.js';
import { createSudeepDiT } from './sudeepdit.js';

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  expect(await tf.setBackend('wasm')).toBe(true);
  installFastMatMulGradient();
});

const sizes = { actDim: 2, horizon: 8, obsSteps: 2, condDim: 3 };
const builders: [string, () => Network][] = [
  [
    'chiunet',
    () => createChiUNet({ ...sizes, embDim: 8, modelDim: 8, kernelSize: 3, dimMult: [1, 2], seed: 1 }),
  ],
  ['jannerunet', () => createJannerUNet({ ...sizes, embDim: 8, modelDim: 8, dimMult: [1, 2], seed: 1 })],
  ['chitransformer', () => createChiTransformer({ ...sizes, embDim: 16, nLayers: 1, nHeads: 2, seed: 1 })],
  ['sudeepdit', () => createSudeepDiT({ ...sizes, embDim: 16, nLayers: 1, nHeads: 2, seed: 1 })],
];

describe('training smoke test on wasm (conv1d as unfold + matMul: no conv backprop kernels needed)', () => {
  for (const [kind, build] of builders) {
    it(`${kind}: Adam steps on a flow-matching loss plus a JVP term decrease the loss`, () => {
      expect(tf.getBackend()).toBe('wasm');
      const net = build();
      const flow = new FlowMap(net);
      const b = 4;
      const data = tf.randomNormal([b, sizes.horizon, sizes.actDim], 0, 1, 'float32', 1) as tf.Tensor3D;
      const noise = tf.randomNormal([b, sizes.horizon, sizes.actDim], 0, 1, 'float32', 2) as tf.Tensor3D;
      const cond = tf.randomNormal([b, sizes.obsSteps, sizes.condDim], 0, 1, 'float32', 3) as tf.Tensor3D;
      const t = tf.randomUniform([b], 0, 1, 'float32', 4) as tf.Tensor1D;
      const s = tf.mul(t, 0.5) as tf.Tensor1D;
      const xt = tf.tidy(() => {
        const tt = tf.reshape(t, [-1, 1, 1]);
        return tf.add(tf.mul(tf.sub(1, tt), noise), tf.mul(tt, data)) as tf.Tensor3D;
      });
      const target = tf.sub(data, noise);
      const optimizer = tf.train.adam(3e-3);
      const vars = net.variables.filter((v) => v.trainable);
      const losses: number[] = [];
      for (let step = 0; step < 5; step++) {
        const cost = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const velocity = flow.velocity(t, xt, cond, { training: true, dropoutSeed: step });
              const flowTerm = tf.mean(tf.square(tf.sub(velocity, target)));
              // A small JVP term (forward mode through the network) to exercise its gradients on wasm.
              const dxdt = flow.jvpT(s, t, xt, cond, { training: true, dropoutSeed: step }).tangent;
              return tf.add(flowTerm, tf.mul(tf.mean(tf.square(tf.sub(dxdt, target))), 0.1)) as tf.Scalar;
            }),
          true,
          vars,
        );
        losses.push(cost!.dataSync()[0]);
        cost!.dispose();
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      optimizer.dispose();
      tf.dispose([data, noise, cond, t, s, xt, target]);
      net.dispose();
    });
  }
});
