import { accessSync, constants } from 'node:fs';
import { ConfigError, type RunConfig, type TaskName } from './config.js';
import { findExport, MissingExportError, requireExport } from './libs.js';
import { energyDistance, histogramKL, supportFraction } from './metrics.js';
import { type HostBatch, mixSeed, type PolicySampler, type Task, type TaskEvaluation } from './task.js';

/** One line per task for `mipjs info`. */
export const TASK_DESCRIPTIONS: Record<TaskName, string> = {
  checkerboard: '2-D checkerboard (H 1, A 2, no observation); KL, support fraction, energy distance',
  bimodal: 'conditional bimodal 2-D task (H 1, A 2, condition c)',
  recon: 'toy recon (spec §11.1): c -> 1-D sinusoid sum; l1 / l2 error',
  proj: 'toy proj: c -> 8-D piecewise projection; l1 / l2 error',
  lie: 'toy lie: c -> 16-D SO(2) components; l1 / l2 error',
  pusht: 'PushT Zarr replay buffer (--data); validation loss and action MSE on held-out episodes',
  robomimic: 'robomimic HDF5 (--data); validation loss and action MSE on held-out episodes',
  lerobot: 'LeRobot parquet dataset (--data); validation loss and action MSE on held-out episodes',
};

/** Checks what a task needs before anything is written (a readable dataset path). */
export async function checkTaskInput(config: RunConfig): Promise<void> {
  if (config.data) {
    try {
      accessSync(config.data, constants.R_OK);
    } catch {
      throw new ConfigError(`cannot read dataset ${config.data} for task '${config.task}': no such file or directory, or not readable`);
    }
  }
}

/** Interleaved 2-D points from a data-package sampler result. */
function asPoints(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  const v = value as { data?: Float32Array };
  if (v && v.data instanceof Float32Array) return v.data;
  throw new MissingExportError('the @mipjs/data checkerboard sampler returned neither a Float32Array nor { data }');
}

type PointSampler = (n: number, seed: number) => unknown;
type InSupport = (x: number, y: number) => boolean;

/** The 2-D checkerboard: samples from @mipjs/data, metrics from the bench. */
function checkerboardTask(): Task {
  const sample = requireExport<PointSampler>('@mipjs/data', 'sampleCheckerboard', 'checkerboardSample');
  const inside = requireExport<InSupport>('@mipjs/data', 'checkerboardContains', 'inCheckerboard', 'checkerboardInSupport');
  const box = { xmin: -4, xmax: 4, ymin: -4, ymax: 4 };
  return {
    name: 'checkerboard',
    description: TASK_DESCRIPTIONS.checkerboard,
    horizon: 1,
    actDim: 2,
    obsSteps: 0,
    obsDim: 0,
    trainBatch(seed, index, batchSize): HostBatch {
      return { action: asPoints(sample(batchSize, mixSeed(seed, index, 0xda7a))), obs: null };
    },
    async evaluate(policy: PolicySampler, nfe, seed, n): Promise<TaskEvaluation> {
      const model = policy(null, n, nfe, seed);
      const data = asPoints(sample(n, mixSeed(seed, 0, 0xe7a1)));
      const m = Math.min(n, 1500);
      const metrics = {
        kl: histogramKL(model, data, box, 32),
        inSupport: supportFraction(model, inside),
        energy: energyDistance(model.subarray(0, 2 * m), data.subarray(0, 2 * m)),
      };
      const samples2d: number[][] = [];
      for (let i = 0; i < Math.min(n, 1500); i++) samples2d.push([model[2 * i], model[2 * i + 1]]);
      return { metrics, samples2d };
    },
  };
}

interface ToyTaskLike {
  readonly name: string;
  readonly dim: number;
  target(c: number): Float64Array;
}

/** A toy regression task (recon / proj / lie): condition c in [0, 1], horizon 1. */
function toyTask(name: 'recon' | 'proj' | 'lie'): Task {
  const factory = requireExport<() => ToyTaskLike>(
    '@mipjs/data',
    { recon: 'createReconTask', proj: 'createProjectionTask', lie: 'createLieTask' }[name],
  );
  const toy = factory();
  const grid = requireExport<(n: number) => Float64Array>('@mipjs/data', 'toyGrid');
  const train = grid(50);
  const targets = Array.from(train, (c) => toy.target(c));
  return {
    name,
    description: TASK_DESCRIPTIONS[name],
    horizon: 1,
    actDim: toy.dim,
    obsSteps: 1,
    obsDim: 1,
    trainBatch(seed, index, batchSize) {
      const action = new Float32Array(batchSize * toy.dim);
      const obs = new Float32Array(batchSize);
      let z = mixSeed(seed, index, 0x70e);
      for (let i = 0; i < batchSize; i++) {
        z = mixSeed(z, i);
        const k = z % train.length;
        obs[i] = train[k];
        action.set(targets[k], i * toy.dim);
      }
      return { action, obs };
    },
    async evaluate(policy, nfe, seed, n) {
      const cs = grid(n);
      const obs = Float32Array.from(cs);
      const pred = policy(obs, n, nfe, seed);
      let l1 = 0;
      let l2 = 0;
      for (let i = 0; i < n; i++) {
        const t = toy.target(cs[i]);
        for (let d = 0; d < toy.dim; d++) {
          const e = pred[i * toy.dim + d] - t[d];
          l1 += Math.abs(e);
          l2 += e * e;
        }
      }
      const metrics: Record<string, number> = { l1_error: l1 / (n * toy.dim), l2_error: Math.sqrt(l2 / (n * toy.dim)) };
      const extra = findExport<(task: ToyTaskLike, c: Float64Array, pred: Float32Array) => Record<string, number>>(
        '@mipjs/data',
        `${name}Metrics`,
      );
      if (extra) Object.assign(metrics, extra(toy, cs, pred));
      return { metrics };
    },
  };
}

/** Opens the task of a config. */
export async function openTask(config: RunConfig): Promise<Task> {
  await checkTaskInput(config);
  switch (config.task) {
    case 'checkerboard':
      return checkerboardTask();
    case 'recon':
    case 'proj':
    case 'lie':
      return toyTask(config.task);
    default:
      throw new MissingExportError(
        `task '${config.task}' is not wired in this build of the bench: it needs the @mipjs/data ` +
          `${config.task === 'bimodal' ? 'bimodal task' : 'dataset loader and window batches'}, which had not landed when the bench was written`,
      );
  }
}
