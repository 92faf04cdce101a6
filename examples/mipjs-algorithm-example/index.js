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

/**
 * A user network (`--network example_mlp --network-package mipjs-algorithm-example`): the
 * `Network` interface of @mipjs/nets written out with tfjs-core ops only:
 *
 *   h = tanh([s, t, flatten(cond)] W_c + b_c),   y[h, :] = x[h, :] W_x + (h W_o)[h, :] + b,
 *
 * i.e. a per-step linear map of the noisy chunk plus a chunk-wide offset read from the times and
 * the condition. `config` holds every option, so `create(net.config)` rebuilds it (the bench's
 * EMA copy and @mipjs/policy's loader rebuild it that way).
 */
export const exampleNetwork = {
  kind: 'example_mlp',
  description: 'one tanh layer on (s, t, cond) plus a per-step linear map of x (example package)',
  /** @param {Record<string, unknown>} options horizon, actDim, obsSteps, condDim, seed, hidden (16) */
  create(options) {
    const { horizon, actDim, obsSteps, condDim } = /** @type {Record<string, number>} */ (options);
    for (const [k, v] of Object.entries({ horizon, actDim, obsSteps, condDim }))
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`example_mlp: option ${k} must be a positive integer, got ${v}`);
    const hidden = /** @type {number} */ (options.hidden ?? 16);
    const seed = /** @type {number} */ (options.seed ?? 0);
    const inDim = 2 + obsSteps * condDim;
    // Glorot-style scales, each variable its own seed; tidy frees the initial values (a variable
    // holds its own copy; tidy never disposes variables).
    const init = (shape, fanIn, k) =>
      tf.variable(tf.randomNormal(shape, 0, 1 / Math.sqrt(fanIn), 'float32', seed * 7 + k));
    const variables = tf.tidy(() => [
      init([inDim, hidden], inDim, 1),
      tf.variable(tf.zeros([hidden])),
      init([hidden, horizon * actDim], hidden, 2),
      init([actDim, actDim], actDim, 3),
      tf.variable(tf.zeros([actDim])),
    ]);
    const [wc, bc, wo, wx, b] = variables;
    return {
      kind: 'example_mlp',
      config: { horizon, actDim, obsSteps, condDim, hidden, seed },
      horizon,
      actDim,
      obsSteps,
      condDim,
      variables,
      namedVariables: ['wc', 'bc', 'wo', 'wx', 'b'].map((name, i) => ({ name, variable: variables[i] })),
      apply(x, s, t, cond) {
        return tf.tidy(() => {
          const B = x.shape[0];
          const c = cond ? tf.reshape(cond, [B, obsSteps * condDim]) : tf.zeros([B, obsSteps * condDim]);
          const f = tf.concat([tf.reshape(s, [B, 1]), tf.reshape(t, [B, 1]), c], 1);
          const h = tf.tanh(tf.add(tf.matMul(f, wc), bc));
          const offset = tf.reshape(tf.matMul(h, wo), [B, horizon, actDim]);
          const lin = tf.reshape(tf.matMul(tf.reshape(x, [B * horizon, actDim]), wx), [B, horizon, actDim]);
          return /** @type {tf.Tensor3D} */ (tf.add(tf.add(lin, offset), b));
        });
      },
      dispose() {
        for (const v of variables) v.dispose();
      },
    };
  },
};

/** The networks of this package, read by the bench's `--network-package`. */
export const networks = [exampleNetwork];

/**
 * A user observation encoder (`--encoder example_mean --encoder-package mipjs-algorithm-example`):
 * the mean observation over the To steps through one linear layer, repeated at every step,
 *
 *   e = (1/To sum_k o_k) W + b,   out[k] = e   (k = 1..To),  shape [B, To, embDim].
 */
export const exampleEncoder = {
  kind: 'example_mean',
  description: 'mean over the observation steps, one linear layer (example package)',
  /** @param {Record<string, unknown>} options obsDim, obsSteps, embDim, seed */
  create(options) {
    const { obsDim, obsSteps } = /** @type {Record<string, number>} */ (options);
    const embDim = /** @type {number} */ (options.embDim ?? 16);
    const seed = /** @type {number} */ (options.seed ?? 0);
    for (const [k, v] of Object.entries({ obsDim, obsSteps, embDim }))
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`example_mean: option ${k} must be a positive integer, got ${v}`);
    // tidy frees the initial values (a variable holds its own copy; tidy never disposes variables).
    const [w, b] = tf.tidy(() => [
      tf.variable(tf.randomNormal([obsDim, embDim], 0, 1 / Math.sqrt(obsDim), 'float32', seed * 7 + 5)),
      tf.variable(tf.zeros([embDim])),
    ]);
    return {
      kind: 'example_mean',
      config: { obsDim, obsSteps, embDim, seed },
      obsDim,
      obsSteps,
      embDim,
      variables: [w, b],
      namedVariables: [
        { name: 'w', variable: w },
        { name: 'b', variable: b },
      ],
      encode(obs) {
        return tf.tidy(() => {
          const e = tf.add(tf.matMul(tf.mean(obs, 1), w), b); // [B, embDim]
          return /** @type {tf.Tensor3D} */ (tf.tile(tf.expandDims(e, 1), [1, obsSteps, 1]));
        });
      },
      dispose() {
        w.dispose();
        b.dispose();
      },
    };
  },
};

/** The encoders of this package, read by the bench's `--encoder-package`. */
export const encoders = [exampleEncoder];

/** A 32-bit integer hash of (seed, index) to [0, 1) (deterministic batches without a generator). */
function unitHash(seed, index) {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((index + 1) >>> 0, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
}

/**
 * A user task (`--task example_parabola --task-package mipjs-algorithm-example`): the condition
 * c in [-1, 1] (To 1, D 1) determines the action a = (c, c^2) (H 1, A 2); evaluated by the mean
 * absolute error over an even grid of c (`l1_error`, 0 for a perfect policy).
 */
export const exampleTask = {
  name: 'example_parabola',
  description: 'c in [-1, 1] -> a = (c, c^2); l1 error (example package)',
  open() {
    const target = (c) => [c, c * c];
    return {
      name: 'example_parabola',
      description: exampleTask.description,
      horizon: 1,
      actDim: 2,
      obsSteps: 1,
      obsDim: 1,
      trainBatch(seed, index, batchSize) {
        const action = new Float32Array(batchSize * 2);
        const obs = new Float32Array(batchSize);
        for (let i = 0; i < batchSize; i++) {
          const c = 2 * unitHash(seed, index * batchSize + i) - 1;
          obs[i] = c;
          action.set(target(c), 2 * i);
        }
        return { action, obs };
      },
      async evaluate(policy, nfe, seed, n) {
        const cs = Float32Array.from({ length: n }, (_, i) => (n === 1 ? 0 : -1 + (2 * i) / (n - 1)));
        const pred = await policy(cs, n, nfe, seed);
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const [a0, a1] = target(cs[i]);
          sum += Math.abs(pred[2 * i] - a0) + Math.abs(pred[2 * i + 1] - a1);
        }
        return { metrics: { l1_error: sum / (2 * n) } };
      },
    };
  },
};

/** The tasks of this package, read by the bench's `--task-package`. */
export const tasks = [exampleTask];
