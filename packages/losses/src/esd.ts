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

/** Options of {@link esdLoss}. */
export interface EsdLossOptions extends BaseLossOptions {
  /**
   * `'page'` (default): transport by b_s(I_s). `'reference'`: the reference code's
   * b_t(X_{s,t}(I_s)) (end time, mapped point).
   */
  variant?: 'page' | 'reference';
  /** Stop the gradient through the transport velocity v (the reference computes it under no_grad). Default true. */
  stopGradients?: boolean;
}

/** The options of {@link esdLoss} as JSON (`--loss-options`, a config file) may set them. */
export const ESD_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
  variant: { type: 'enum', values: ['page', 'reference'] },
  stopGradients: { type: 'boolean' },
};

/**
 * Eulerian self-distillation (`esd`, arXiv 2505.18825).
 *
 * $$
 * \begin{aligned}
 * L &= L_b + L_D, \\
 * L_b &= \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(b_{t'}(I_{t'}) - \dot I_{t'}\big)\big] \quad \text{(flow term, } t' = \mathrm{tFlow}\text{)}, \\
 * L_D &= \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(\partial_s X_{s,t}(I_s) + \nabla_x X_{s,t}(I_s) \cdot \operatorname{sg}(v)\big)\big], \qquad v = b_s(I_s) \text{ (the architecture page's form)}.
 * \end{aligned}
 * $$
 *
 * An exact flow map is constant along trajectories, d/ds X_{s,t}(x_s) = 0, i.e.
 * dX/ds + grad_x X · b_s = 0, so L_D vanishes there. The residual is the derivative of X along
 * (ds, dx) = (1, v), one `FlowMap.jvp` pass (not `jvpS` plus `jvpX`). The reference code uses
 * v = b_t(X_{s,t}(I_s)) instead (spec §12.6), which vanishes at the exact map only where the
 * velocity is constant along trajectories: `variant: 'reference'`.
 *
 * Draws (in this order): `tFlow: [B]`, `z: [B, H, A]`, `s`, `t: [B]`. Terms: `{ flow, esd }`.
 */
export function esdLoss(ctx: LossContext<EsdLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('esd', ctx, batch);
  const { variant = 'page', stopGradients = true } = ctx.options ?? {};
  if (variant !== 'page' && variant !== 'reference') {
    throw new Error(`esd loss: variant must be 'page' or 'reference', got '${variant}'`);
  }
  return tidyResult(() => {
    const tFlow = drawTime('esd', 'tFlow', draws, ctx, c.batchSize);
    const z = drawNoise('esd', 'z', draws, ctx, c.shape);
    const { s, t } = drawTimePair('esd', draws, ctx, batch, c.batchSize);
    const flow = flowMatchingTerm(ctx, batch, c, z, tFlow);

    const Is = ctx.interpolant.at(s, z, batch.action) as tf.Tensor3D;
    const mapOptions = callOptions(ctx);
    const v0 =
      variant === 'page'
        ? ctx.flowMap.velocity(s, Is, batch.cond, callOptions(ctx))
        : ctx.flowMap.velocity(
            t,
            ctx.flowMap.map(s, t, Is, batch.cond, mapOptions),
            batch.cond,
            callOptions(ctx),
          );
    const v = stopGradients ? stopGradient(v0) : v0;
    // dX/ds + grad_x X · v is the derivative of X along (ds, dx) = (1, v): one forward-mode pass.
    const { tangent: residual } = ctx.flowMap.jvp(
      s,
      t,
      Is,
      batch.cond,
      { s: tf.onesLike(s), x: v },
      mapOptions,
    );
    const esd = normLoss(residual, c.norm, c.lossScale);
    return { loss: tf.add(flow, esd) as tf.Scalar, terms: { flow, esd } };
  });
}
