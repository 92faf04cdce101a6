import * as tf from '@tensorflow/tfjs-core';
import {
  EVAL,
  initialState,
  type SampleOptions,
  type SamplerContext,
  sampleShape,
  timeTensor,
} from './sampler.js';

/** Options of the two-step samplers. */
export interface TwoStepOptions extends SampleOptions {
  /** The fixed second time t*, in (0, 1). Default 0.9. */
  tStar?: number;
}

/** How the second step's input is built from the first step's output a0. */
type SecondInput = 'interpolant' | 'unscaled';

function twoStep(
  name: string,
  secondInput: SecondInput,
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: TwoStepOptions,
): tf.Tensor3D {
  const tStar = options.tStar ?? 0.9;
  if (typeof tStar !== 'number' || !(tStar > 0 && tStar < 1)) {
    throw new Error(`${name} sampler: tStar must be in (0, 1), got ${tStar}`);
  }
  const shape = sampleShape(name, ctx, cond, options);
  const x0 = initialState(name, shape, options);
  const out = tf.tidy(() => {
    const a0 = ctx.flowMap.velocity(timeTensor(shape[0], 0), x0, cond, EVAL);
    const tFix = timeTensor(shape[0], tStar);
    let input: tf.Tensor3D;
    if (secondInput === 'unscaled') input = a0;
    else if (ctx.interpolant) input = ctx.interpolant.at(tFix, x0, a0) as tf.Tensor3D;
    else input = tf.add(tf.mul(a0, tStar), tf.mul(x0, 1 - tStar)) as tf.Tensor3D;
    return ctx.flowMap.velocity(tFix, input, cond, EVAL);
  });
  x0.dispose();
  return out;
}

/**
 * Two-step sampler, page form: with x_0 the start (0 by default, or noise z),
 *
 * $$
 * \hat a_0 = \pi(o, x_0, 0), \qquad a = \pi\big(o, I_{t^\star}(x_0, \hat a_0), t^\star\big), \qquad I_{t^\star}(x_0, \hat a_0) = \alpha(t^\star)\, x_0 + \beta(t^\star)\, \hat a_0,
 * $$
 *
 * i.e. t* a0 + (1 - t*) x_0 for the linear interpolant (the default when `ctx.interpolant` is
 * absent); pi(o, x, t) = f(x, t, t, o). From zero this is the page's mip inference
 * a = pi(o, t* a0, t*) (and the reference's unregistered `mip_origin_sampler`); from noise z it is
 * the page's tsd inference a = pi(o, t* a0 + (1 - t*) z, t*). Two network calls.
 */
export function twoStepSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: TwoStepOptions = {},
): tf.Tensor3D {
  return twoStep('two-step', 'interpolant', ctx, cond, options);
}

/** mip, page form (default): a0 = pi(o, 0, 0), a = pi(o, t* a0, t*). The {@link twoStepSampler} from zero. */
export function mipSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: TwoStepOptions = {},
): tf.Tensor3D {
  return twoStep('mip', 'interpolant', ctx, cond, options);
}

/**
 * mip, reference form (`mip_sampler` of the reference code, which also samples its tsd):
 * a0 = pi(o, x_0, 0), a = pi(o, a0, t*) with a0 unscaled. Pairs with `mipLoss` `variant: 'reference'`.
 */
export function mipReferenceSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: TwoStepOptions = {},
): tf.Tensor3D {
  return twoStep('mip-reference', 'unscaled', ctx, cond, options);
}

/**
 * tsd, page form: a0 = pi(o, z, 0), a = pi(o, t* a0 + (1 - t*) z, t*). Pass `start: 'noise'`
 * (and a seed) for the page's z ~ N(0, I); the default start is zero, as everywhere (the
 * reference's YAML), which makes it coincide with {@link mipSampler}.
 */
export function tsdSampler(
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: TwoStepOptions = {},
): tf.Tensor3D {
  return twoStep('tsd', 'interpolant', ctx, cond, options);
}
