import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNetwork } from '../create-network.js';
import { maxAbs, randomInputs, type Sizes } from '../test-utils/big-nets-suite.js';
import { deserializeWeights, serializeWeights } from '../weights-io.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sizes: Sizes = { actDim: 2, horizon: 8, obsSteps: 2, condDim: 3 };
const tinyByKind: Record<string, Record<string, unknown>> = {
  chiunet: { embDim: 8, modelDim: 8, kernelSize: 3, dimMult: [1, 2] },
  jannerunet: { embDim: 8, modelDim: 8, dimMult: [1, 2], attention: true },
  chitransformer: { embDim: 8, nLayers: 1, nHeads: 2 },
  sudeepdit: { embDim: 8, nLayers: 1, nHeads: 2 },
};

describe('createNetwork with the big networks', () => {
  for (const [kind, tiny] of Object.entries(tinyByKind)) {
    it(`${kind}: built by createNetwork, rebuilt from its config and from serialized weights`, () => {
      const net = createNetwork(kind, { ...sizes, ...tiny, seed: 3 });
      expect(net.kind).toBe(kind);
      expect(net.config.kind).toBe(kind);
      const again = createNetwork(kind, { ...net.config });
      // Perturb so that zero-initialised parts matter, then round-trip the weights.
      for (const v of net.variables)
        tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 1))));
      const { manifest, data } = serializeWeights(net);
      const loaded = deserializeWeights(manifest, data);
      tf.tidy(() => {
        const { x, s, t, cond } = randomInputs(2, sizes, 5);
        expect(maxAbs(tf.sub(net.apply(x, s, t, cond), loaded.apply(x, s, t, cond)))).toBe(0);
        expect(again.variables.length).toBe(net.variables.length);
      });
      const names = net.namedVariables!.map((e) => e.name);
      expect(new Set(names).size).toBe(names.length);
      for (const n of [net, again, loaded]) n.dispose();
    });
  }
});
