import { DataError } from './data-error.js';
import type { EpisodeStore } from './episode-store.js';

/**
 * One sampling window: frames `[bufferStart, bufferEnd)` of the store are copied to window slots
 * `[sampleStart, sampleEnd)`; slots before `sampleStart` repeat the first copied frame and slots from
 * `sampleEnd` on repeat the last one (edge padding, `zero_padding=False` in the reference).
 */
export interface WindowIndex {
  episode: number;
  bufferStart: number;
  bufferEnd: number;
  sampleStart: number;
  sampleEnd: number;
}

/** Options of {@link createWindowIndices}. */
export interface WindowOptions {
  /** Window length H (the action horizon, `sequence_length` in the reference). */
  horizon: number;
  /** Frames of padding allowed before an episode start; the reference uses `obs_steps - 1`. */
  padBefore: number;
  /** Frames of padding allowed after an episode end; the reference uses `act_steps - 1`. */
  padAfter: number;
}

/**
 * All windows of length H over the store's episodes, in episode order (spec §7.1,
 * `create_indices`). Pads are clamped to `[0, H-1]` as the reference does. For an episode of length
 * L the window starts run over `[-padBefore, L - H + padAfter]`, i.e.
 * `L - H + padBefore + padAfter + 1` windows, and a window never crosses into another episode.
 *
 * Throws a {@link DataError} when no episode is long enough for a single window, instead of returning
 * an empty dataset that would fail much later.
 */
export function createWindowIndices(store: EpisodeStore, options: WindowOptions): WindowIndex[] {
  const { horizon } = options;
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new RangeError(`horizon must be a positive integer, got ${horizon}`);
  const padBefore = Math.min(Math.max(options.padBefore, 0), horizon - 1);
  const padAfter = Math.min(Math.max(options.padAfter, 0), horizon - 1);
  const out: WindowIndex[] = [];
  let longest = 0;
  for (let ep = 0; ep < store.numEpisodes; ep++) {
    const [start, end] = store.episodeRange(ep);
    const len = end - start;
    longest = Math.max(longest, len);
    for (let idx = -padBefore; idx <= len - horizon + padAfter; idx++) {
      const bufferStart = Math.max(idx, 0) + start;
      const bufferEnd = Math.min(idx + horizon, len) + start;
      const startOffset = bufferStart - (idx + start);
      const endOffset = idx + horizon + start - bufferEnd;
      out.push({
        episode: ep,
        bufferStart,
        bufferEnd,
        sampleStart: startOffset,
        sampleEnd: horizon - endOffset,
      });
    }
  }
  if (out.length === 0) {
    throw new DataError(
      store.source,
      'meta/episode_ends',
      `an episode of at least ${horizon - padBefore - padAfter} frames for windows of length ${horizon} ` +
        `(padBefore ${padBefore}, padAfter ${padAfter})`,
      `longest episode has ${longest} frames`,
    );
  }
  return out;
}

/**
 * Copies one window of a `[T, ...]` array into `out` (length `H * width`) at `offset`, with edge
 * padding. `width` is the size of one time step.
 */
export function copyWindow(
  src: Float32Array,
  width: number,
  w: WindowIndex,
  horizon: number,
  out: Float32Array,
  offset = 0,
  steps = horizon,
): void {
  for (let t = 0; t < steps; t++) {
    const clamped = Math.min(Math.max(t, w.sampleStart), w.sampleEnd - 1);
    const frame = w.bufferStart + (clamped - w.sampleStart);
    out.set(src.subarray(frame * width, (frame + 1) * width), offset + t * width);
  }
}
