import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompositeNormalizer,
  DEFAULT_FRAME_CACHE_BYTES,
  loadPushTZarr,
  MinMaxNormalizer,
  pushTAgentPos,
  saveNormalizers,
  WindowDataset,
  ZarrFrames,
} from '@mipjs/data';
import { ConfigError, type RunConfig } from '../config/config.js';
import {
  type DatasetTaskOptions,
  NORMALIZERS_FILE,
  readSavedNormalizers,
  windowStream,
} from './dataset-task.js';
import { meanSquaredError } from './metrics.js';
import type { HostBatch, Task } from './task.js';

/** One PushT frame: 96 x 96 RGB. */
export const PUSHT_FRAME = 96 * 96 * 3;
/** Observation row of the image task: the frame in [0, 1] (HWC), then the agent position (pixels). */
export const PUSHT_IMAGE_OBS_DIM = PUSHT_FRAME + 2;
/** Environment variable that bounds the decoded-frame cache, in MiB (default 1024). */
export const IMAGE_CACHE_ENV = 'MIPJS_IMAGE_CACHE_MB';

function cacheBytes(): number {
  const raw = process.env[IMAGE_CACHE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_FRAME_CACHE_BYTES;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0)
    throw new ConfigError(`${IMAGE_CACHE_ENV}=${raw}: expected a positive number of MiB for the frame cache`);
  return Math.floor(mb * 2 ** 20);
}

/**
 * The reference's `pusht_image` task (spec §7.3, §9): observations = the 96 x 96 frame of
 * `data/img` and `agent_pos = state[:, :2]`, To 2, H 16, Ta 8; actions as the state task. Each
 * observation step is one flat row `[frame / 255 (HWC, 27,648), agent x, agent y]`; the obs
 * normalizer maps the frame to [-1, 1] (a width-1 MinMax with min 0, max 1: the reference's
 * `ImageNormalizer`, `x 2 - 1`) and the agent position with its own MinMax, fitted on the
 * training episodes. The closed-loop environment gives the same row (`observation: 'image'`).
 *
 * Frames are read lazily ({@link ZarrFrames}): `prepareBatch` decodes only the chunks a batch
 * touches and keeps them as bytes in a cache bounded by `MIPJS_IMAGE_CACHE_MB` (default 1024 MiB;
 * all of PushT's frames take 709 MB), so memory stays flat whatever the run length. Held-out
 * frames for the validation batch (`evalSamples` windows) are copied once at open.
 */
export async function openPushTImageTask(config: RunConfig, options: DatasetTaskOptions = {}): Promise<Task> {
  const path = config.data!;
  if (!statSync(path).isDirectory() || !existsSync(join(path, 'data', 'img', '.zarray')))
    throw new ConfigError(
      `cannot load dataset ${path} for task 'pusht_image': expected a Zarr directory with data/img ` +
        '(frames are read chunk by chunk; the committed datasets/pusht copy has no images)',
    );
  if (config.encoder !== 'image')
    throw new ConfigError(
      `task 'pusht_image' reads frames: it needs --encoder image, got '${config.encoder}'`,
    );
  const low = await loadPushTZarr(path, ['state', 'action']);
  const T = low.get('state').shape[0]!;
  const rows = new Float32Array(T);
  for (let t = 0; t < T; t++) rows[t] = t;
  // `frame` carries each step's row of data/img through the split and the windows.
  const store = low.withArrays({ agent_pos: pushTAgentPos(low), frame: { data: rows, shape: [T, 1] } });
  const split = store.splitByEpisode({ valFraction: config.valFraction, seed: config.splitSeed });
  const train = split.train;
  let normalizers = await readSavedNormalizers(options.normalizersFile);
  if (!normalizers) {
    normalizers = {
      obs: new CompositeNormalizer([
        { start: 0, end: PUSHT_FRAME, normalizer: new MinMaxNormalizer([0], [1]) },
        {
          start: PUSHT_FRAME,
          end: PUSHT_IMAGE_OBS_DIM,
          normalizer: MinMaxNormalizer.fit(train.get('agent_pos').data, 2),
        },
      ]),
      action: MinMaxNormalizer.fit(train.get('action').data, 2),
    };
  }
  if (normalizers.obs.dim !== PUSHT_IMAGE_OBS_DIM)
    throw new ConfigError(
      `the obs normalizer is ${normalizers.obs.dim} wide; pusht_image needs ${PUSHT_IMAGE_OBS_DIM}`,
    );
  const window = {
    horizon: config.horizon ?? 16,
    obsSteps: config.obsSteps ?? 2,
    actSteps: config.actSteps ?? 8,
  };
  // Raw [frame row, agent x, agent y] per step; actions normalised here, observations below.
  const cut = (s: typeof train) =>
    new WindowDataset(s, {
      ...window,
      obsKeys: ['frame', 'agent_pos'],
      actionKey: 'action',
      normalizers: { action: normalizers.action },
    });
  const trainSet = cut(train);
  const heldOut = split.val ? cut(split.val) : trainSet;
  const frames = await ZarrFrames.open(path, { cacheBytes: cacheBytes() });
  const { horizon: H, obsSteps: To, actSteps: Ta } = window;

  const windowAt = windowStream(trainSet.length);
  const trainIds = (seed: number, index: number, b: number) =>
    Array.from({ length: b }, (_, i) => windowAt(seed, index * b + i));
  const heldOutIds = (n: number): number[] => {
    const m = Math.max(1, Math.min(n, heldOut.length));
    return Array.from({ length: m }, (_, i) => Math.floor((i * heldOut.length) / m));
  };
  const frameRows = (raw: Float32Array) => {
    const out: number[] = [];
    for (let r = 0; r < raw.length; r += 3) out.push(raw[r]!);
    return out;
  };

  /** Normalised observation rows `[B, To, 27650]` from the raw `[frame, x, y]` rows. */
  const assemble = (raw: Float32Array, frameOf: (row: number) => Uint8Array): Float32Array => {
    const steps = raw.length / 3;
    const obs = new Float32Array(steps * PUSHT_IMAGE_OBS_DIM);
    for (let s = 0; s < steps; s++) {
      const pixels = frameOf(raw[3 * s]!);
      const at = s * PUSHT_IMAGE_OBS_DIM;
      for (let i = 0; i < PUSHT_FRAME; i++) obs[at + i] = pixels[i]! / 255;
      obs[at + PUSHT_FRAME] = raw[3 * s + 1]!;
      obs[at + PUSHT_FRAME + 1] = raw[3 * s + 2]!;
    }
    return normalizers.obs.normalize(obs);
  };

  // The validation windows' frames, copied out of the cache once (LRU eviction cannot touch them).
  const validation = heldOutIds(config.evalSamples);
  const validationRaw = heldOut.batch(validation);
  const heldFrames = new Map<number, Uint8Array>();
  const wanted = [...new Set(frameRows(validationRaw.obs.data))].sort((a, b) => a - b);
  const perLoad =
    Math.max(1, Math.floor(frames.cacheBytes / (frames.chunkRows * frames.frameSize))) * frames.chunkRows;
  for (let i = 0; i < wanted.length; ) {
    // Rows of at most as many chunks as the cache holds per load.
    const first = Math.floor(wanted[i]! / frames.chunkRows);
    const group: number[] = [];
    while (i < wanted.length && wanted[i]! < first * frames.chunkRows + perLoad) group.push(wanted[i++]!);
    await frames.load(group);
    for (const r of group) heldFrames.set(r, frames.frame(r).slice());
  }
  const validationHost: HostBatch = {
    action: validationRaw.action.data,
    obs: assemble(validationRaw.obs.data, (r) => heldFrames.get(r)!),
  };

  const nVal = split.val?.numEpisodes ?? 0;
  const description =
    `pusht_image ${path}: ${store.numEpisodes} episodes (${train.numEpisodes} train, ${nVal} held out), ` +
    `obs 96 x 96 x 3 frame + agent_pos (${PUSHT_IMAGE_OBS_DIM} per step, frames read lazily, cache ` +
    `${Math.round(frames.cacheBytes / 2 ** 20)} MiB), action 2-D, H ${H}, To ${To}, Ta ${Ta}`;

  return {
    name: 'pusht_image',
    description,
    horizon: H,
    actDim: 2,
    obsSteps: To,
    obsDim: PUSHT_IMAGE_OBS_DIM,
    async prepareBatch(seed, index, batchSize) {
      await frames.load(frameRows(trainSet.batch(trainIds(seed, index, batchSize)).obs.data));
    },
    trainBatch(seed, index, batchSize) {
      const b = trainSet.batch(trainIds(seed, index, batchSize));
      return { action: b.action.data, obs: assemble(b.obs.data, (r) => frames.frame(r)) };
    },
    validationBatch(max) {
      if (max > validation.length && max <= heldOut.length)
        throw new RangeError(
          `pusht_image: the validation batch holds ${validation.length} windows (evalSamples)`,
        );
      return { batch: validationHost, count: validation.length };
    },
    async evaluate(policy, nfe, seed) {
      const pred = await policy(validationHost.obs, validation.length, nfe, seed);
      const from = To - 1;
      const to = Math.min(H, from + Ta);
      const executed = (x: Float32Array) => {
        const out = new Float32Array(validation.length * (to - from) * 2);
        for (let b = 0; b < validation.length; b++)
          out.set(x.subarray((b * H + from) * 2, (b * H + to) * 2), b * (to - from) * 2);
        return out;
      };
      return {
        metrics: {
          actionMse: meanSquaredError(pred, validationHost.action),
          actionMseExecuted: meanSquaredError(executed(pred), executed(validationHost.action)),
        },
      };
    },
    async writeArtifacts(dir) {
      const file = join(dir, NORMALIZERS_FILE);
      await saveNormalizers(file, normalizers);
      return [file];
    },
  };
}
