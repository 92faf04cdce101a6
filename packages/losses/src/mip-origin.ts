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

/** Options of {@link mipOriginLoss}. */
export interface MipOriginLossOptions extends BaseLossOptions {
  /** The fixed second time t*, in (0, 1). Default 0.9. */
  tStar?: number;
}

/** The options of {@link mipOriginLoss} as JSON (`--loss-options`, a config file) may set them. */
export const MIP_ORIGIN_LOSS_OPTIONS_SCHEMA: OptionsSchema = T_STAR_LOSS_OPTIONS_SCHEMA;

/**
 * `mip_origin`: the reference code's unregistered `mip_origin_loss`, provided for completeness.
 *
 * $$
 * a_t = t^\star a + (1 - t^\star) z, \qquad p_0 = \pi(o, 0, 0), \qquad p_1 = \pi(o, a_t, t^\star),
 * $$
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\Big[\operatorname{norm}\big((p_0 - t^\star a) / t^\star\big) + \operatorname{norm}\big((p_1 - a) / (1 - t^\star)\big)\Big].
 * $$
 *
 * Unlike the page's mip, the first step targets t* a. The reference pairs it with
 * `mip_origin_sampler` (second input t* a0): `mipSampler` of @mipjs/samplers from zero.
 * Draws: `z: [B, H, A]`. Terms: `{ step0, step1 }`.
 */
export function mipOriginLoss(
  ctx: LossContext<MipOriginLossOptions>,
  batch: LossBatch,
  draws?: LossDraws,
): LossResult {
  const c = common('mip_origin', ctx, batch);
  const { tStar = DEFAULT_T_STAR } = ctx.options ?? {};
  checkTStar('mip_origin', tStar);
  return tidyResult(() => {
    const a = batch.action;
    const z = drawNoise('mip_origin', 'z', draws, ctx, c.shape);
    const zero = constantTime(c.batchSize, 0);
    const tFix = constantTime(c.batchSize, tStar);
    const at = tf.add(tf.mul(a, tStar), tf.mul(z, 1 - tStar)) as tf.Tensor3D;
    const p0 = ctx.flowMap.velocity(zero, tf.zerosLike(a), batch.cond, callOptions(ctx));
    const p1 = ctx.flowMap.velocity(tFix, at, batch.cond, callOptions(ctx));
    const step0 = normLoss(tf.div(tf.sub(p0, tf.mul(a, tStar)), tStar), c.norm, c.lossScale);
    const step1 = normLoss(tf.div(tf.sub(p1, a), 1 - tStar), c.norm, c.lossScale);
    return { loss: tf.add(step0, step1) as tf.Scalar, terms: { step0, step1 } };
  });
}
