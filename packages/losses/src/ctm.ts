import type { OptionsSchema } from '@mipjs/nets';
import { stopGradient } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import {
  callOptions,
  common,
  DEFAULT_DISCRETE_DT,
  drawNoise,
  drawTimePair,
  requireTeacher,
  tidyResult,
} from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
import { meanSquareLoss } from './norm.js';

/** Options of {@link ctmLoss}. `norm` is ignored: ctm averages squares over all elements. */
export interface CtmLossOptions extends BaseLossOptions {
  /** The teacher's step dt, > 0. Default 0.01. */
  discreteDt?: number;
  /**
   * Stop the gradient through the whole target X_{s+dt,t}(.) (the CTM paper's stop-gradient
   * teacher). Default false: like the page and the reference, only the inner point is detached.
   */
  detachTarget?: boolean;
}

/** The options of {@link ctmLoss} as JSON (`--loss-options`, a config file) may set them. */
export const CTM_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
  discreteDt: { type: 'number', min: 0, exclusiveMin: true },
  detachTarget: { type: 'boolean' },
};

/**
 * Consistency Trajectory Model (`ctm`, arXiv 2310.02279), distilling a frozen teacher velocity.
 *
 * The architecture page's form:
 *
 * $$
 * X_{s,t}(I_s) \approx X_{s+dt,t}\big(\operatorname{sg}(X_{s,s+dt}(I_s))\big), \qquad I_s = \alpha(s)\, z + \beta(s)\, a,
 * $$
 *
 * where the inner step is the teacher's Euler step I_s + dt b^teacher_s(I_s) (reference code).
 * (s, t) is the shared ordered pair (clamped by deltaT); then t = max(t, s + dt), so t can
 * exceed 1 by up to dt (as in the reference).
 *
 * $$
 * L = \mathrm{lossScale} \cdot \operatorname{mean}\Big(\big(X_{s+dt,t}(I_{s+dt}) - X_{s,t}(I_s)\big) / dt\Big)^2
 * $$
 *
 * (the mean over all elements; sg is the stop-gradient).
 *
 * Like the reference, the reduction ignores `norm` and is a mean (not a sum) over the action
 * axis (spec §12.7). The reference does not detach anything; since the inner point depends only
 * on the frozen teacher, the page's stop-gradient gives the same gradients. `detachTarget: true`
 * also detaches the outer target map. A missing `ctx.teacher` is an error (the bench supplies one).
 *
 * Draws (in this order): `z: [B, H, A]`, `s`, `t: [B]`. Terms: `{ ctm }`.
 */
export function ctmLoss(ctx: LossContext<CtmLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('ctm', ctx, batch);
  const teacher = requireTeacher('ctm', ctx);
  const { discreteDt = DEFAULT_DISCRETE_DT, detachTarget = false } = ctx.options ?? {};
  if (!(discreteDt > 0)) throw new Error(`ctm loss: discreteDt must be > 0, got ${discreteDt}`);
  return tidyResult(() => {
    const z = drawNoise('ctm', 'z', draws, ctx, c.shape);
    const pair = drawTimePair('ctm', draws, ctx, batch, c.batchSize);
    const s = pair.s;
    const sPlus = tf.add(s, discreteDt) as tf.Tensor1D;
    const t = tf.maximum(pair.t, sPlus) as tf.Tensor1D;
    const Is = ctx.interpolant.at(s, z, batch.action) as tf.Tensor3D;
    const opts = callOptions(ctx);
    const pred = ctx.flowMap.map(s, t, Is, batch.cond, opts);
    const bS = teacher.velocity(s, Is, batch.cond, { training: false });
    const IsPlus = stopGradient(tf.add(Is, tf.mul(bS, discreteDt)) as tf.Tensor3D);
    const target = ctx.flowMap.map(sPlus, t, IsPlus, batch.cond, opts);
    const residual = tf.div(tf.sub(detachTarget ? stopGradient(target) : target, pred), discreteDt);
    const ctm = meanSquareLoss(residual, c.lossScale);
    return { loss: ctm, terms: { ctm } };
  });
}
