// Every sampler with every network kind of @mipjs/nets: shape [B, H, A], finite, no leaks.
import { createNetwork, FlowMap, NETWORK_KINDS } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  eulerSampler,
  flowMapSampler,
  heunSampler,
  midpointSampler,
  mipReferenceSampler,
  mipSampler,
  oneStepSampler,
  type Sampler,
  tsdSampler,
} from './index.js';
import { useCpu } from './test-utils/setup.js';

beforeAll(useCpu);

const SHAPE = { actDim: 2, horizon: 4, obsSteps: 2, condDim: 3, seed: 1 };
const TINY: Record<string, Record<string, unknown>> = {
  mlp: { embDim: 8, nLayers: 1, timestepEmbDim: 4 },
  vanilla_mlp: { embDim: 8, nLayers: 1 },
  rnn: { embDim: 6, nLayers: 1, timestepEmbDim: 4 },
  vanilla_rnn: { embDim: 6, nLayers: 1 },
  chiunet: { embDim: 8, modelDim: 8, kernelSize: 3, dimMult: [1, 2] },
  jannerunet: { embDim: 8, modelDim: 8, dimMult: [1, 2] },
  chitransformer: { embDim: 8, nLayers: 1, nHeads: 2 },
  sudeepdit: { embDim: 8, nLayers: 1, nHeads: 2 },
};
const SAMPLERS: [string, Sampler][] = [
  ['euler', eulerSampler],
  ['heun', heunSampler],
  ['midpoint', midpointSampler],
  ['flow-map', flowMapSampler],
  ['one-step', oneStepSampler],
  ['mip', mipSampler],
  ['mip-reference', mipReferenceSampler],
  ['tsd', tsdSampler],
];

describe.each(NETWORK_KINDS)('every sampler with network kind %s', (kind) => {
  it('returns finite [B, H, A] and frees every intermediate', () => {
    const net = createNetwork(kind, { ...SHAPE, ...(TINY[kind] ?? { embDim: 8, nLayers: 1 }) });
    const cond = tf.randomNormal([3, 2, 3], 0, 1, 'float32', 4) as tf.Tensor3D;
    for (const [name, sampler] of SAMPLERS) {
      const before = tf.memory().numTensors;
      const out = sampler({ flowMap: new FlowMap(net) }, cond, { steps: 3, start: 'noise', seed: 2 });
      expect(out.shape, name).toEqual([3, 4, 2]);
      expect(Array.from(out.dataSync()).every(Number.isFinite), name).toBe(true);
      out.dispose();
      expect(tf.memory().numTensors, name).toBe(before);
    }
    cond.dispose();
    net.dispose();
  });
});
