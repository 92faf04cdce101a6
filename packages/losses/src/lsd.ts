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

/** Options of {@link lsdLoss}. */
export interface LsdLossOptions extends BaseLossOptions {
  /**
   * Stop the gradient through the velocity b_t(X_{s,t}(I_s)) (the cited paper's self-distillation
   * target). Default true; false reproduces the reference code, which detaches nothing.
   */
  stopGradients?: boolean;
}

/** The options of {@link lsdLoss} as JSON (`--loss-options`, a config file) may set them. */
export const LSD_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
  stopGradients: { type: 'boolean' },
};

/**
 * Lagrangian self-distillation (`lsd`, arXiv 2505.18825).
 *
 * $$
 * \begin{aligned}
 * L &= L_b + L_D, \\
 * L_b &= \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(b_{t'}(I_{t'}) - \dot I_{t'}\big)\big] \quad \text{(flow term, } t' = \mathrm{tFlow}\text{)}, \\
 * L_D &= \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(\partial_t X_{s,t}(I_s) - \operatorname{sg}(b_t(X_{s,t}(I_s)))\big)\big],
 * \end{aligned}
 * $$
 *
 * I_s = alpha(s) z + beta(s) a with the same z as L_b, (s, t) the shared ordered pair clamped by
 * deltaT, dX/dt from `FlowMap.jvpT`, b_t(x) = f(x, t, t). An exact flow map satisfies
 * dX_{s,t}/dt = b_t(X_{s,t}), so L_D vanishes there. The reference code has the same formula
 * without the stop-gradient: `stopGradients: false`.
 *
 * Draws (in this order): `tFlow: [B]`, `z: [B, H, A]`, `s`, `t: [B]`. Terms: `{ flow, lsd }`.
 */
export function lsdLoss(ctx: LossContext<LsdLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('lsd', ctx, batch);
  const stop = ctx.options?.stopGradients ?? true;
  return tidyResult(() => {
    const tFlow = drawTime('lsd', 'tFlow', draws, ctx, c.batchSize);
    const z = drawNoise('lsd', 'z', draws, ctx, c.shape);
    const { s, t } = drawTimePair('lsd', draws, ctx, batch, c.batchSize);
    const flow = flowMatchingTerm(ctx, batch, c, z, tFlow);

    const Is = ctx.interpolant.at(s, z, batch.action) as tf.Tensor3D;
    const { map: X, tangent: dXdt } = ctx.flowMap.jvpT(s, t, Is, batch.cond, callOptions(ctx));
    const b = ctx.flowMap.velocity(t, X, batch.cond, callOptions(ctx));
    const lsd = normLoss(tf.sub(dXdt, stop ? stopGradient(b) : b), c.norm, c.lossScale);
    return { loss: tf.add(flow, lsd) as tf.Scalar, terms: { flow, lsd } };
  });
}
