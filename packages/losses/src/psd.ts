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
  intermediateTime,
  perSample,
  tidyResult,
} from './internal.js';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws, LossResult } from './loss.js';
import { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
import { normLoss } from './norm.js';

/** Options of {@link psdLoss}. */
export interface PsdLossOptions extends BaseLossOptions {
  /**
   * `'page'` (default): the velocity form of the page's map identity, teacher
   * h f_{s,u} + (1 - h) f_{u,t}. `'reference'`: the reference code's weights (1 - h) f_{s,u} + h f_{u,t}.
   */
  variant?: 'page' | 'reference';
  /** Stop the gradient through the teacher. Default true for `'page'`, false for `'reference'`. */
  stopGradients?: boolean;
}

/** The options of {@link psdLoss} as JSON (`--loss-options`, a config file) may set them. */
export const PSD_LOSS_OPTIONS_SCHEMA: OptionsSchema = {
  ...BASE_LOSS_OPTIONS_SCHEMA,
  variant: { type: 'enum', values: ['page', 'reference'] },
  stopGradients: { type: 'boolean' },
};

/**
 * Progressive self-distillation (`psd`, arXiv 2505.18825).
 *
 * $$
 * \begin{aligned}
 * L &= L_b + L_D, \\
 * L_b &= \mathrm{lossScale}\, \mathbb{E}\big[\operatorname{norm}\big(b_{t'}(I_{t'}) - \dot I_{t'}\big)\big] \quad \text{(flow term, } t' = \mathrm{tFlow}\text{)}, \\
 * L_D \text{ (architecture page)} &= \mathbb{E}\big[\lVert X_{s,t}(I_s) - X_{u,t}(X_{s,u}(I_s)) \rVert^2\big], \qquad u = s + h\,(t - s).
 * \end{aligned}
 * $$
 *
 * Writing X_{s,t}(x) = x + (t - s) f_{s,t}(x), the composition is
 * x + (t - s) [h f_{s,u}(x) + (1 - h) f_{u,t}(X_{s,u}(x))], so L_D = (t - s)^2 || f_{s,t} - teacher ||^2.
 * This loss uses the velocity form of the cited paper, without the (t - s)^2 factor and with its
 * stop-gradient on the teacher:
 *
 * $$
 * L_D = \mathrm{lossScale}\, \mathbb{E}\Big[\operatorname{norm}\Big(f(I_s, s, t) - \operatorname{sg}\big(h\, f(I_s, s, u) + (1 - h)\, f(X_{s,u}(I_s), u, t)\big)\Big)\Big].
 * $$
 *
 * The reference code weights the teacher (1 - h) f_{s,u} + h f_{u,t} with the same u (which
 * vanishes for an exact flow map only when f does not depend on its end time) and detaches
 * nothing: `variant: 'reference'` reproduces it. `stopGradients` overrides the default.
 * The same z feeds L_b and I_s = alpha(s) z + beta(s) a.
 *
 * Draws (in this order): `tFlow: [B]`, `z: [B, H, A]`, `s`, `t`, `h: [B]`. Terms: `{ flow, psd }`.
 */
export function psdLoss(ctx: LossContext<PsdLossOptions>, batch: LossBatch, draws?: LossDraws): LossResult {
  const c = common('psd', ctx, batch);
  const { variant = 'page' } = ctx.options ?? {};
  if (variant !== 'page' && variant !== 'reference') {
    throw new Error(`psd loss: variant must be 'page' or 'reference', got '${variant}'`);
  }
  const stop = ctx.options?.stopGradients ?? variant === 'page';
  return tidyResult(() => {
    const tFlow = drawTime('psd', 'tFlow', draws, ctx, c.batchSize);
    const z = drawNoise('psd', 'z', draws, ctx, c.shape);
    const { s, t } = drawTimePair('psd', draws, ctx, batch, c.batchSize);
    const h = drawTime('psd', 'h', draws, ctx, c.batchSize);
    const flow = flowMatchingTerm(ctx, batch, c, z, tFlow);

    const u = intermediateTime(s, t, h);
    const Is = ctx.interpolant.at(s, z, batch.action) as tf.Tensor3D;
    const student = ctx.flowMap.net.apply(Is, s, t, batch.cond, callOptions(ctx));
    const { map: Xsu, velocity: fsu } = ctx.flowMap.mapAndVelocity(s, u, Is, batch.cond, callOptions(ctx));
    const fut = ctx.flowMap.net.apply(Xsu, u, t, batch.cond, callOptions(ctx));
    const hb = perSample(h);
    const oneMinusH = tf.sub(1, hb);
    const teacher =
      variant === 'page'
        ? tf.add(tf.mul(hb, fsu), tf.mul(oneMinusH, fut))
        : tf.add(tf.mul(oneMinusH, fsu), tf.mul(hb, fut));
    const psd = normLoss(tf.sub(student, stop ? stopGradient(teacher) : teacher), c.norm, c.lossScale);
    return { loss: tf.add(flow, psd) as tf.Scalar, terms: { flow, psd } };
  });
}
