import * as tf from '@tensorflow/tfjs-core';
import {
  EVAL,
  initialState,
  type SampleOptions,
  type SamplerContext,
  sampleShape,
  timeTensor,
} from './sampler.js';

/**
 * One-step sampler (reference `regression_sampler`): a = f(x_0, 0, 0, o), with x_0 = 0 (default;
 * `regression`) or noise (`straight_flow`'s training input). One network call; `steps` is ignored.
 */
export function oneStepSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: SampleOptions = {},
): tf.Tensor3D {
  const shape = sampleShape('one-step', ctx, cond, options);
  const x0 = initialState('one-step', shape, options);
  const out = tf.tidy(() => ctx.flowMap.velocity(timeTensor(shape[0], 0), x0, cond, EVAL));
  x0.dispose();
  return out;
}
