import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from '../count-parameters.js';
import { installHigherOrderGradientFix } from '../gradient-fixes.js';
import { jvpLossWeightGradientTest, networkContractTests, type Sizes } from '../test-utils/big-nets-suite.js';
import { createChiUNet } from './chiunet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  installHigherOrderGradientFix();
});

const tiny = { embDim: 16, modelDim: 8, kernelSize: 3, dimMult: [1, 2] };
const base: Sizes = { actDim: 3, horizon: 8, obsSteps: 2, condDim: 5 };

describe('ChiUNet', () => {
  it('has exactly 19,669,899 parameters at A=10, H=16, To=2, E=256, m=128, k=5, dimMult [1,2,2]', () => {
    const net = createChiUNet({ actDim: 10, horizon: 16, obsSteps: 2, condDim: 256 });
    expect(countParameters(net)).toBe(19_669_899);
    // Layer by layer: c = 2E = 512 is the FiLM input; block(i, o) =
    // conv1 (5 i o + o) + GN (2o) + FiLM (512 * 2o + 2o) + conv2 (5 o o + o) + GN (2o) + 1x1 residual (i o + o, if i != o).
    const c = 512;
    const block = (i: number, o: number) =>
      5 * i * o + o + 2 * o + c * 2 * o + 2 * o + 5 * o * o + o + 2 * o + (i !== o ? i * o + o : 0);
    const time = 256 * 1024 + 1024 + 1024 * 256 + 256; // map_emb
    const obs = 2 * 256 * 256 + 256; // global_cond_encoder
    const downs =
      block(10, 128) +
      block(128, 128) +
      (3 * 128 * 128 + 128) + // level 0 + stride-2 conv
      block(128, 256) +
      block(256, 256) +
      (3 * 256 * 256 + 256) + // level 1 + stride-2 conv
      block(256, 512) +
      block(512, 512); // level 2 (no downsample)
    const mid = 2 * block(512, 512);
    const ups =
      block(1024, 256) +
      block(256, 256) +
      (4 * 256 * 256 + 256) + // up level over (256, 512) + ConvTranspose1d
      block(512, 128) +
      block(128, 128) +
      (4 * 128 * 128 + 128); // up level over (128, 256)
    const final = 5 * 128 * 128 + 128 + 2 * 128 + 128 * 10 + 10;
    const scalarHead = 512 * 128 + 128 + 128 + 1; // never used by apply; part of the reference's count
    expect(time + obs + downs + mid + ups + final + scalarHead).toBe(19_669_899);
    const names = net.variables.map((v) => v.name);
    expect(names.length).toBe(new Set(names).size);
    net.dispose();
  });

  it('rejects a horizon that is not a power of 2 (or too short for the levels), naming horizon', () => {
    expect(() => createChiUNet({ ...base, ...tiny, horizon: 10 })).toThrow(/horizon must be a power of 2/);
    expect(() => createChiUNet({ ...base, ...tiny, horizon: 1 })).toThrow(/horizon/);
    expect(() => createChiUNet({ ...base, ...tiny, kernelSize: 4 })).toThrow(/kernelSize/);
  });

  networkContractTests((sz, extra) => createChiUNet({ ...sz, ...tiny, ...extra }), base, [
    base,
    { actDim: 2, horizon: 4, obsSteps: 1, condDim: 3 },
    { actDim: 1, horizon: 16, obsSteps: 3, condDim: 4 },
  ]);

  jvpLossWeightGradientTest(() => createChiUNet({ ...base, ...tiny }));
});
