import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from '../count-parameters.js';
import { installHigherOrderGradientFix } from '../gradient-fixes.js';
import {
  jvpLossWeightGradientTest,
  maxAbs,
  networkContractTests,
  randomInputs,
  type Sizes,
} from '../test-utils/big-nets-suite.js';
import { createChiTransformer } from './chitransformer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  installHigherOrderGradientFix();
});

const tiny = { embDim: 8, nLayers: 2, nHeads: 2, attnDropout: 0 };
const base: Sizes = { actDim: 3, horizon: 5, obsSteps: 2, condDim: 4 };

/** Parameters of the layers, by the layer structure. */
function expectedCount(
  a: number,
  h: number,
  to: number,
  e: number,
  d: number,
  layers: number,
  condLayers: number,
): number {
  const linear = (i: number, o: number) => i * o + o;
  const mha = 4 * d * d + 4 * d; // packed in-proj [d, 3d] + bias, out-proj
  const ln = 2 * d;
  const tokens = linear(a, d) + h * d; // input_emb + pos_emb
  const cond = linear(e, d) + (1 + to) * d; // cond_obs_emb + cond_pos_emb
  const encoder =
    condLayers === 0
      ? linear(d, 4 * d) + linear(4 * d, d) // token-wise MLP
      : condLayers * (mha + linear(d, 4 * d) + linear(4 * d, d) + 2 * ln);
  const decoderLayer = 2 * mha + linear(d, 4 * d) + linear(4 * d, d) + 3 * ln;
  const head = ln + linear(d, a); // ln_f + head
  const scalarHead = linear(a, d / 4) + linear(d, d / 4) + linear(d / 4 + d / 4 + d, 1);
  return tokens + cond + encoder + layers * decoderLayer + head + scalarHead;
}

describe('ChiTransformer', () => {
  it('parameter count of the YAML defaults (A=10, H=16, To=2, E=d=384, 8 layers, 6 heads), layer by layer', () => {
    const net = createChiTransformer({ actDim: 10, horizon: 16, obsSteps: 2, condDim: 384 });
    expect(countParameters(net)).toBe(expectedCount(10, 16, 2, 384, 384, 8, 0));
    net.dispose();
    const small = createChiTransformer({ ...base, ...tiny, nCondLayers: 2 });
    expect(countParameters(small)).toBe(expectedCount(3, 5, 2, 4, 8, 2, 2));
    small.dispose();
  });

  it('works with 1, 2, 4 and 8 heads; rejects heads that do not divide the width', () => {
    for (const nHeads of [1, 2, 4, 8]) {
      const net = createChiTransformer({ ...base, embDim: 16, nLayers: 1, nHeads });
      tf.tidy(() => {
        const { x, s, t, cond } = randomInputs(2, base, nHeads);
        expect(net.apply(x, s, t, cond).shape).toEqual([2, 5, 3]);
      });
      net.dispose();
    }
    expect(() => createChiTransformer({ ...base, embDim: 12, nHeads: 8 })).toThrow(/nHeads/);
  });

  it('is causal: the output at step i does not depend on actions after i', () => {
    const net = createChiTransformer({ ...base, ...tiny });
    tf.tidy(() => {
      const { x, s, t, cond } = randomInputs(2, base, 3);
      const later = tf.concat(
        [tf.slice(x, [0, 0, 0], [-1, 3, -1]), tf.onesLike(tf.slice(x, [0, 3, 0], [-1, 2, -1]))],
        1,
      );
      const y1 = tf.slice(net.apply(x, s, t, cond), [0, 0, 0], [-1, 3, -1]);
      const y2 = tf.slice(net.apply(later as tf.Tensor3D, s, t, cond), [0, 0, 0], [-1, 3, -1]);
      expect(maxAbs(tf.sub(y1, y2))).toBeLessThan(1e-6);
    });
    net.dispose();
  });

  networkContractTests((sz, extra) => createChiTransformer({ ...sz, ...tiny, ...extra }), base, [
    base,
    { actDim: 2, horizon: 8, obsSteps: 1, condDim: 3 },
    { actDim: 1, horizon: 3, obsSteps: 3, condDim: 6 },
  ]);

  describe('with a condition encoder (nCondLayers 1) and dropout in training', () => {
    networkContractTests(
      (sz, extra) => createChiTransformer({ ...sz, ...tiny, nCondLayers: 1, ...extra }),
      base,
      [base],
    );

    it('same dropout seed, same output; tangent consistent with the double-VJP under dropout', async () => {
      const { jvpByDoubleVjp } = await import('../double-vjp.js');
      const net = createChiTransformer({ ...base, ...tiny, nCondLayers: 1, dropout: 0.2, attnDropout: 0.3 });
      tf.tidy(() => {
        const { x, s, t, cond } = randomInputs(2, base, 5);
        const opts = { training: true, dropoutSeed: 42 };
        const y = net.apply(x, s, t, cond, opts);
        expect(maxAbs(tf.sub(y, net.apply(x, s, t, cond, opts)))).toBe(0);
        expect(
          maxAbs(tf.sub(y, net.apply(x, s, t, cond, { training: true, dropoutSeed: 43 }))),
        ).toBeGreaterThan(0);
        const { dy } = net.applyWithTangent!(x, s, t, cond, { t: tf.onesLike(t) }, opts);
        const ref = jvpByDoubleVjp((u) => net.apply(x, s, u as tf.Tensor1D, cond, opts), t, tf.onesLike(t));
        expect(maxAbs(tf.sub(dy, ref)) / Math.max(maxAbs(ref), 1e-6)).toBeLessThan(1e-3);
      });
      net.dispose();
    });
  });

  jvpLossWeightGradientTest(() => createChiTransformer({ ...base, ...tiny }));
});
