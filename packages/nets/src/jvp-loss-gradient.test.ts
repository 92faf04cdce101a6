import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installHigherOrderGradientFix } from './gradient-fixes.js';
import { jvpLossGradientErrors } from './test-utils/jvp-loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  installHigherOrderGradientFix();
});

describe('weight gradients of a JVP loss through double-VJP (third order), guard installed', () => {
  it.each(['silu', 'mish', 'gelu', 'gelu-tanh'])(
    '%s MLP matches forward mode and finite differences',
    (act) => {
      const { vsForward, vsFiniteDifference } = jvpLossGradientErrors(act);
      expect(vsForward).toBeLessThan(1e-4);
      expect(vsFiniteDifference).toBeLessThan(3e-3);
    },
  );
});
