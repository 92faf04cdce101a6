import type { OptionsSchema } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import { callOptions, common, drawNoise, drawTimePair, requireTeacher, tidyResult } from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
import { meanSquareLoss } from './norm.js';

/** Options of {@link lmdLoss}. `norm` is ignored: lmd averages squares over all elements. */
export type LmdLossOptions = BaseLossOptions;

/** The options of {@link lmdLoss} as JSON (`--loss-options`, a config file) may set them. */
export const LMD_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
};

/**
 * Lagrangian map distillation (`lmd`, reference code only; not on the page): the student map
 * follows a frozen teacher velocity along its own trajectory,
 *
 * $$
 * L = \mathrm{lossScale} \cdot \operatorname{mean}\big(\partial_t X_{s,t}(I_s) - b^{\mathrm{teacher}}_t(X_{s,t}(I_s))\big)^2
 * $$
 *
 * (the mean over all elements),
 *
 * with I_s = alpha(s) z + beta(s) a and (s, t) the shared ordered pair (clamped by deltaT).
 * As in the reference: no stop-gradient (the gradient reaches X through the teacher network,
 * whose weights are not trained), `norm` is ignored and the action axis is averaged, not summed
 * (spec §12.7). dX/dt comes from `FlowMap.jvpT`. A missing `ctx.teacher` is an error.
 *
 * Draws (in this order): `z: [B, H, A]`, `s`, `t: [B]`. Terms: `{ lmd }`.
 */
export function lmdLoss(ctx: LossContext<LmdLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('lmd', ctx, batch);
  const teacher = requireTeacher('lmd', ctx);
  return tidyResult(() => {
    const z = drawNoise('lmd', 'z', draws, ctx, c.shape);
    const { s, t } = drawTimePair('lmd', draws, ctx, batch, c.batchSize);
    const Is = ctx.interpolant.at(s, z, batch.action) as tf.Tensor3D;
    const { map: X, tangent: dXdt } = ctx.flowMap.jvpT(s, t, Is, batch.cond, callOptions(ctx));
    const b = teacher.velocity(t, X, batch.cond, { training: false });
    const lmd = meanSquareLoss(tf.sub(dXdt, b), c.lossScale);
    return { loss: lmd, terms: { lmd } };
  });
}
