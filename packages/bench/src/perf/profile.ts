import { Interpolant, RandomStream } from '@mipjs/interpolant';
import type { LossContext } from '@mipjs/losses';
import { createNetwork, FlowMap } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import type { Algorithm } from '../algorithms/algorithm.js';
import { PERF_SHAPE, perfTask } from './measure.js';

/** Time per kernel of one training step's loss and gradients. */
export interface KernelProfile {
  totalMs: number;
  kernels: { name: string; ms: number; calls: number }[];
}

/**
 * Profiles one loss + gradient evaluation (what dominates a train step) with `tf.profile`:
 * wall time per kernel name, summed over calls, sorted by time. One untimed step first.
 * Kernel times are read after each kernel (synchronously on cpu / wasm), so they add up to
 * the step's kernel time; the rest of a step is JS overhead.
 */
export async function profileStep(
  algorithm: Algorithm,
  network: string,
  networkOptions: Record<string, unknown>,
  batch: number,
): Promise<KernelProfile> {
  const shape = PERF_SHAPE;
  const net = createNetwork(network, {
    ...networkOptions,
    horizon: shape.horizon,
    actDim: shape.actDim,
    obsSteps: shape.obsSteps,
    condDim: shape.obsDim,
    seed: 0,
  });
  const teacher = algorithm.needsTeacher ? new FlowMap(net) : undefined;
  const flowMap = new FlowMap(net);
  const host = perfTask(shape).trainBatch(0, 0, batch);
  const action = tf.tensor3d(host.action, [batch, shape.horizon, shape.actDim]);
  const cond = tf.tensor3d(host.obs!, [batch, shape.obsSteps, shape.obsDim]);
  const trainable = net.variables.filter((v) => v.trainable);
  const step = async (i: number) => {
    const ctx: LossContext<Record<string, unknown>> = {
      flowMap,
      teacher,
      interpolant: new Interpolant('linear'),
      rng: new RandomStream(i + 1),
      training: true,
      options: {},
    };
    const { value, grads } = tf.variableGrads(
      () => algorithm.loss(ctx, { action, cond, deltaT: 0.01 }).loss as tf.Scalar,
      trainable,
    );
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  try {
    await step(0);
    const t0 = performance.now();
    const info = await tf.profile(() => step(1));
    const totalMs = performance.now() - t0;
    const by = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = by.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.calls++;
      by.set(k.name, e);
    }
    const kernels = [...by.entries()].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
    return { totalMs, kernels };
  } finally {
    action.dispose();
    cond.dispose();
    net.dispose();
  }
}
