import type { Interpolant, RandomStream } from '@mipjs/interpolant';
import type { FlowMap } from '@mipjs/nets';
import type * as tf from '@tensorflow/tfjs-core';
import type { NormOption } from './norm.js';

/** Options every loss understands. */
export interface BaseLossOptions {
  /** Multiplies every term. Default 0.1 (the reference's YAML; its dataclass says 100). */
  lossScale?: number;
  /** Norm over the action axis: `'l2'` (default), `'l1'`, `'smooth_l1'` or a function. */
  norm?: NormOption;
}

/** What a loss needs besides the batch. */
export interface LossContext<O = BaseLossOptions> {
  /** The trained flow map X_{s,t}(x) = x + (t - s) f(x, s, t, c). */
  flowMap: FlowMap;
  /** A frozen velocity (a trained flow-matching model) for ctm and lmd. */
  teacher?: FlowMap;
  /** The interpolant I_t = alpha(t) z + beta(t) a. */
  interpolant: Interpolant;
  /** Source of every draw that is not fixed through {@link LossDraws}. */
  rng: RandomStream;
  /** Training mode (dropout on). Default false. Each network call then gets its own dropout seed. */
  training?: boolean;
  /** The loss's options. */
  options?: O;
}

/** One training batch. */
export interface LossBatch {
  /** Action chunk a: `[B, H, A]` (the data end, t = 1). */
  action: tf.Tensor3D;
  /** Observation embedding `[B, To, E]`, or null (networks read it as zeros). */
  cond: tf.Tensor3D | null;
  /**
   * Cap on the gap t - s of the self-distillation time pair (s = max(s, t - deltaT)); a number or
   * a `[B]` tensor. Default 1, i.e. no cap. Used by ctm, lmd, psd, lsd, esd, mf.
   */
  deltaT?: number | tf.Tensor1D;
}

/**
 * Fixed values of the random quantities. Any one that is given replaces its draw, so every loss
 * can be computed to the digit. Shapes: `z, noise: [B, H, A]`; times `[B]`. Which ones a loss
 * reads is listed in its documentation; the others are ignored.
 */
export interface LossDraws {
  /** The source sample z ~ N(0, I) of the interpolant. */
  z?: tf.Tensor3D;
  /** A second, independent noise n ~ N(0, I) (tsd's reference variant). */
  noise?: tf.Tensor3D;
  /** The flow-matching time t ~ U(0, 1) of `flow`. */
  t?: tf.Tensor1D;
  /** The time pair of the distillation losses: s and t (ordered and then clamped by deltaT). */
  s?: tf.Tensor1D;
  /** Fraction h ~ U(0, 1) of psd's intermediate time u = s + h (t - s). */
  h?: tf.Tensor1D;
  /** The time of the flow-matching term L_b of psd, lsd, esd, mf. */
  tFlow?: tf.Tensor1D;
}

/** A loss value and its parts. */
export interface LossResult {
  /** The scalar to minimise (the sum of the terms). */
  loss: tf.Scalar;
  /**
   * The parts of the loss, already scaled by lossScale: `flow` (the flow-matching term L_b) and the
   * distillation term named after the loss (`psd`, `lsd`, `esd`, `mf`), `step0`/`step1` for the
   * two-step losses, or a single term named after the loss.
   */
  terms: Record<string, tf.Scalar>;
}

/** The loss contract: `(ctx, batch, draws?) -> { loss, terms }`. */
export type LossFn<O = BaseLossOptions> = (
  ctx: LossContext<O>,
  batch: LossBatch,
  draws?: LossDraws,
) => LossResult;
