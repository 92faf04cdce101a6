import type { OptionsSchema } from '@mipjs/nets';
import { common, drawNoise, drawTime, flowMatchingTerm, tidyResult } from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';

/** Options of {@link flowLoss}. */
export type FlowLossOptions = BaseLossOptions;

/** The options of {@link flowLoss} as JSON (`--loss-options`, a config file) may set them. */
export const FLOW_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
};

/**
 * Flow matching (`flow`, arXiv 2210.02747).
 *
 * $$
 * L = \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(b_t(I_t \mid o) - \dot I_t\big)\big], \qquad t \sim \mathcal{U}(0, 1),\ z \sim \mathcal{N}(0, I),
 * $$
 *
 * $$
 * I_t = \alpha(t)\, z + \beta(t)\, a, \qquad b_t(x) = f(x, t, t, o).
 * $$
 *
 * The architecture page and the reference code agree. Draws (in this order): `t: [B]`, `z: [B, H, A]`.
 * Terms: `{ flow }`. Sample with the Euler ODE sampler.
 */
export function flowLoss(ctx: LossContext<FlowLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('flow', ctx, batch);
  return tidyResult(() => {
    const t = drawTime('flow', 't', draws, ctx, c.batchSize);
    const z = drawNoise('flow', 'z', draws, ctx, c.shape);
    const flow = flowMatchingTerm(ctx, batch, c, z, t);
    return { loss: flow, terms: { flow } };
  });
}
