import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from '../count-parameters.js';
import { installHigherOrderGradientFix } from '../gradient-fixes.js';
import { maxAbs, networkContractTests, randomInputs, type Sizes } from '../test-utils/big-nets-suite.js';
import { createSudeepDiT } from './sudeepdit.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  installHigherOrderGradientFix();
});

const tiny = { embDim: 8, nLayers: 2, nHeads: 2, dropout: 0 };
const base: Sizes = { actDim: 3, horizon: 5, obsSteps: 2, condDim: 4 };

/** Parameters of the layers, by the layer structure. */
function expectedCount(a: number, h: number, to: number, e: number, d: number, depth: number): number {
  const linear = (i: number, o: number) => i * o + o;
  const mha = 4 * d * d + 4 * d; // packed in-proj [d, 3d] + bias, out-proj
  const ln = 2 * d;
  const condEmb = linear(to * e, d) + linear(d, d);
  const encoderLayer = mha + linear(d, 4 * d) + linear(4 * d, d) + 2 * ln;
  const tokens = linear(a, a) + linear(a, d) + h * d; // ac_proj + dec_pos
  // + attn_mod1 (shift, scale) + attn_mod2 (gate) + mlp_mod1 (shift, scale) + mlp_mod2 (gate)
  const decoderLayer = encoderLayer + 3 * linear(d, d) + 3 * linear(d, d);
  const final = linear(d, 2 * d) + linear(d, a); // adaLN modulation + linear (norm_final has no parameters)
  const scalarHead = linear(2 * a + d, d) + linear(d, 1);
  return condEmb + depth * encoderLayer + tokens + depth * decoderLayer + final + scalarHead;
}

describe('SudeepDiT', () => {
  it('parameter count of the YAML defaults (A=10, H=16, To=2, E=d=256, depth 8, 4 heads), layer by layer', () => {
    const net = createSudeepDiT({ actDim: 10, horizon: 16, obsSteps: 2, condDim: 256 });
    expect(countParameters(net)).toBe(expectedCount(10, 16, 2, 256, 256, 8));
    net.dispose();
  });

  it('a fresh net has closed gates: the decoder blocks are the identity at initialisation', () => {
    const net = createSudeepDiT({ ...base, ...tiny });
    tf.tidy(() => {
      const { x, s, t, cond } = randomInputs(2, base, 1);
      // Changing the attention weights of a decoder layer does not change a fresh net's output.
      const y1 = net.apply(x, s, t, cond);
      const attnKernels = net.variables.filter((v) => v.shape.length === 2 && v.shape[1] === 3 * 8);
      const decoderIn = attnKernels[attnKernels.length - 1];
      decoderIn.assign(tf.add(decoderIn, 1));
      expect(maxAbs(tf.sub(y1, net.apply(x, s, t, cond)))).toBeLessThan(1e-6);
    });
    net.dispose();
  });

  networkContractTests(
    (sz, extra) => createSudeepDiT({ ...sz, ...tiny, ...extra }),
    base,
    [
      base,
      { actDim: 2, horizon: 8, obsSteps: 1, condDim: 3 },
      { actDim: 1, horizon: 3, obsSteps: 3, condDim: 6 },
    ],
    { perturb: 0.2 },
  );
});
