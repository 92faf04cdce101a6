import { type PushTValidationReport, pushTRenderSample, validatePushT } from '@mipjs/envs';
import { ConfigError } from '../config/config.js';
import { measureChipmunkSpeed } from './chipmunk.js';
import { loadPushTArrays, pushTImagesMissing, readPushTFrames } from './pusht-zarr.js';

/** Options of {@link validatePushTZarr}. */
export interface ValidatePushTZarrOptions {
  /** Only the first N episodes (default all). */
  episodes?: number;
  /** Frames of `data/img` to compare, spread with `pushTRenderSample` (default 1000). */
  renderFrames?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

/**
 * `validate-env --env pusht`: loads a PushT replay buffer (state, action, keypoint, and only the
 * sampled image frames, chunk by chunk), measures Chipmunk's C speed on the same replay when the
 * oracle builds here, and runs `validatePushT` of `@mipjs/envs`. `notes` say what was skipped and why.
 */
export async function validatePushTZarr(
  path: string,
  options: ValidatePushTZarrOptions = {},
): Promise<{ report: PushTValidationReport; notes: string[] }> {
  const progress = options.onProgress ?? (() => {});
  const notes: string[] = [];
  // No progress before the input is read and checked: a bad path is one line on stderr, nothing else.
  const data = await loadPushTArrays(path);
  const available = data.episodeEnds.length;
  const nEp = options.episodes ?? available;
  if (nEp > available)
    throw new ConfigError(`validate-env: --episodes ${nEp}: ${path} has ${available} episodes`);
  const ends = data.episodeEnds.slice(0, nEp);
  const T = ends[ends.length - 1]!;
  if (!data.keypoint) notes.push(`keypoints: skipped (${path} has no data/keypoint)`);

  let frames: number[] | undefined;
  let images: Map<number, Uint8Array> | undefined;
  const noImages = pushTImagesMissing(path);
  if (noImages) notes.push(`render: skipped (${noImages})`);
  else {
    frames = pushTRenderSample(T, options.renderFrames ?? 1000);
    progress('images', 0, 1);
    images = await readPushTFrames(path, frames, (done, total) => progress('images', done, total));
  }

  progress('chipmunk', 0, 1);
  const chipmunk = measureChipmunkSpeed(data.state, data.action, ends);
  progress('chipmunk', 1, 1);
  const chipmunkStepsPerSecond = 'stepsPerSecond' in chipmunk ? chipmunk.stepsPerSecond : undefined;
  if ('unavailable' in chipmunk) notes.push(`speed.ratioToChipmunk: unavailable (${chipmunk.unavailable})`);

  const report = validatePushT(
    {
      state: data.state,
      action: data.action,
      keypoint: data.keypoint ?? undefined,
      img: images ? (t) => images.get(t) : undefined,
      episodeEnds: ends,
    },
    {
      maxEpisodes: nEp,
      renderFrames: frames,
      now: () => performance.now(),
      chipmunkStepsPerSecond,
      onProgress: progress,
    },
  );
  return { report, notes };
}
