import type { OptionsSchema } from '@mipjs/nets';
import { stopGradient } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import {
  callOptions,
  common,
  drawNoise,
  drawTime,
  drawTimePair,
  flowMatchingTerm,
  tidyResult,
} from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
import { normLoss } from './norm.js';

/** Options of {@link mfLoss}. */
export type MfLossOptions = BaseLossOptions;

/** The options of {@link mfLoss} as JSON (`--loss-options`, a config file) may set them. */
export const MF_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
};

/**
 * MeanFlow (`mf`, arXiv 2505.13447), with X_{s,t}(x) = x + (t - s) vbar_{s,t}(x):
 *
 * $$
 * \begin{aligned}
 * L &= L_b + L_D, \\
 * L_b &= \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(b_{t'}(I_{t'}) - \dot I_{t'}\big)\big] \quad \text{(flow term, } t' = \mathrm{tFlow}\text{)}, \\
 * L_D &= \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(\partial_s X_{s,t}(I_s) + \operatorname{sg}(\nabla_x X_{s,t}(I_s) \cdot \dot I_s)\big)\big],
 * \end{aligned}
 * $$
 *
 * i.e. the Eulerian identity of `esd` with the conditional velocity dI_s/ds = alphaDot(s) z +
 * betaDot(s) a in place of b_s(I_s). dX/ds (from `FlowMap.jvpS`) is differentiated; the
 * Jacobian product (`FlowMap.jvpX`, same dropout mask) is stop-gradiented. Page and reference
 * agree.
 *
 * Draws (in this order): `tFlow: [B]`, `z: [B, H, A]`, `s`, `t: [B]`. Terms: `{ flow, mf }`.
 */
export function mfLoss(ctx: LossContext<MfLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('mf', ctx, batch);
  return tidyResult(() => {
    const tFlow = drawTime('mf', 'tFlow', draws, ctx, c.batchSize);
    const z = drawNoise('mf', 'z', draws, ctx, c.shape);
    const { s, t } = drawTimePair('mf', draws, ctx, batch, c.batchSize);
    const flow = flowMatchingTerm(ctx, batch, c, z, tFlow);

    const Is = ctx.interpolant.at(s, z, batch.action) as tf.Tensor3D;
    const IsDot = ctx.interpolant.velocity(s, z, batch.action) as tf.Tensor3D;
    const mapOptions = callOptions(ctx);
    const { tangent: dXds } = ctx.flowMap.jvpS(s, t, Is, batch.cond, mapOptions);
    const { tangent: jv } = ctx.flowMap.jvpX(s, t, Is, IsDot, batch.cond, mapOptions);
    const mf = normLoss(tf.add(dXds, stopGradient(jv)), c.norm, c.lossScale);
    return { loss: tf.add(flow, mf) as tf.Scalar, terms: { flow, mf } };
  });
}
