import type * as tf from '@tensorflow/tfjs-core';
import {
  EVAL,
  initialState,
  integrate,
  type SampleOptions,
  type SamplerContext,
  sampleShape,
  timeGrid,
} from './sampler.js';

/**
 * Flow-map sampler (reference `flow_map_sampler`): jumps along the grid linspace(0, 1, n + 1)
 * (or `grid`),
 *
 * $$
 * x \leftarrow X_{s,t}(x) = x + (t - s)\, f(x, s, t, o),
 * $$
 *
 * so one step is a = X_{0,1}(x_0). For ctm, lmd, psd, lsd, esd and mf. n network calls.
 */
export function flowMapSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: SampleOptions = {},
): tf.Tensor3D {
  const shape = sampleShape('flow-map', ctx, cond, options);
  const grid = timeGrid('flow-map', options);
  return integrate(initialState('flow-map', shape, options), grid, (x, s, t) =>
    ctx.flowMap.map(s, t, x, cond, EVAL),
  );
}
