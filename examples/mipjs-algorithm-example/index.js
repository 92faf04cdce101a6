// An external mip.js algorithm: plain ESM, so the package needs no build step.
import { resolveNorm } from '@mipjs/losses';
import { eulerSampler, FLOW_DEFAULT_STEPS } from '@mipjs/samplers';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Time-weighted flow matching (`weighted_flow`):
 *
 *   L = lossScale * E[ w(t) norm( b_t(I_t) - dI_t/dt ) ],  w(t) = 1 + gamma t,  t ~ U(0, 1),
 *
 * i.e. the flow-matching loss with more weight near the data end (gamma = options.gamma, default 1).
 * Built from the same primitives as the built-in losses: the context's interpolant, flow map and
 * random stream, and the norms of @mipjs/losses.
 */
export function weightedFlowLoss(ctx, batch, draws) {
  const options = ctx.options ?? {};
  const lossScale = options.lossScale ?? 0.1;
  const gamma = options.gamma ?? 1;
  const norm = resolveNorm(options.norm);
  return tf.tidy(() => {
    const a = batch.action;
    const B = a.shape[0];
    const t = draws?.t ?? ctx.rng.uniform([B]);
    const z = draws?.z ?? ctx.rng.normal(a.shape);
    const It = ctx.interpolant.at(t, z, a);
    const target = ctx.interpolant.velocity(t, z, a);
    const opts = ctx.training ? { training: true, dropoutSeed: ctx.rng.nextSeed() } : { training: false };
    const pred = ctx.flowMap.velocity(t, It, batch.cond, opts);
    const perSample = tf.mean(norm(tf.sub(pred, target)), -1); // [B]
    const w = tf.add(1, tf.mul(gamma, t));
    const flow = tf.mul(tf.mean(tf.mul(w, perSample)), lossScale);
    return { loss: flow, terms: { weighted_flow: tf.clone(flow) } };
  });
}

/** The algorithm entry: the same shape as the bench's built-ins. */
export const weightedFlow = {
  name: 'weighted_flow',
  loss: weightedFlowLoss,
  sampler: eulerSampler,
  defaultSteps: [...FLOW_DEFAULT_STEPS],
  description: 'flow matching weighted by 1 + gamma t (example package)',
};

export const algorithms = [weightedFlow];
export default algorithms;
