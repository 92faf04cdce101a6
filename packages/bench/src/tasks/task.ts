/**
 * What the trainer and the evaluator need from a task. Tasks live in tasks.ts (built on
 * @mipjs/data); everything here is typed arrays, the trainer makes the tensors.
 */

/** A training batch: actions `[B, H, A]` and observations `[B, To, D]` (or null), flattened. */
export interface HostBatch {
  action: Float32Array;
  obs: Float32Array | null;
}

/**
 * Samples a policy: given flattened observations of `count` samples (or null), returns actions
 * `[count, H, A]` flattened, drawn with `nfe` network evaluations (the sampler's steps).
 * Asynchronous: the actions are read with `await data()` (WebGPU in Node has no synchronous read).
 */
export type PolicySampler = (
  obs: Float32Array | null,
  count: number,
  nfe: number,
  seed: number,
) => Promise<Float32Array>;

/** Result of evaluating a policy at one NFE. */
export interface TaskEvaluation {
  metrics: Record<string, number>;
  /** A few 2-D samples `[x, y]` for the report (2-D tasks only). */
  samples2d?: number[][];
}

/** A task: shapes, seeded training batches, and an evaluation with the task's metrics. */
export interface Task {
  readonly name: string;
  readonly description: string;
  /** Prediction horizon H. */
  readonly horizon: number;
  /** Action dimension A. */
  readonly actDim: number;
  /** Observation steps To (0 when the task has no observation). */
  readonly obsSteps: number;
  /** Observation width D (0 when the task has no observation). */
  readonly obsDim: number;
  /**
   * Set when the task's actions are relative to the EEF pose of the latest observation (robomimic
   * `relative`): the run's policy.json records it and @mipjs/policy maps chunks back to absolute.
   */
  readonly actionFrame?: { kind: 'eef_relative'; objectDim: number; arms: number };
  /**
   * Reads what {@link trainBatch} needs for (seed, index, batchSize) from disk (tasks that load
   * lazily, as the image task's frames); the trainer awaits it before each `trainBatch`.
   */
  prepareBatch?(seed: number, index: number, batchSize: number): Promise<void>;
  /** A deterministic batch for (seed, index): the same arguments give the same batch. */
  trainBatch(seed: number, index: number, batchSize: number): HostBatch;
  /**
   * Held-out data for the validation loss (dataset tasks): a fixed batch of at most `max`
   * windows, and how many it holds.
   */
  validationBatch?(max: number): { batch: HostBatch; count: number };
  /** Evaluates a policy at one NFE (seeded). */
  evaluate(sample: PolicySampler, nfe: number, seed: number, samples: number): Promise<TaskEvaluation>;
  /** Writes what a run folder needs to reuse the task (the dataset normalizers); returns the paths. */
  writeArtifacts?(dir: string): Promise<string[]>;
  /** Frees loaders / file handles. */
  close?(): void;
}

/** SplitMix32-style mixing of a run seed with an index (a step or a sample counter). */
export function mixSeed(seed: number, index: number, salt = 0): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((index + 1) >>> 0, 0x85ebca77) ^ salt) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
