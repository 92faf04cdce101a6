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
/** @type {import('@mipjs/losses').LossFn<import('./index.js').WeightedFlowOptions>} */
export const weightedFlowLoss = (ctx, batch, draws) => {
  const options = ctx.options ?? {};
  const lossScale = options.lossScale ?? 0.1;
  const gamma = options.gamma ?? 1;
  const norm = resolveNorm(options.norm);
  return tf.tidy(() => {
    const a = batch.action;
    const B = a.shape[0];
    const t = /** @type {tf.Tensor1D} */ (draws?.t ?? ctx.rng.uniform([B]));
    const z = draws?.z ?? ctx.rng.normal(a.shape);
    const It = /** @type {tf.Tensor3D} */ (ctx.interpolant.at(t, z, a));
    const target = ctx.interpolant.velocity(t, z, a);
    const opts = ctx.training ? { training: true, dropoutSeed: ctx.rng.nextSeed() } : { training: false };
    const pred = ctx.flowMap.velocity(t, It, batch.cond, opts);
    const perSample = tf.mean(norm(tf.sub(pred, target)), -1); // [B]
    const w = tf.add(1, tf.mul(gamma, t));
    const flow = /** @type {tf.Scalar} */ (tf.mul(tf.mean(tf.mul(w, perSample)), lossScale));
    return { loss: flow, terms: { weighted_flow: tf.clone(flow) } };
  });
};

/**
 * The algorithm entry: the same shape as the bench's built-ins. The type comes from the bench,
 * which this package is installed next to (it is not a dependency: the bench loads the package).
 *
 * @type {import('@mipjs/bench').Algorithm}
 */
export const weightedFlow = {
  name: 'weighted_flow',
  loss: weightedFlowLoss,
  sampler: eulerSampler,
  defaultSteps: [...FLOW_DEFAULT_STEPS],
  description: 'flow matching weighted by 1 + gamma t (example package)',
};

/** @type {import('@mipjs/bench').Algorithm[]} */
export const algorithms = [weightedFlow];
export default algorithms;

/**
 * A user interpolant schedule (`--interpolant quadratic --interpolant-package mipjs-algorithm-example`),
 * the `Schedule` interface of @mipjs/interpolant:
 *
 *   I_t = alpha(t) x0 + beta(t) x1,  alpha = 1 - t^2,  beta = t^2,  alphaDot = -2t,  betaDot = 2t,
 *
 * so the path leaves the noise end slowly (dI/dt = 0 at t = 0) and reaches the data at t = 1.
 *
 * @type {import('./index.js').ScheduleLike}
 */
export const quadraticSchedule = {
  name: 'quadratic',
  alpha: (t) => tf.tidy(() => tf.sub(1, tf.square(t))),
  beta: (t) => tf.square(t),
  alphaDot: (t) => tf.mul(t, -2),
  betaDot: (t) => tf.mul(t, 2),
};

/** The schedules of this package, read by the bench's `--interpolant-package`. */
export const schedules = [quadraticSchedule];
