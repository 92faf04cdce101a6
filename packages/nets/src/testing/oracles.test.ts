import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlowMap } from '../flow-map.js';
import { GaussianOracle, LinearNet, PointMassOracle, TaggedLinearNet } from './oracles.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (x: tf.Tensor) => Array.from(x.dataSync());
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => Math.max(...values(tf.abs(tf.sub(a, b))));

describe('@mipjs/nets/testing oracles', () => {
  it('LinearNet: f = w x + a s + b t + c0, by hand', () => {
    const net = new LinearNet({ w: 2, a: -1, b: 0.5, c0: 0.25 }, { horizon: 1, actDim: 2 });
    const y = net.apply(tf.tensor3d([[[1, -2]]]), tf.tensor1d([0.4]), tf.tensor1d([0.8]), null);
    expect(values(y)).toEqual([2 - 0.4 + 0.4 + 0.25, -4 - 0.4 + 0.4 + 0.25].map(Math.fround));
    net.dispose();
  });

  it('TaggedLinearNet cycles through its weight sets, one per call', () => {
    const net = new TaggedLinearNet(2, { horizon: 1, actDim: 1 });
    const x = tf.zeros([1, 1, 1]) as tf.Tensor3D;
    const zero = tf.zeros([1]) as tf.Tensor1D;
    const first = values(net.apply(x, zero, zero, null))[0];
    const second = values(net.apply(x, zero, zero, null))[0];
    const third = values(net.apply(x, zero, zero, null))[0];
    expect([first, second]).toEqual([0.2, 0.23].map(Math.fround)); // c0 of sets 0 and 1
    expect(third).toBe(first);
    expect(net.calls).toBe(3);
    net.dispose();
  });

  it('PointMassOracle: X_{s,1}(x) = a* from any x and s, and b_t(x) = (a* - x)/(1 - t)', () => {
    const target = [
      [0.5, -1],
      [2, 0.25],
    ];
    const flowMap = new FlowMap(new PointMassOracle(target));
    const x = tf.tensor3d([
      [
        [3, 1],
        [-2, 0],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    ]);
    const s = tf.tensor1d([0, 0.6]);
    const end = flowMap.map(s, tf.tensor1d([1, 1]), x, null);
    expect(maxAbsDiff(end, tf.stack([tf.tensor2d(target), tf.tensor2d(target)]))).toBeLessThan(1e-6);
    const t = tf.tensor1d([0.2, 0.5]);
    const b = flowMap.velocity(t, x, null);
    const expected = tf.div(tf.sub(tf.tensor3d([target, target]), x), tf.reshape(tf.sub(1, t), [-1, 1, 1]));
    expect(maxAbsDiff(b, expected)).toBeLessThan(1e-6);
  });

  it('PointMassOracle: its forward-mode pass equals the double-VJP JVPs, perturbed or not', () => {
    for (const eps of [0, 0.3]) {
      const target = [[1, -0.5]];
      const forward = new FlowMap(new PointMassOracle(target, { eps, tangent: true }));
      const generic = new FlowMap(new PointMassOracle(target, { eps }));
      expect(forward.jvpMode).toBe('forward');
      expect(generic.jvpMode).toBe('double-vjp');
      const x = tf.tensor3d([[[0.3, 0.7]], [[-1, 2]]]);
      const v = tf.tensor3d([[[1, -1]], [[0.5, 0.25]]]);
      const s = tf.tensor1d([0.1, 0.3]);
      const t = tf.tensor1d([0.6, 0.8]);
      expect(
        maxAbsDiff(forward.jvpS(s, t, x, null).tangent, generic.jvpS(s, t, x, null).tangent),
      ).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(forward.jvpT(s, t, x, null).tangent, generic.jvpT(s, t, x, null).tangent),
      ).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(forward.jvpX(s, t, x, v, null).tangent, generic.jvpX(s, t, x, v, null).tangent),
      ).toBeLessThan(1e-5);
    }
  });

  it('GaussianOracle: X_{0,1}(x) = m + sigma x, and maps compose (X_{u,t} o X_{s,u} = X_{s,t})', () => {
    const flowMap = new FlowMap(new GaussianOracle(1.5, 0.5));
    const x = tf.tensor3d([[[-1.2]], [[0.3]], [[2]]]);
    const zeros = tf.zeros([3]) as tf.Tensor1D;
    const ones = tf.ones([3]) as tf.Tensor1D;
    expect(maxAbsDiff(flowMap.map(zeros, ones, x, null), tf.add(1.5, tf.mul(0.5, x)))).toBeLessThan(1e-6);
    const s = tf.tensor1d([0.1, 0.2, 0.05]);
    const u = tf.tensor1d([0.4, 0.5, 0.7]);
    const t = tf.tensor1d([0.9, 0.6, 0.95]);
    const direct = flowMap.map(s, t, x, null);
    const composed = flowMap.map(u, t, flowMap.map(s, u, x, null), null);
    expect(maxAbsDiff(direct, composed)).toBeLessThan(1e-5);
  });
});
