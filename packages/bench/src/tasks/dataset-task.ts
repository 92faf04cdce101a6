import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRng,
  type EefObsLayout,
  type EpisodeStore,
  featureSize,
  fitRelativeActionNormalizer,
  GaussianNormalizer,
  loadLeRobotDataset,
  loadNormalizers,
  loadPushTZarr,
  loadRobomimicHdf5,
  MinMaxNormalizer,
  type Normalizer,
  pushTAgentPos,
  relativeActionsOwnTimestep,
  relativeChunksToAbsolute,
  saveNormalizers,
  shuffleInPlace,
  WindowDataset,
} from '@mipjs/data';
import { ConfigError, type RunConfig } from '../config/config.js';
import { meanSquaredError } from './metrics.js';
import { type HostBatch, mixSeed, type Task } from './task.js';

/** The file of a run folder that holds the dataset normalizers (`saveNormalizers` of @mipjs/data). */
export const NORMALIZERS_FILE = 'normalizers.json';

/** A loaded dataset: its episodes and which keys are observation and action. */
interface DatasetSource {
  store: EpisodeStore;
  obsKeys: string[];
  actionKey: string;
  /**
   * Groups of observation columns that share one min and max (the reference fits the keypoint
   * normaliser on all `(N·9, 2)` points: one range for every x, one for every y).
   */
  pooledObsColumns?: number[][];
  /** robomimic: where the EEF poses sit in the observation (relative actions are anchored to them). */
  eefLayout?: EefObsLayout;
}

/** Columns 0, 2, …, 16 (every keypoint's x) and 1, 3, …, 17 (every y) of the keypoint observation. */
const KEYPOINT_XY_COLUMNS = [0, 1].map((axis) => Array.from({ length: 9 }, (_, i) => 2 * i + axis));

/** A MinMax normaliser whose columns in each group share the group's overall min and max. */
function pooledMinMax(fitted: MinMaxNormalizer, groups: readonly number[][]): MinMaxNormalizer {
  const min = Array.from(fitted.min);
  const max = Array.from(fitted.max);
  for (const group of groups) {
    const lo = Math.min(...group.map((c) => fitted.min[c]!));
    const hi = Math.max(...group.map((c) => fitted.max[c]!));
    for (const c of group) {
      min[c] = lo;
      max[c] = hi;
    }
  }
  return new MinMaxNormalizer(min, max);
}

/** Spec §9: every task config uses To 2, Ta 8; PushT and lift-ph use H 16. */
const DEFAULT_WINDOW = { horizon: 16, obsSteps: 2, actSteps: 8 };

/** The 8-byte HDF5 signature, found at offset 0 or at 512, 1024, 2048, ... after a user block. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function isHdf5File(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      if (readSync(fd, buf, 0, 8, offset) === 8 && HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * What each loader needs from the path, checked before the loader runs, so that a wrong file is
 * named as such (h5wasm would otherwise print its internal diagnostics and report a missing group).
 */
function checkDatasetPath(task: string, path: string): void {
  const isDir = statSync(path).isDirectory();
  const problem =
    (task === 'pusht' || task === 'pusht_keypoint') && !isDir && !path.endsWith('.zip')
      ? 'expected a Zarr directory or a .zip of one (e.g. pusht_cchi_v7_replay.zarr.zip)'
      : task === 'robomimic' && (isDir || !isHdf5File(path))
        ? 'expected an HDF5 file (e.g. low_dim_abs.hdf5); this one has no HDF5 signature'
        : task === 'lerobot' && !isDir
          ? 'expected a LeRobot dataset folder (with meta/info.json)'
          : null;
  if (problem) throw new ConfigError(`cannot load dataset ${path} for task '${task}': ${problem}`);
}

async function loadSource(config: RunConfig): Promise<DatasetSource> {
  const path = config.data!;
  checkDatasetPath(config.task, path);
  switch (config.task) {
    case 'pusht':
      // The PushT state task (spec §7.3): obs data/state (5-D), action 2-D.
      return {
        store: await loadPushTZarr(path, ['state', 'action']),
        obsKeys: ['state'],
        actionKey: 'action',
      };
    case 'pusht_keypoint': {
      // The reference's pusht_keypoint task (spec §7.3): obs = data/keypoint (9 x 2, flattened)
      // then agent_pos = state[:, :2] (20-D), the same numbers as PushTEnv's 'keypoints'
      // observation gives for a live state (@mipjs/envs); action 2-D.
      const store = await loadPushTZarr(path, ['keypoint', 'state', 'action']);
      return {
        store: store.withArrays({ agent_pos: pushTAgentPos(store) }),
        obsKeys: ['keypoint', 'agent_pos'],
        actionKey: 'action',
        pooledObsColumns: KEYPOINT_XY_COLUMNS,
      };
    }
    case 'robomimic': {
      // Low-dim obs keys [object, eef_pos, eef_quat, gripper_qpos]. Actions (spec §7.4): absolute
      // and relative read the stored absolute actions in rot6d (10-D per arm); delta keeps the raw
      // 7-D delta actions (low_dim.hdf5) for a delta controller.
      const { store, obsKeyDims, arms } = await loadRobomimicHdf5(path, {
        actionSpace: config.actionSpace === 'delta' ? 'raw' : 'rotation6d',
      });
      const eefLayout = { objectDim: obsKeyDims.object ?? 14, arms };
      return { store, obsKeys: ['obs'], actionKey: 'action', eefLayout };
    }
    case 'lerobot': {
      const { store } = await loadLeRobotDataset(path, { keys: ['observation.state', 'action'] });
      return { store, obsKeys: ['observation.state'], actionKey: 'action' };
    }
    default:
      throw new ConfigError(`task '${config.task}' is not a dataset task`);
  }
}

/**
 * The endless training stream over `n` windows: window k of seed s is position k mod n of the
 * seeded permutation of epoch k div n, so the batch of step k depends only on (seed, k) and
 * `--resume` replays it. The current epoch's permutation is cached.
 */
export function windowStream(n: number): (seed: number, k: number) => number {
  let epochCache: { seed: number; epoch: number; order: number[] } | null = null;
  return (seed, k) => {
    const epoch = Math.floor(k / n);
    if (!epochCache || epochCache.seed !== seed || epochCache.epoch !== epoch) {
      const order = Array.from({ length: n }, (_, i) => i);
      shuffleInPlace(order, createRng(mixSeed(seed, epoch, 0xe90c) | 0));
      epochCache = { seed, epoch, order };
    }
    return epochCache.order[k % n]!;
  };
}

/** A dataset task's observation and action normalizers. */
export type TaskNormalizers = { obs: Normalizer; action: Normalizer };

/**
 * The normalizers an earlier run saved (`mipjs eval` reuses the run's `normalizers.json`), or null
 * when no file is given or it does not exist (the task fits them on its training episodes).
 */
export async function readSavedNormalizers(file: string | undefined): Promise<TaskNormalizers | null> {
  if (!file || !existsSync(file)) return null;
  const saved = await loadNormalizers(file);
  if (!saved.obs || !saved.action) throw new ConfigError(`${file} holds no 'obs' and 'action' normalizers`);
  return { obs: saved.obs, action: saved.action };
}

/**
 * The normalizers fitted on the training episodes: `minmax` (the reference's; PushT keypoints
 * share one x and one y range) or `gaussian` (per-column mean and std). Relative actions are fitted
 * on every action made relative to its own time step's EEF pose, as the reference does (spec §7.4);
 * with `minmax` that is its composite (MinMax position and gripper, identity rot6d).
 */
function fitNormalizers(
  config: RunConfig,
  source: DatasetSource,
  train: EpisodeStore,
  relative: EefObsLayout | undefined,
): TaskNormalizers {
  const obs = train.features(source.obsKeys);
  const actions = train.get(source.actionKey);
  const actDim = featureSize(actions.shape);
  if (config.normalizer === 'gaussian') {
    const fitOn = relative
      ? relativeActionsOwnTimestep(actions.data, actDim, obs.data, obs.width, relative)
      : actions.data;
    return {
      obs: GaussianNormalizer.fit(obs.data, obs.width),
      action: GaussianNormalizer.fit(fitOn, actDim),
    };
  }
  const fitted = MinMaxNormalizer.fit(obs.data, obs.width);
  return {
    obs: source.pooledObsColumns ? pooledMinMax(fitted, source.pooledObsColumns) : fitted,
    action: relative
      ? fitRelativeActionNormalizer(
          relativeActionsOwnTimestep(actions.data, actDim, obs.data, obs.width, relative),
          relative.arms ?? 1,
        )
      : MinMaxNormalizer.fit(actions.data, actDim),
  };
}

/** The conversion back to absolute actions (of @mipjs/data; a deployed policy uses the same). */
export { relativeChunksToAbsolute };

/** Options of {@link openDatasetTask}. */
export interface DatasetTaskOptions {
  /** Normalizers saved by an earlier run (`mipjs eval`); fitted on the training episodes when absent. */
  normalizersFile?: string;
}

/**
 * A dataset task (pusht / robomimic / lerobot with `--data`): the episodes are split into
 * training and held-out episodes (`valFraction`, seeded by `splitSeed`), MinMax normalizers are
 * fitted on the training episodes only, and windows of H / To / Ta are cut as the reference's
 * `SequenceSampler`. Training batches walk seeded per-epoch permutations of the training windows,
 * so the batch of step k depends only on (seed, k) and `--resume` replays it. The evaluation has
 * no simulator: it samples action chunks for held-out windows and reports their MSE to the
 * recorded chunks (normalised units), over the whole chunk and over the Ta executed steps.
 */
export async function openDatasetTask(config: RunConfig, options: DatasetTaskOptions = {}): Promise<Task> {
  let source: DatasetSource;
  try {
    source = await loadSource(config);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `cannot load dataset ${config.data} for task '${config.task}': ${(error as Error).message}`,
    );
  }
  const { obsKeys, actionKey } = source;
  const split = source.store.splitByEpisode({ valFraction: config.valFraction, seed: config.splitSeed });
  const train = split.train;
  // Relative actions: each window's chunk re-expressed in the EEF frame at index To-1 (WindowDataset).
  const relative = config.actionSpace === 'relative' ? source.eefLayout : undefined;
  let normalizers = await readSavedNormalizers(options.normalizersFile);
  if (!normalizers) normalizers = fitNormalizers(config, source, train, relative);
  const window = {
    horizon: config.horizon ?? DEFAULT_WINDOW.horizon,
    obsSteps: config.obsSteps ?? DEFAULT_WINDOW.obsSteps,
    actSteps: config.actSteps ?? DEFAULT_WINDOW.actSteps,
  };
  let trainSet: WindowDataset;
  let heldOut: WindowDataset;
  /** The held-out windows in raw absolute actions (relative runs are also scored after the conversion back). */
  let heldOutAbsolute: WindowDataset | null = null;
  try {
    const cut = { ...window, obsKeys, actionKey, relativeActions: relative };
    trainSet = new WindowDataset(train, { ...cut, normalizers });
    heldOut = split.val ? new WindowDataset(split.val, { ...cut, normalizers }) : trainSet;
    if (relative) heldOutAbsolute = new WindowDataset(split.val ?? train, { ...window, obsKeys, actionKey });
  } catch (error) {
    throw new ConfigError(
      `dataset ${config.data} for task '${config.task}' cannot be cut into windows: ${(error as Error).message}`,
    );
  }
  const nVal = split.val?.numEpisodes ?? 0;
  const description =
    `${config.task} ${config.data}: ${source.store.numEpisodes} episodes (${train.numEpisodes} train, ` +
    `${nVal} held out${nVal === 0 ? ': too few episodes, evaluating on the training episodes' : ''}), ` +
    `obs ${trainSet.obsDim}-D, action ${trainSet.actionDim}-D${config.task === 'robomimic' ? ` (${config.actionSpace})` : ''}, ` +
    `${config.normalizer} normalizers, H ${window.horizon}, To ${window.obsSteps}, Ta ${window.actSteps}`;

  const windowAt = windowStream(trainSet.length);
  /** At most `n` held-out windows, evenly spaced over all of them (fixed, no randomness). */
  const heldOutIds = (n: number): number[] => {
    const m = Math.max(1, Math.min(n, heldOut.length));
    return Array.from({ length: m }, (_, i) => Math.floor((i * heldOut.length) / m));
  };
  const toHost = (b: ReturnType<WindowDataset['batch']>): HostBatch => ({
    action: b.action.data,
    obs: b.obs.data,
  });
  const { horizon: H, obsSteps: To, actSteps: Ta } = window;
  const A = trainSet.actionDim;

  return {
    name: config.task,
    description,
    horizon: H,
    actDim: A,
    obsSteps: To,
    obsDim: trainSet.obsDim,
    ...(relative
      ? {
          actionFrame: {
            kind: 'eef_relative' as const,
            objectDim: relative.objectDim ?? 14,
            arms: relative.arms ?? 1,
          },
        }
      : {}),
    trainBatch(seed, index, batchSize) {
      const ids = Array.from({ length: batchSize }, (_, i) => windowAt(seed, index * batchSize + i));
      return toHost(trainSet.batch(ids));
    },
    validationBatch(max) {
      const ids = heldOutIds(max);
      return { batch: toHost(heldOut.batch(ids)), count: ids.length };
    },
    async evaluate(policy, nfe, seed, n) {
      const ids = heldOutIds(n);
      const truth = heldOut.batch(ids);
      const pred = await policy(truth.obs.data, ids.length, nfe, seed);
      // The steps a receding-horizon controller executes: indices To-1 .. To-1+Ta-1 of the chunk.
      const from = To - 1;
      const to = Math.min(H, from + Ta);
      const executed = (x: Float32Array) => {
        const out = new Float32Array(ids.length * (to - from) * A);
        for (let b = 0; b < ids.length; b++)
          out.set(x.subarray((b * H + from) * A, (b * H + to) * A), b * (to - from) * A);
        return out;
      };
      const metrics: Record<string, number> = {
        actionMse: meanSquaredError(pred, truth.action.data),
        actionMseExecuted: meanSquaredError(executed(pred), executed(truth.action.data)),
      };
      if (relative && heldOutAbsolute) {
        // The conversion undone, as at deployment: unnormalise, then back to absolute with the EEF
        // pose of the latest raw observation; MSE to the recorded absolute chunks in raw units.
        const absolute = relativeChunksToAbsolute(
          normalizers.action.unnormalize(pred),
          normalizers.obs.unnormalize(truth.obs.data),
          { horizon: H, obsSteps: To, actDim: A, obsDim: trainSet.obsDim },
          relative,
        );
        const recorded = heldOutAbsolute.batch(ids).action.data;
        metrics.actionMseAbsolute = meanSquaredError(absolute, recorded);
        metrics.actionMseAbsoluteExecuted = meanSquaredError(executed(absolute), executed(recorded));
      }
      return { metrics };
    },
    async writeArtifacts(dir) {
      const path = join(dir, NORMALIZERS_FILE);
      await saveNormalizers(path, normalizers);
      return [path];
    },
  };
}
