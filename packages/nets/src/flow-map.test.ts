// FlowMap's double-VJP path inside a gradient, where its argument also feeds the other inputs
// (as in every JVP loss: x = I_s is made from s, and s = max(s, t - deltaT) from t). The JVP must
// be the partial derivative w.r.t. the named argument alone, and the outer gradient through it
// (w.r.t. the weights and w.r.t. whatever produced s, t, x) must be exact. Forward mode is the
// reference: it takes no gradient inside a gradient.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork } from './create-network.js';
import { jvpByDoubleVjp } from './double-vjp.js';
import { FlowMap } from './flow-map.js';
import type { InputTangent, Network } from './network.js';

const B = 3;
const H = 3;
const A = 2;
let net: Network;
let z: tf.Tensor3D;
let a: tf.Tensor3D;
let v: tf.Tensor3D;
let cond: tf.Tensor3D;
let r: tf.Tensor3D;
let t0: tf.Tensor1D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  net = createNetwork('mlp', {
    actDim: A,
    horizon: H,
    obsSteps: 1,
    condDim: 2,
    embDim: 12,
    nLayers: 2,
    timestepEmbDim: 8,
    maxFreq: 3,
    dropout: 0,
    seed: 7,
  });
  z = tf.randomNormal([B, H, A], 0, 1, 'float32', 1) as tf.Tensor3D;
  a = tf.randomNormal([B, H, A], 0, 1, 'float32', 2) as tf.Tensor3D;
  v = tf.randomNormal([B, H, A], 0, 1, 'float32', 3) as tf.Tensor3D;
  cond = tf.randomNormal([B, 1, 2], 0, 1, 'float32', 4) as tf.Tensor3D;
  r = tf.randomNormal([B, H, A], 0, 1, 'float32', 5) as tf.Tensor3D;
  t0 = tf.tensor1d([0.3, 0.6, 0.9]);
});
afterAll(() => {
  net.dispose();
  tf.dispose([z, a, v, cond, r, t0]);
});

type Which = 'jvpT' | 'jvpS' | 'jvpX' | 's+x';

/**
 * A loss of the JVP whose inputs all come from one base time `tb`: t = tb, s = 0.6 tb (s depends
 * on t), x = (1 - s) z + s a (x depends on s and t), and for 's+x' also the direction v' = s v.
 */
function lossOf(fm: FlowMap, which: Which) {
  return (tb: tf.Tensor) => {
    const t = tb as tf.Tensor1D;
    const s = tf.mul(tb, 0.6) as tf.Tensor1D;
    const sCol = tf.reshape(s, [-1, 1, 1]);
    const x = tf.add(tf.mul(tf.sub(1, sCol), z), tf.mul(sCol, a)) as tf.Tensor3D;
    const direction: InputTangent = { s: tf.onesLike(s), x: tf.mul(sCol, v) as tf.Tensor3D };
    const { map, tangent } =
      which === 'jvpT'
        ? fm.jvpT(s, t, x, cond)
        : which === 'jvpS'
          ? fm.jvpS(s, t, x, cond)
          : which === 'jvpX'
            ? fm.jvpX(s, t, x, v, cond)
            : fm.jvp(s, t, x, cond, direction);
    return tf.add(tf.mean(tf.square(tf.sub(tangent, r))), tf.mean(tf.mul(map, tangent))) as tf.Scalar;
  };
}

const relDiff = (x: tf.Tensor, y: tf.Tensor) =>
  tf.tidy(() => tf.norm(tf.sub(x, y)).dataSync()[0] / Math.max(tf.norm(y).dataSync()[0], 1e-12));

describe.each<Which>(['jvpT', 'jvpS', 'jvpX', 's+x'])('double-VJP %s inside a gradient', (which) => {
  const forward = () => new FlowMap(net, { jvpMode: 'forward' });
  const fallback = () => new FlowMap(net, { jvpMode: 'double-vjp' });

  it('weight gradients and loss value equal forward mode', () => {
    const run = (fm: FlowMap) =>
      tf.variableGrads(() => lossOf(fm, which)(t0), net.variables as tf.Variable[]);
    const f = run(forward());
    const d = run(fallback());
    expect(relDiff(d.value, f.value)).toBeLessThan(1e-6);
    for (const [name, g] of Object.entries(f.grads))
      expect(relDiff(d.grads[name], g), name).toBeLessThan(1e-5);
    tf.dispose([f.value, d.value, ...Object.values(f.grads), ...Object.values(d.grads)]);
  });

  it('the gradient w.r.t. what produced s, t and x equals forward mode', () => {
    // The outer gradient must still reach the argument's producers through the JVP.
    const run = (fm: FlowMap) => tf.grad(lossOf(fm, which))(t0);
    const f = run(forward());
    const d = run(fallback());
    expect(relDiff(d, f)).toBeLessThan(1e-5);
    tf.dispose([f, d]);
  });
});

describe('jvpByDoubleVjp', () => {
  it('is the partial derivative when the closure also depends on the argument', () => {
    // f(u) = u * w with w = 2x captured: d/du f . v = w v, not the total (u w)' = 4 x v.
    const x = tf.tensor1d([1, 2, 3]);
    const dir = tf.tensor1d([1, -1, 0.5]);
    const inTape = tf.grad((xi: tf.Tensor) => {
      const w = tf.mul(xi, 2);
      return tf.sum(jvpByDoubleVjp((u) => tf.mul(u, w), xi, dir));
    });
    // d/dx sum(2 x v) = 2 v.
    expect(Array.from(inTape(x).dataSync())).toEqual([2, -2, 1]);
    tf.dispose([x, dir]);
  });
});
