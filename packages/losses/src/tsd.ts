import type { OptionsSchema } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import {
  callOptions,
  checkTStar,
  common,
  constantTime,
  DEFAULT_T_STAR,
  drawNoise,
  tidyResult,
} from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { T_STAR_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
import { normLoss } from './norm.js';

/** Options of {@link tsdLoss}. */
export interface TsdLossOptions extends BaseLossOptions {
  /** The fixed second time t* (the page's t_fix), in (0, 1). Default 0.9. */
  tStar?: number;
  /** `'page'` (default): the architecture page's loss; `'reference'`: the reference code's. */
  variant?: 'page' | 'reference';
}

/** The options of {@link tsdLoss} as JSON (`--loss-options`, a config file) may set them. */
export const TSD_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...T_STAR_LOSS_OPTIONS_SCHEMA,
  variant: { type: 'enum', values: ['page', 'reference'] },
};

/**
 * Two-step denoising (`tsd`).
 *
 * The architecture page's form (default), taken literally:
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\Big[\operatorname{norm}\big(\pi(o, I_0, 0) - I_{\mathrm{fix}}\big) + \operatorname{norm}\big(\pi(o, I_{\mathrm{fix}}, t^\star) - a\big)\Big],
 * $$
 *
 * $$
 * I_0 = \alpha(0)\, z + \beta(0)\, a = z, \qquad I_{\mathrm{fix}} = \alpha(t^\star)\, z + \beta(t^\star)\, a \quad (= t^\star a + (1 - t^\star) z \text{, linear}),
 * $$
 *
 * one z ~ N(0, I) for both. Inference (page): a0 = pi(o, z, 0), a = pi(o, t* a0 + (1 - t*) z, t*)
 * (`tsdSampler` of @mipjs/samplers). Note the page itself is not self-consistent: the first step
 * is trained towards I_fix, while its inference re-noises a0 as if a0 estimated a.
 *
 * Reference code (`variant: 'reference'`): the first input is z, a separate noise n builds
 * `a_t = a + (1 - t*) n`, and
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\Big[\operatorname{norm}\big((\pi(o, z, 0) - a_t) / t^\star\big) + \operatorname{norm}\big((\pi(o, a_t, t^\star) - a) / (1 - t^\star)\big)\Big];
 * $$
 *
 * the reference samples it like mip (`mipReferenceSampler`).
 *
 * Draws: `z: [B, H, A]` and, for the reference variant, `noise: [B, H, A]` (drawn in that order).
 * Terms: `{ step0, step1 }`.
 */
export function tsdLoss(ctx: LossContext<TsdLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('tsd', ctx, batch);
  const { tStar = DEFAULT_T_STAR, variant = 'page' } = ctx.options ?? {};
  checkTStar('tsd', tStar);
  if (variant !== 'page' && variant !== 'reference') {
    throw new Error(`tsd loss: variant must be 'page' or 'reference', got '${variant}'`);
  }
  return tidyResult(() => {
    const a = batch.action;
    const z = drawNoise('tsd', 'z', draws, ctx, c.shape);
    const zero = constantTime(c.batchSize, 0);
    const tFix = constantTime(c.batchSize, tStar);
    let second: tf.Tensor3D;
    let w0 = 1;
    let w1 = 1;
    if (variant === 'page') {
      second = ctx.interpolant.at(tFix, z, a) as tf.Tensor3D;
    } else {
      const n = drawNoise('tsd', 'noise', draws, ctx, c.shape);
      second = tf.add(a, tf.mul(n, 1 - tStar)) as tf.Tensor3D;
      w0 = 1 / tStar;
      w1 = 1 / (1 - tStar);
    }
    const firstInput = variant === 'page' ? (ctx.interpolant.at(zero, z, a) as tf.Tensor3D) : z;
    const p0 = ctx.flowMap.velocity(zero, firstInput, batch.cond, callOptions(ctx));
    const p1 = ctx.flowMap.velocity(tFix, second, batch.cond, callOptions(ctx));
    const step0 = normLoss(tf.mul(tf.sub(p0, second), w0), c.norm, c.lossScale);
    const step1 = normLoss(tf.mul(tf.sub(p1, a), w1), c.norm, c.lossScale);
    return { loss: tf.add(step0, step1) as tf.Scalar, terms: { step0, step1 } };
  });
}
