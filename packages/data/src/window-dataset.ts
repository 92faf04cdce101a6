import type { EpisodeStore } from './episode-store.js';
import type { Normalizer } from './normalizer.js';
import { absoluteToRelativeActions, type EefObsLayout, eefPosesFromObs } from './relative-actions.js';
import { createRng, shuffleInPlace } from './rng.js';
import { featureSize, type TensorData } from './tensor-data.js';
import { copyWindow, createWindowIndices, type WindowIndex } from './windows.js';

/** Options of {@link WindowDataset}. */
export interface WindowDatasetOptions {
  /** Prediction horizon H (window length). */
  horizon: number;
  /** Observation steps To; `padBefore = To - 1`. */
  obsSteps: number;
  /** Executed action steps Ta; `padAfter = Ta - 1`. */
  actSteps: number;
  /** Store keys concatenated (in this order) into the observation features. Default `['state']`. */
  obsKeys?: string[];
  /** Store key of the actions. Default `'action'`. */
  actionKey?: string;
  /** Optional normalizers applied to every batch (last axis = observation / action width). */
  normalizers?: { obs?: Normalizer; action?: Normalizer };
  /**
   * Re-express each action chunk relative to the EEF pose read from the raw observation at window
   * index `To - 1` (the reference's `action_type: relative`, spec §7.4). The layout says where the
   * poses sit in the observation features; actions must be `[pos3, rot6d, grip1]` per arm.
   */
  relativeActions?: EefObsLayout;
}

/** A training batch: observations `[B, To, D]` and action chunks `[B, H, A]`. */
export interface WindowBatch {
  obs: TensorData;
  action: TensorData;
}

/** Options of {@link WindowDataset.batches}. */
export interface BatchOptions {
  batchSize: number;
  /** Seed of the per-epoch shuffles. */
  seed: number;
  /** Number of passes over the data; `Infinity` for an endless stream. Default 1. */
  epochs?: number;
  /** Drop the last incomplete batch of each epoch. Default false. */
  dropLast?: boolean;
  /** Shuffle (default true); false yields windows in order, e.g. for evaluation. */
  shuffle?: boolean;
}

/**
 * Windows over an {@link EpisodeStore} as the reference's `SequenceSampler` cuts them (spec §7.1):
 * every window has length H, observations are its first To frames and actions all H frames, and the
 * action aligned with the latest observation has index To-1. Observation features of several keys
 * are flattened per time step and concatenated, so a `[T, 9, 2]` keypoint array contributes 18
 * features.
 */
export class WindowDataset {
  readonly store: EpisodeStore;
  readonly horizon: number;
  readonly obsSteps: number;
  readonly actSteps: number;
  readonly obsKeys: readonly string[];
  readonly actionKey: string;
  readonly indices: readonly WindowIndex[];
  /** Observation width D (sum of per-step widths of `obsKeys`). */
  readonly obsDim: number;
  /** Action width A. */
  readonly actionDim: number;
  readonly normalizers: { obs?: Normalizer; action?: Normalizer };
  readonly relativeActions: EefObsLayout | undefined;

  constructor(store: EpisodeStore, options: WindowDatasetOptions) {
    const { horizon, obsSteps, actSteps } = options;
    if (!Number.isInteger(obsSteps) || obsSteps < 1 || obsSteps > horizon) {
      throw new RangeError(`obsSteps must be an integer in [1, horizon=${horizon}], got ${obsSteps}`);
    }
    this.store = store;
    this.horizon = horizon;
    this.obsSteps = obsSteps;
    this.actSteps = actSteps;
    this.obsKeys = options.obsKeys ?? ['state'];
    this.actionKey = options.actionKey ?? 'action';
    this.obsDim = this.obsKeys.reduce((s, k) => s + featureSize(store.get(k).shape), 0);
    this.actionDim = featureSize(store.get(this.actionKey).shape);
    this.normalizers = options.normalizers ?? {};
    this.relativeActions = options.relativeActions;
    if (this.relativeActions && this.actionDim !== 10 * (this.relativeActions.arms ?? 1)) {
      throw new RangeError(
        `relativeActions needs 10 action features per arm, actions have ${this.actionDim}`,
      );
    }
    if (this.normalizers.obs && this.normalizers.obs.dim !== this.obsDim) {
      throw new RangeError(
        `obs normalizer has width ${this.normalizers.obs.dim}, observations ${this.obsDim}`,
      );
    }
    if (this.normalizers.action && this.normalizers.action.dim !== this.actionDim) {
      throw new RangeError(
        `action normalizer has width ${this.normalizers.action.dim}, actions ${this.actionDim}`,
      );
    }
    this.indices = createWindowIndices(store, { horizon, padBefore: obsSteps - 1, padAfter: actSteps - 1 });
  }

  /** Number of windows. */
  get length(): number {
    return this.indices.length;
  }

  /** Stacks the windows with the given indices into one (normalised) batch. */
  batch(windowIds: readonly number[]): WindowBatch {
    const B = windowIds.length;
    const { horizon: H, obsSteps: To, obsDim: D, actionDim: A } = this;
    let obs: Float32Array = new Float32Array(B * To * D);
    let action: Float32Array = new Float32Array(B * H * A);
    const obsArrays = this.obsKeys.map((k) => this.store.get(k));
    const actArray = this.store.get(this.actionKey);
    const stepBuf = new Float32Array(To * D);
    for (let b = 0; b < B; b++) {
      const id = windowIds[b]!;
      const w = this.indices[id];
      if (!w) throw new RangeError(`window ${id} out of range [0, ${this.length})`);
      copyWindow(actArray.data, A, w, H, action, b * H * A);
      let col = 0;
      for (const arr of obsArrays) {
        const width = featureSize(arr.shape);
        const tmp = new Float32Array(To * width);
        copyWindow(arr.data, width, w, H, tmp, 0, To);
        for (let t = 0; t < To; t++) stepBuf.set(tmp.subarray(t * width, (t + 1) * width), t * D + col);
        col += width;
      }
      obs.set(stepBuf, b * To * D);
      if (this.relativeActions) {
        const poses = eefPosesFromObs(stepBuf.subarray((To - 1) * D, To * D), this.relativeActions);
        const chunk = action.subarray(b * H * A, (b + 1) * H * A);
        chunk.set(absoluteToRelativeActions(chunk, poses));
      }
    }
    if (this.normalizers.obs) obs = this.normalizers.obs.normalize(obs);
    if (this.normalizers.action) action = this.normalizers.action.normalize(action);
    return { obs: { data: obs, shape: [B, To, D] }, action: { data: action, shape: [B, H, A] } };
  }

  /**
   * Seeded batches over `epochs` passes; each epoch is a fresh Fisher-Yates permutation drawn from
   * one xoroshiro128+ stream, so the whole sequence is fixed by `seed`.
   */
  *batches(options: BatchOptions): Generator<WindowBatch> {
    const { batchSize, seed } = options;
    const epochs = options.epochs ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
    if (options.dropLast && this.length < batchSize) {
      throw new RangeError(
        `batchSize ${batchSize} exceeds the ${this.length} windows, and dropLast drops every batch`,
      );
    }
    const rng = createRng(seed);
    const order = Array.from({ length: this.length }, (_, i) => i);
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (options.shuffle !== false) shuffleInPlace(order, rng);
      for (let s = 0; s < order.length; s += batchSize) {
        const ids = order.slice(s, s + batchSize);
        if (ids.length < batchSize && options.dropLast) break;
        yield this.batch(ids);
      }
    }
  }
}
