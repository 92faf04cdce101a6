import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from '../count-parameters.js';
import { installHigherOrderGradientFix } from '../gradient-fixes.js';
import { networkContractTests, type Sizes } from '../test-utils/big-nets-suite.js';
import { createJannerUNet } from './jannerunet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  installHigherOrderGradientFix();
});

const tiny = { embDim: 8, modelDim: 8, dimMult: [1, 2] };
const base: Sizes = { actDim: 3, horizon: 8, obsSteps: 2, condDim: 5 };

describe('JannerUNet', () => {
  it('parameter count of the YAML defaults (A=10, H=16, To=2, E=m=32, k=3, dimMult [1,2,2,2]), layer by layer', () => {
    const net = createJannerUNet({ actDim: 10, horizon: 16, obsSteps: 2, condDim: 32 });
    const k = 3;
    const m = 32; // block embedding width
    // block(i, o) = conv1 (k i o + o) + GN (2o) + time_mlp (m o + o) + conv2 (k o o + o) + GN (2o) + residual (i o + o if i != o)
    const block = (i: number, o: number) =>
      k * i * o + o + 2 * o + m * o + o + k * o * o + o + 2 * o + (i !== o ? i * o + o : 0);
    const down = (o: number) => 3 * o * o + o; // stride-2 Conv1d(o, o, 3)
    const up = (c: number) => 4 * c * c + c; // ConvTranspose1d(c, c, 4)
    const condEncoder = 2 * 32 * 32 + 32;
    const mapEmb = 64 * 128 + 128 + 128 * 32 + 32; // Linear(2E, 4m), Linear(4m, m)
    // channels [10, 32, 64, 128, 256]
    const downs =
      block(10, 32) +
      block(32, 32) +
      down(32) +
      block(32, 64) +
      block(64, 64) +
      down(64) +
      block(64, 128) +
      block(128, 128) +
      down(128) +
      block(128, 256) +
      block(256, 256);
    const mid = 2 * block(256, 256);
    const ups =
      block(512, 128) +
      block(128, 128) +
      up(128) +
      block(256, 64) +
      block(64, 64) +
      up(64) +
      block(128, 32) +
      block(32, 32) +
      up(32);
    const final = 5 * 32 * 32 + 32 + 2 * 32 + 32 * 10 + 10;
    const scalarHead = 256 * 128 + 128 + 128 + 1;
    const expected = condEncoder + mapEmb + downs + mid + ups + final + scalarHead;
    expect(countParameters(net)).toBe(expected);
    expect(expected).toBe(2_560_363);
    net.dispose();
  });

  it('attention adds LayerNorm + LinearAttention(heads 4, dim_head 32) per level and in the middle', () => {
    const plain = createJannerUNet({ ...base, ...tiny });
    const withAttn = createJannerUNet({ ...base, ...tiny, attention: true });
    const attn = (c: number) => 2 * c + c * 3 * 128 + 128 * c + c;
    // channels [3, 8, 16]: down levels 8, 16; mid 16; one up level at 8.
    expect(countParameters(withAttn) - countParameters(plain)).toBe(attn(8) + attn(16) + attn(16) + attn(8));
    plain.dispose();
    withAttn.dispose();
  });

  it('rejects a horizon that is not a power of 2 or shorter than 8 with 3 downsamples, naming horizon', () => {
    expect(() => createJannerUNet({ ...base, horizon: 4 })).toThrow(
      /horizon must be a power of 2 and at least 8/,
    );
    expect(() => createJannerUNet({ ...base, horizon: 12 })).toThrow(/horizon/);
    expect(() => createJannerUNet({ ...base, normType: 'batchnorm' as never })).toThrow(/normType/);
  });

  networkContractTests((sz, extra) => createJannerUNet({ ...sz, ...tiny, ...extra }), base, [
    base,
    { actDim: 2, horizon: 2, obsSteps: 1, condDim: 3 },
    { actDim: 1, horizon: 16, obsSteps: 3, condDim: 4 },
  ]);

  describe('with linear attention and layer norm', () => {
    networkContractTests(
      (sz, extra) => createJannerUNet({ ...sz, ...tiny, attention: true, normType: 'layernorm', ...extra }),
      base,
      [base],
    );
  });
});
