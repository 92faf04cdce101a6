import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jvpLossGradientErrors } from './test-utils/jvp-loss.js';

// This file must NOT install the higher-order gradient fix (registration is global; vitest runs
// each file in its own process): it shows that the fix matters. Measured here: 13-15% off.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('without installHigherOrderGradientFix (TF.js 4.22 stock gradients)', () => {
  it.each(['silu', 'mish'])('%s MLP: the double-VJP JVP-loss gradient is silently wrong', (act) => {
    const { vsForward, vsFiniteDifference } = jvpLossGradientErrors(act);
    expect(vsForward).toBeGreaterThan(2e-2);
    expect(vsFiniteDifference).toBeGreaterThan(2e-2);
  });
});
