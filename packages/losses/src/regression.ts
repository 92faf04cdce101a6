import type { OptionsSchema } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import { callOptions, common, constantTime, tidyResult } from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
import { normLoss } from './norm.js';

/** Options of {@link regressionLoss}. */
export type RegressionLossOptions = BaseLossOptions;

/** The options of {@link regressionLoss} as JSON (`--loss-options`, a config file) may set them. */
export const REGRESSION_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
};

/**
 * Regression (`regression`): learns the conditional mean of the action.
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(\pi(o, I_0 = 0, t = 0) - a\big)\big], \qquad \pi(o, x, t) = f(x, t, t, o).
 * $$
 *
 * The page writes the input as I_0; the reference feeds zeros (the YAML's sampling start), and so
 * does this loss. No draws. Terms: `{ regression }`. Sample with the one-step sampler from zero.
 */
export function regressionLoss(
  ctx: LossContext<RegressionLossOptions>,
  batch: LossBatch,
  _draws?: LossDraws,
): LossResult {
  const c = common('regression', ctx, batch);
  return tidyResult(() => {
    const zero = constantTime(c.batchSize, 0);
    const pred = ctx.flowMap.velocity(zero, tf.zerosLike(batch.action), batch.cond, callOptions(ctx));
    const regression = normLoss(tf.sub(pred, batch.action), c.norm, c.lossScale);
    return { loss: regression, terms: { regression } };
  });
}
