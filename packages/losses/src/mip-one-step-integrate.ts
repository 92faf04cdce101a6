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

/** Options of {@link mipOneStepIntegrateLoss}. */
export interface MipOneStepIntegrateLossOptions extends BaseLossOptions {
  /** The fixed interpolation time t*, in (0, 1). Default 0.9. */
  tStar?: number;
}

/** The options of {@link mipOneStepIntegrateLoss} as JSON (`--loss-options`, a config file) may set them. */
export const MIP_ONE_STEP_INTEGRATE_LOSS_OPTIONS_SCHEMA: OptionsSchema = T_STAR_LOSS_OPTIONS_SCHEMA;

/**
 * The toy study's `mip_one_step_integrate` mode (spec §11.3; reference `common/losses.py`):
 * MIP's two regression terms with a time-blind model,
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\Big[\operatorname{norm}\big(\pi(o, z) - a\big) + \operatorname{norm}\big(\pi(o, (1 - t^\star) z + t^\star a) - a\big)\Big],
 * \qquad z \sim \mathcal{N}(0, I),
 * $$
 *
 * with $\pi(o, x) = f(x, 0, 0, o)$: both calls get time 0, so the model cannot tell them apart by
 * time (the reference's model has no time input in this mode). Inference is one call from zeros,
 * $a = \pi(o, 0)$ (`oneStepSampler` with a zero start). Unlike `mip` (page form) the first input is
 * the noise z, not zeros, as the reference trains it.
 *
 * Draws: `z: [B, H, A]`. Terms: `{ step0, step1 }` (loss = step0 + step1).
 *
 * ```ts
 * const { loss } = mipOneStepIntegrateLoss({ flowMap, interpolant, rng, options: { norm: 'l1' } }, { action, cond });
 * ```
 */
export function mipOneStepIntegrateLoss(
  ctx: LossContext<MipOneStepIntegrateLossOptions>,
  batch: LossBatch,
  draws?: LossDraws,
): LossResult {
  const c = common('mip_one_step_integrate', ctx, batch);
  const { tStar = DEFAULT_T_STAR } = ctx.options ?? {};
  checkTStar('mip_one_step_integrate', tStar);
  return tidyResult(() => {
    const a = batch.action;
    const z = drawNoise('mip_one_step_integrate', 'z', draws, ctx, c.shape);
    const zero = constantTime(c.batchSize, 0);
    const p0 = ctx.flowMap.velocity(zero, z, batch.cond, callOptions(ctx));
    const input = tf.add(tf.mul(z, 1 - tStar), tf.mul(a, tStar)) as tf.Tensor3D;
    const p1 = ctx.flowMap.velocity(zero, input, batch.cond, callOptions(ctx));
    const step0 = normLoss(tf.sub(p0, a), c.norm, c.lossScale);
    const step1 = normLoss(tf.sub(p1, a), c.norm, c.lossScale);
    return { loss: tf.add(step0, step1) as tf.Scalar, terms: { step0, step1 } };
  });
}
