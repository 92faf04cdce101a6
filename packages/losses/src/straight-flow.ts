import type { OptionsSchema } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import { callOptions, common, constantTime, drawNoise, tidyResult } from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
import { normLoss } from './norm.js';

/** Options of {@link straightFlowLoss}. */
export type StraightFlowLossOptions = BaseLossOptions;

/** The options of {@link straightFlowLoss} as JSON (`--loss-options`, a config file) may set them. */
export const STRAIGHT_FLOW_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
};

/**
 * Straight flow (`straight_flow`, reference code only; not on the page).
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(f(z, 0, 0, o) - a\big)\big], \qquad z \sim \mathcal{N}(0, I).
 * $$
 *
 * Regression with a pure-noise input at t = 0 (reference `mip/losses.py`; the toy study's
 * `straight_flow` is a different, multi-step method, spec §12.9). Draws: `z: [B, H, A]`.
 * Terms: `{ straightFlow }`. Sample with the one-step sampler (from noise to match training).
 */
export function straightFlowLoss(
  ctx: LossContext<StraightFlowLossOptions>,
  batch: LossBatch,
  draws?: LossDraws,
): LossResult {
  const c = common('straight_flow', ctx, batch);
  return tidyResult(() => {
    const z = drawNoise('straight_flow', 'z', draws, ctx, c.shape);
    const zero = constantTime(c.batchSize, 0);
    const pred = ctx.flowMap.velocity(zero, z, batch.cond, callOptions(ctx));
    const straightFlow = normLoss(tf.sub(pred, batch.action), c.norm, c.lossScale);
    return { loss: straightFlow, terms: { straightFlow } };
  });
}
