// tasks/ owns the tasks: the Task contract, toy tasks, dataset tasks and their metrics.
import { accessSync, constants } from 'node:fs';
import {
  bimodalMetrics,
  checkerboardCellCoverage,
  checkerboardSupportFraction,
  sampleCheckerboard,
  sampleConditionalBimodal,
} from '@mipjs/data';
import { ConfigError, fieldLabel, type RunConfig, type TaskName } from '../config/config.js';
import { notLoaded, pluginTask, resolvePlugins } from '../plugins/plugins.js';
import { type DatasetTaskOptions, openDatasetTask } from './dataset-task.js';
import { energyDistance, histogramKL } from './metrics.js';
import { openPushTImageTask } from './pusht-image-task.js';
import { type HostBatch, mixSeed, type PolicySampler, type Task, type TaskEvaluation } from './task.js';
import { toyTask } from './toy-task.js';

/** One line per task for `mipjs info`. */
export const TASK_DESCRIPTIONS: Record<TaskName, string> = {
  checkerboard:
    '2-D checkerboard (H 1, A 2, no observation); KL, support fraction, support-cell coverage, energy distance',
  bimodal: 'conditional bimodal 2-D task (H 1, A 2, condition c)',
  recon: 'toy recon (spec §11.1): c -> 1-D sinusoid sum; l1 / l2 error',
  proj: 'toy proj: c -> 8-D piecewise projection; l1 / l2 error',
  lie: 'toy lie: c -> 16-D SO(2) components; l1 / l2 error',
  pusht: 'PushT Zarr replay buffer (--data), state observations (5-D); closed-loop score in the PushT env',
  pusht_keypoint:
    'PushT Zarr replay buffer (--data), keypoint observations (9 keypoints + agent, 20-D); closed-loop score in the PushT env',
  pusht_image:
    'PushT Zarr directory with data/img (--data), 96 x 96 frames + agent position, ResNet-18 image encoder; closed-loop score from rendered frames',
  robomimic: 'robomimic HDF5 (--data); validation loss and action MSE on held-out episodes',
  lerobot: 'LeRobot parquet dataset (--data); validation loss and action MSE on held-out episodes',
};

/** Checks what a task needs before anything is written (a readable dataset path). */
export async function checkTaskInput(config: RunConfig): Promise<void> {
  if (config.actionSpace !== 'absolute' && config.task !== 'robomimic') {
    throw new ConfigError(
      `${fieldLabel(config, 'actionSpace')} '${config.actionSpace}': only task 'robomimic' has delta / relative action spaces (task '${config.task}')`,
    );
  }
  if (config.data) {
    try {
      accessSync(config.data, constants.R_OK);
    } catch {
      throw new ConfigError(
        `cannot read dataset ${config.data} for task '${config.task}': no such file or directory, or not readable`,
      );
    }
  }
}

/** The 2-D checkerboard of @mipjs/data ([-1, 1]^2, 8 of 16 cells), metrics of spec §11-style. */
function checkerboardTask(): Task {
  const box = { xmin: -1, xmax: 1, ymin: -1, ymax: 1 };
  return {
    name: 'checkerboard',
    description: TASK_DESCRIPTIONS.checkerboard,
    horizon: 1,
    actDim: 2,
    obsSteps: 0,
    obsDim: 0,
    trainBatch(seed, index, batchSize): HostBatch {
      return {
        action: sampleCheckerboard(batchSize, { seed: mixSeed(seed, index, 0xda7a) }).data,
        obs: null,
      };
    },
    async evaluate(policy: PolicySampler, nfe, seed, n): Promise<TaskEvaluation> {
      const model = await policy(null, n, nfe, seed);
      const data = sampleCheckerboard(n, { seed: mixSeed(seed, 0, 0xe7a1) }).data;
      const m = Math.min(n, 1500);
      const metrics = {
        kl: histogramKL(model, data, box, 16),
        inSupport: checkerboardSupportFraction(model),
        // A policy collapsed to one point scores inSupport 1 if the point is in a support cell;
        // coverage tells spread from collapse: the fraction of the 8 support cells holding at
        // least a quarter of their fair share (n / 8) of the samples.
        coverage: checkerboardCellCoverage(model, { minCount: Math.max(1, Math.round(n / 32)) }),
        energy: energyDistance(model.subarray(0, 2 * m), data.subarray(0, 2 * m)),
      };
      const samples2d: number[][] = [];
      for (let i = 0; i < m; i++) samples2d.push([model[2 * i], model[2 * i + 1]]);
      return { metrics, samples2d };
    },
  };
}

/** The conditional bimodal 2-D task of @mipjs/data: condition c in [-1, 1] (To 1, D 1). */
function bimodalTask(): Task {
  return {
    name: 'bimodal',
    description: TASK_DESCRIPTIONS.bimodal,
    horizon: 1,
    actDim: 2,
    obsSteps: 1,
    obsDim: 1,
    trainBatch(seed, index, batchSize) {
      const b = sampleConditionalBimodal(batchSize, { seed: mixSeed(seed, index, 0xb1) });
      return { action: b.action.data, obs: b.condition.data };
    },
    async evaluate(policy, nfe, seed, n) {
      const b = sampleConditionalBimodal(n, { seed: mixSeed(seed, 0, 0xe7a1) });
      const pred = await policy(b.condition.data, n, nfe, seed);
      const m = Math.min(n, 1500);
      const metrics = {
        ...bimodalMetrics(b.condition.data, pred),
        energy: energyDistance(pred.subarray(0, 2 * m), b.action.data.subarray(0, 2 * m)),
      };
      const samples2d: number[][] = [];
      for (let i = 0; i < m; i++) samples2d.push([pred[2 * i], pred[2 * i + 1]]);
      return { metrics, samples2d };
    },
  };
}

/**
 * Opens the task of a config (dataset tasks load, split and normalise their data here). Loads
 * the config's network / encoder / task packages first, so a package task opens here and the
 * model built next finds its package network and encoder.
 */
export async function openTask(config: RunConfig, options: DatasetTaskOptions = {}): Promise<Task> {
  await resolvePlugins(config);
  const plugin = pluginTask(config.task);
  if (plugin) return (await plugin.open(config, options)) as Task;
  await checkTaskInput(config);
  switch (config.task) {
    case 'checkerboard':
      return checkerboardTask();
    case 'bimodal':
      return bimodalTask();
    case 'recon':
    case 'proj':
    case 'lie':
      return toyTask(config.task, TASK_DESCRIPTIONS[config.task]);
    case 'pusht_image':
      return openPushTImageTask(config, options);
    case 'pusht':
    case 'pusht_keypoint':
    case 'robomimic':
    case 'lerobot':
      return openDatasetTask(config, options);
    default:
      throw notLoaded('task', config.task);
  }
}
