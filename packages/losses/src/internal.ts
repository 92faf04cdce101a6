import { clampTimePair, intermediateTime, type TimePair } from '@mipjs/interpolant';
import type { ApplyOptions } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import type { BaseLossOptions, LossBatch, LossContext, LossDraws } from './loss.js';
import { type NormFn, normLoss, resolveNorm } from './norm.js';

/** Defaults of the optimisation (the reference's YAML). */
export const DEFAULT_LOSS_SCALE = 0.1;
export const DEFAULT_T_STAR = 0.9;
export const DEFAULT_DISCRETE_DT = 0.01;

export interface Common {
  lossScale: number;
  norm: NormFn;
  batchSize: number;
  /** [B, H, A] of the action chunk. */
  shape: [number, number, number];
}

/** Validates the batch and the options shared by every loss. */
export function common(name: string, ctx: LossContext<BaseLossOptions>, batch: LossBatch): Common {
  if (!ctx?.flowMap) throw new Error(`${name} loss: ctx.flowMap is missing`);
  if (!ctx.interpolant) throw new Error(`${name} loss: ctx.interpolant is missing`);
  if (!ctx.rng) throw new Error(`${name} loss: ctx.rng is missing`);
  const { action, cond } = batch;
  if (action?.rank !== 3) {
    throw new Error(
      `${name} loss: batch.action must have shape [B, H, A], got ${action ? `[${action.shape.join(', ')}]` : action}`,
    );
  }
  const [B, H, A] = action.shape;
  if (cond != null && (cond.rank !== 3 || cond.shape[0] !== B)) {
    throw new Error(
      `${name} loss: batch.cond must have shape [${B}, To, E] or be null, got [${cond.shape.join(', ')}]`,
    );
  }
  const options = ctx.options ?? {};
  const lossScale = options.lossScale ?? DEFAULT_LOSS_SCALE;
  if (typeof lossScale !== 'number' || !Number.isFinite(lossScale)) {
    throw new Error(`${name} loss: lossScale must be a finite number, got ${lossScale}`);
  }
  return { lossScale, norm: resolveNorm(options.norm), batchSize: B, shape: [B, H, A] };
}

export function checkTStar(name: string, tStar: number): number {
  if (typeof tStar !== 'number' || !(tStar > 0 && tStar < 1)) {
    throw new Error(`${name} loss: tStar must be in (0, 1), got ${tStar}`);
  }
  return tStar;
}

export function requireTeacher(name: string, ctx: LossContext<unknown>) {
  if (!ctx.teacher) {
    throw new Error(
      `${name} loss needs a teacher velocity: set ctx.teacher to the FlowMap of a trained (frozen) flow-matching network`,
    );
  }
  return ctx.teacher;
}

function checkShape(name: string, key: string, given: tf.Tensor, expected: number[], labels: string): void {
  const ok = given.rank === expected.length && given.shape.every((d, i) => d === expected[i]);
  if (!ok) {
    throw new Error(
      `${name} loss: draws.${key} has shape [${given.shape.join(', ')}], expected [${labels}] = [${expected.join(', ')}]`,
    );
  }
}

/** A [B, H, A] draw (z or noise): the given one after a shape check, else a fresh N(0, I). */
export function drawNoise(
  name: string,
  key: 'z' | 'noise',
  draws: LossDraws | undefined,
  ctx: LossContext<unknown>,
  shape: [number, number, number],
): tf.Tensor3D {
  const given = draws?.[key];
  if (given) {
    checkShape(name, key, given, shape, 'B, H, A');
    return given;
  }
  return ctx.rng.normal(shape) as tf.Tensor3D;
}

/** A [B] time draw: the given one after a shape check, else a fresh U(0, 1). */
export function drawTime(
  name: string,
  key: 't' | 's' | 'h' | 'tFlow',
  draws: LossDraws | undefined,
  ctx: LossContext<unknown>,
  batchSize: number,
): tf.Tensor1D {
  const given = draws?.[key];
  if (given) {
    checkShape(name, key, given, [batchSize], 'B');
    return given;
  }
  return ctx.rng.uniform([batchSize]) as tf.Tensor1D;
}

/**
 * The ordered pair of the distillation losses (reference §3.3): u1, u2 ~ U(0, 1),
 * s = min, t = max, then s = max(s, t - deltaT). Given `draws.s`/`draws.t` replace u1/u2 (the
 * ordering and the clamp still apply; for s <= t and no deltaT they are used as they are).
 */
export function drawTimePair(
  name: string,
  draws: LossDraws | undefined,
  ctx: LossContext<unknown>,
  batch: LossBatch,
  batchSize: number,
): TimePair {
  const u1 = drawTime(name, 's', draws, ctx, batchSize);
  const u2 = drawTime(name, 't', draws, ctx, batchSize);
  const deltaT = batch.deltaT ?? 1;
  if (typeof deltaT === 'number') {
    if (!(deltaT >= 0)) throw new Error(`${name} loss: batch.deltaT must be >= 0, got ${deltaT}`);
  } else if (deltaT.rank !== 1 || deltaT.shape[0] !== batchSize) {
    throw new Error(
      `${name} loss: batch.deltaT must be a number or have shape [B] = [${batchSize}], got [${deltaT.shape.join(', ')}]`,
    );
  }
  return clampTimePair(u1, u2, deltaT);
}

export { intermediateTime };

/** Options of one network call; in training each call gets its own dropout seed from the stream. */
export function callOptions(ctx: LossContext<unknown>): ApplyOptions {
  return ctx.training ? { training: true, dropoutSeed: ctx.rng.nextSeed() } : { training: false };
}

/** A [B] tensor filled with a constant time. */
export function constantTime(batchSize: number, value: number): tf.Tensor1D {
  return tf.fill([batchSize], value) as tf.Tensor1D;
}

/**
 * The flow-matching term L_b = lossScale * mean(norm(b_t(I_t) - dI_t/dt)) with I_t = alpha(t) z
 * + beta(t) a. Shared by `flow` and the self-distillation losses.
 */
export function flowMatchingTerm(
  ctx: LossContext<unknown>,
  batch: LossBatch,
  c: Common,
  z: tf.Tensor3D,
  t: tf.Tensor1D,
): tf.Scalar {
  const It = ctx.interpolant.at(t, z, batch.action) as tf.Tensor3D;
  const target = ctx.interpolant.velocity(t, z, batch.action);
  const pred = ctx.flowMap.velocity(t, It, batch.cond, callOptions(ctx));
  return normLoss(tf.sub(pred, target), c.norm, c.lossScale);
}

/** [B] -> [B, 1, 1], to scale a [B, H, A] tensor per sample. */
export function perSample(v: tf.Tensor1D): tf.Tensor3D {
  return tf.reshape(v, [-1, 1, 1]) as tf.Tensor3D;
}

/** Runs a loss body in a tidy scope and returns `{loss, terms}` kept. */
export function tidyResult(body: () => { loss: tf.Scalar; terms: Record<string, tf.Scalar> }) {
  return tf.tidy(body) as { loss: tf.Scalar; terms: Record<string, tf.Scalar> };
}
