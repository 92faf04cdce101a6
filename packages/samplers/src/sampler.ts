import { type Interpolant, RandomStream } from '@mipjs/interpolant';
import type { FlowMap } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import { uniformGrid } from './steps.js';

/** What a sampler needs besides the observation embedding. */
export interface SamplerContext {
  /** The trained flow map (its network gives the velocity b_t(x) = f(x, t, t, c)). */
  flowMap: FlowMap;
  /** The interpolant of training; the two-step samplers re-noise with it. Default: linear. */
  interpolant?: Interpolant;
}

/** How the initial state x_0 is chosen. */
export type SampleStart = 'zero' | 'noise';

/** Options of every sampler. */
export interface SampleOptions {
  /**
   * Number of steps n of the uniform grid linspace(0, 1, n + 1) (ODE and flow-map samplers).
   * Default 1. Ignored by the one-step and two-step samplers (fixed 1 and 2 network calls).
   */
  steps?: number;
  /** An explicit, strictly increasing grid of times from 0 to 1, replacing `steps`. */
  grid?: readonly number[];
  /** Initial state: `'zero'` (default, the reference's YAML) or seeded standard-normal noise. */
  start?: SampleStart;
  /** Seed of the noise start. Default 0. */
  seed?: number;
  /** An explicit initial state `[B, H, A]`, replacing `start` (not disposed by the sampler). */
  x0?: tf.Tensor3D;
  /** Batch size B. Default: the condition's batch size (required when `cond` is null). */
  batch?: number;
  /** Horizon H. Default: the network's. */
  horizon?: number;
  /** Action dimension A. Default: the network's. */
  actDim?: number;
}

/** The sampler contract: `(ctx, obsEmbedding, options) -> [B, H, A]`. */
export type Sampler<O extends SampleOptions = SampleOptions> = (
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options?: O,
) => tf.Tensor3D;

/** The shape [B, H, A] of the sampled actions. */
export function sampleShape(
  name: string,
  ctx: SamplerContext,
  cond: tf.Tensor3D | null,
  options: SampleOptions,
): [number, number, number] {
  if (!ctx?.flowMap) throw new Error(`${name} sampler: ctx.flowMap is missing`);
  if (cond != null && cond.rank !== 3) {
    throw new Error(
      `${name} sampler: cond must have shape [B, To, E] or be null, got [${cond.shape.join(', ')}]`,
    );
  }
  const fromX0 = options.x0?.shape[0];
  const batch = options.batch ?? cond?.shape[0] ?? fromX0;
  if (batch === undefined) {
    throw new Error(`${name} sampler: pass options.batch (the batch size) when cond is null`);
  }
  if (!Number.isInteger(batch) || batch < 1) {
    throw new Error(`${name} sampler: batch must be a positive integer, got ${batch}`);
  }
  if (cond != null && cond.shape[0] !== batch) {
    throw new Error(`${name} sampler: batch is ${batch} but cond has batch size ${cond.shape[0]}`);
  }
  const horizon = options.horizon ?? ctx.flowMap.net.horizon;
  const actDim = options.actDim ?? ctx.flowMap.net.actDim;
  const shape: [number, number, number] = [batch, horizon, actDim];
  if (options.x0) {
    const ok = options.x0.rank === 3 && options.x0.shape.every((d, i) => d === shape[i]);
    if (!ok) {
      throw new Error(
        `${name} sampler: x0 has shape [${options.x0.shape.join(', ')}], expected [B, H, A] = [${shape.join(', ')}]`,
      );
    }
  }
  return shape;
}

/** The initial state: a copy of `x0`, zeros, or seeded N(0, I) noise. The caller owns it. */
export function initialState(
  name: string,
  shape: [number, number, number],
  options: SampleOptions,
): tf.Tensor3D {
  if (options.x0) return tf.clone(options.x0);
  const start = options.start ?? 'zero';
  if (start === 'zero') return tf.zeros(shape) as tf.Tensor3D;
  if (start === 'noise') return new RandomStream(options.seed ?? 0).normal(shape) as tf.Tensor3D;
  throw new Error(`${name} sampler: start must be 'zero' or 'noise', got '${String(start)}'`);
}

/**
 * The time grid: `grid` checked (strictly increasing from 0 to 1), or linspace(0, 1, steps + 1)
 * (reference `np.linspace(0, 1, num_steps + 1)`).
 */
export function timeGrid(name: string, options: Pick<SampleOptions, 'steps' | 'grid'>): number[] {
  const { grid, steps } = options;
  if (grid) {
    const ok =
      grid.length >= 2 &&
      grid[0] === 0 &&
      grid[grid.length - 1] === 1 &&
      grid.every((g, i) => Number.isFinite(g) && (i === 0 || g > grid[i - 1]));
    if (!ok) {
      throw new Error(
        `${name} sampler: grid must be strictly increasing from 0 to 1, got [${grid.join(', ')}]`,
      );
    }
    if (steps !== undefined && steps !== grid.length - 1) {
      throw new Error(`${name} sampler: steps is ${steps} but the grid has ${grid.length - 1} steps`);
    }
    return [...grid];
  }
  const n = steps ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} sampler: steps must be a positive integer, got ${n}`);
  return uniformGrid(n);
}

/** A [B] tensor filled with one time. */
export function timeTensor(batch: number, t: number): tf.Tensor1D {
  return tf.fill([batch], t) as tf.Tensor1D;
}

/**
 * Runs `step(x, s, t)` over consecutive grid times, freeing each intermediate state: only the
 * result stays alive.
 */
export function integrate(
  x0: tf.Tensor3D,
  grid: number[],
  step: (x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, dt: number) => tf.Tensor3D,
): tf.Tensor3D {
  const batch = x0.shape[0];
  let x = x0;
  for (let i = 0; i + 1 < grid.length; i++) {
    const next = tf.tidy(() =>
      step(x, timeTensor(batch, grid[i]), timeTensor(batch, grid[i + 1]), grid[i + 1] - grid[i]),
    );
    x.dispose();
    x = next;
  }
  return x;
}

/** Sampling never trains: dropout off. */
export const EVAL = { training: false } as const;
