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

/** Options of {@link mipLoss}. */
export interface MipLossOptions extends BaseLossOptions {
  /** The fixed second time t*, in (0, 1). Default 0.9. */
  tStar?: number;
  /** `'page'` (default): the architecture page's loss; `'reference'`: the reference code's. */
  variant?: 'page' | 'reference';
}

/** The options of {@link mipLoss} as JSON (`--loss-options`, a config file) may set them. */
export const MIP_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...T_STAR_LOSS_OPTIONS_SCHEMA,
  variant: { type: 'enum', values: ['page', 'reference'] },
};

/**
 * Minimum Iterative Policy (`mip`).
 *
 * The architecture page's form (default):
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\Big[\operatorname{norm}\big(\pi(o, 0, 0) - a\big) + \operatorname{norm}\big(\pi(o, I_{t^\star}, t^\star) - a\big)\Big],
 * $$
 *
 * $$
 * I_{t^\star} = \alpha(t^\star)\, z + \beta(t^\star)\, a \quad (= t^\star a + (1 - t^\star) z \text{ for the linear interpolant}),
 * $$
 *
 * with $\pi(o, x, t) = f(x, t, t, o)$ and $z \sim \mathcal{N}(0, I)$. Inference: $\hat a_0 = \pi(o, 0, 0)$,
 * $a = \pi(o, t^\star \hat a_0, t^\star)$ (`mipSampler` of @mipjs/samplers).
 *
 * The reference code (`variant: 'reference'`) differs in two ways: the second input is
 * `a + (1 - t*) z` (not scaled by t*), and each residual is divided before the norm,
 * `norm((p0 - a) / t*) + norm((p1 - a) / (1 - t*))` (weights 1/t*^2 and 1/(1-t*)^2 under l2);
 * it is sampled with the unscaled a0 (`mipReferenceSampler`).
 *
 * Draws: `z: [B, H, A]`. Terms: `{ step0, step1 }` (each already scaled; loss = step0 + step1).
 */
export function mipLoss(ctx: LossContext<MipLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('mip', ctx, batch);
  const { tStar = DEFAULT_T_STAR, variant = 'page' } = ctx.options ?? {};
  checkTStar('mip', tStar);
  if (variant !== 'page' && variant !== 'reference') {
    throw new Error(`mip loss: variant must be 'page' or 'reference', got '${variant}'`);
  }
  return tidyResult(() => {
    const a = batch.action;
    const z = drawNoise('mip', 'z', draws, ctx, c.shape);
    const zero = constantTime(c.batchSize, 0);
    const tFix = constantTime(c.batchSize, tStar);
    const p0 = ctx.flowMap.velocity(zero, tf.zerosLike(a), batch.cond, callOptions(ctx));
    const input =
      variant === 'page'
        ? (ctx.interpolant.at(tFix, z, a) as tf.Tensor3D)
        : (tf.add(a, tf.mul(z, 1 - tStar)) as tf.Tensor3D);
    const p1 = ctx.flowMap.velocity(tFix, input, batch.cond, callOptions(ctx));
    const w0 = variant === 'page' ? 1 : 1 / tStar;
    const w1 = variant === 'page' ? 1 : 1 / (1 - tStar);
    const step0 = normLoss(tf.mul(tf.sub(p0, a), w0), c.norm, c.lossScale);
    const step1 = normLoss(tf.mul(tf.sub(p1, a), w1), c.norm, c.lossScale);
    return { loss: tf.add(step0, step1) as tf.Scalar, terms: { step0, step1 } };
  });
}
