// Why lsd learns nothing on recon with the reference mlp (issue 22, docs: guides/toy-study.md):
// the mlp's uniform-frequency time features [sin(w t), cos(w t)], w up to maxFreq, make the map's
// derivative in t large, and lsd's term reads dX/dt = f + (t - s) df/dt. This measures
// rms(df/dt) / rms(f) at initialization, with df/dt = (dX/dt - f)/(t - s) from FlowMap.jvpT (exact
// forward mode), and checks it against the raw-time vanilla_mlp. Prints the table the guide shows.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNetwork } from '../create-network.js';
import { FlowMap } from '../flow-map.js';

const B = 128;
const rms = (u: tf.Tensor) => Math.sqrt(tf.mean(tf.square(u)).dataSync()[0]);

/** rms f and rms df/dt over seeded (x, s, t, c), s ~ U(0, 0.5), t - s ~ U(0, 0.5), x ~ N(0, 1), c ~ U(0, 1). */
function timeDerivative(kind: string, options: Record<string, unknown>): { f: number; dfdt: number } {
  const net = createNetwork(kind, { ...options, actDim: 1, horizon: 1, obsSteps: 1, condDim: 1, seed: 0 });
  const out = tf.tidy(() => {
    const s = tf.randomUniform([B], 0, 0.5, 'float32', 1) as tf.Tensor1D;
    const t = tf.add(s, tf.randomUniform([B], 0, 0.5, 'float32', 2)) as tf.Tensor1D;
    const x = tf.randomNormal([B, 1, 1], 0, 1, 'float32', 3) as tf.Tensor3D;
    const c = tf.randomUniform([B, 1, 1], 0, 1, 'float32', 4) as tf.Tensor3D;
    const f = net.apply(x, s, t, c);
    const { tangent } = new FlowMap(net).jvpT(s, t, x, c);
    const dfdt = tf.div(tf.sub(tangent, f), tf.reshape(tf.sub(t, s), [-1, 1, 1]));
    return { f: rms(f), dfdt: rms(dfdt) };
  });
  net.dispose();
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mlp time features: df/dt grows with maxFreq', () => {
  it('df/dt is tens of times f at maxFreq 100, of the order of f at maxFreq 1 and in vanilla_mlp', () => {
    const before = tf.memory().numTensors;
    const toy = { embDim: 64, nLayers: 2, timestepEmbDim: 32, dropout: 0 };
    const rows: [string, { f: number; dfdt: number }][] = [
      ['mlp maxFreq 100', timeDerivative('mlp', { ...toy, maxFreq: 100 })],
      ['mlp maxFreq 10', timeDerivative('mlp', { ...toy, maxFreq: 10 })],
      ['mlp maxFreq 1', timeDerivative('mlp', { ...toy, maxFreq: 1 })],
      ['vanilla_mlp', timeDerivative('vanilla_mlp', { embDim: 64, nLayers: 2, dropout: 0 })],
    ];
    for (const [name, r] of rows) {
      console.log(
        `${name}: rms f ${r.f.toFixed(3)}, rms df/dt ${r.dfdt.toFixed(3)}, ratio ${(r.dfdt / r.f).toFixed(1)}`,
      );
    }
    const ratio = (i: number) => rows[i][1].dfdt / rows[i][1].f;
    expect(ratio(0)).toBeGreaterThan(20);
    expect(ratio(2)).toBeLessThan(3);
    expect(ratio(3)).toBeLessThan(3);
    expect(ratio(0)).toBeGreaterThan(ratio(1));
    expect(ratio(1)).toBeGreaterThan(ratio(2));
    expect(tf.memory().numTensors).toBe(before);
  });
});
