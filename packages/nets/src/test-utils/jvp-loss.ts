import * as tf from '@tensorflow/tfjs-core';
import { createNetwork } from '../create-network.js';
import { FlowMap } from '../flow-map.js';

/**
 * For a tiny MLP with the given activation: the weight gradient of L = mean((dX/dt)^2) with dX/dt
 * from the double-VJP path (third-order gradients), from the forward-mode path (first order
 * only: the reference), and a central difference of L along a random weight direction.
 * Returns relative errors of the double-VJP directional derivative against both.
 */
export function jvpLossGradientErrors(activation: string): { vsForward: number; vsFiniteDifference: number } {
  const net = createNetwork('mlp', {
    actDim: 2,
    horizon: 3,
    obsSteps: 1,
    condDim: 2,
    embDim: 12,
    nLayers: 2,
    timestepEmbDim: 8,
    maxFreq: 3,
    dropout: 0,
    activation,
    seed: 5,
  } as Record<string, unknown>);
  const x = tf.randomNormal([4, 3, 2], 0, 1, 'float32', 1) as tf.Tensor3D;
  const s = tf.randomUniform([4], 0, 1, 'float32', 2) as tf.Tensor1D;
  const t = tf.randomUniform([4], 0, 1, 'float32', 3) as tf.Tensor1D;
  const cond = tf.randomNormal([4, 1, 2], 0, 1, 'float32', 4) as tf.Tensor3D;
  const loss = (fm: FlowMap) => () => tf.mean(tf.square(fm.jvpT(s, t, x, cond).tangent)) as tf.Scalar;
  const dirs = net.variables.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i));
  const directional = (fm: FlowMap) => {
    const { grads } = tf.variableGrads(loss(fm), net.variables as tf.Variable[]);
    // The unused scalar head has no gradient (null): it contributes zero.
    return net.variables.reduce((acc, v, i) => {
      const g = grads[v.name];
      return g ? acc + tf.sum(tf.mul(g, dirs[i])).dataSync()[0] : acc;
    }, 0);
  };
  const viaDoubleVjp = directional(new FlowMap(net, { jvpMode: 'double-vjp' }));
  const viaForward = directional(new FlowMap(net, { jvpMode: 'forward' }));
  const h = 2e-3;
  const original = net.variables.map((v) => tf.clone(v));
  const lossAt = (sign: number) => {
    net.variables.forEach((v, i) => {
      const shifted = tf.add(original[i], tf.mul(dirs[i], sign * h));
      (v as tf.Variable).assign(shifted);
      shifted.dispose();
    });
    return loss(new FlowMap(net, { jvpMode: 'forward' }))().dataSync()[0];
  };
  const fd = (lossAt(1) - lossAt(-1)) / (2 * h);
  net.dispose();
  return {
    vsForward: Math.abs(viaDoubleVjp - viaForward) / Math.abs(viaForward),
    vsFiniteDifference: Math.abs(viaDoubleVjp - fd) / Math.abs(fd),
  };
}
