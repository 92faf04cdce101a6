import { assertFinite, DataError } from './data-error.js';
import { createRng, shuffleInPlace } from './rng.js';
import { featureSize, sizeOf, type TensorData } from './tensor-data.js';

/** Options of {@link EpisodeStore}. */
export interface EpisodeStoreOptions {
  /** Where the data came from; used in error messages. Default `'<memory>'`. */
  source?: string;
  /** Skip the NaN / Inf scan (for data that was already checked). Default false. */
  skipFiniteCheck?: boolean;
}

/**
 * Named float arrays that share a time axis (axis 0), cut into episodes by exclusive cumulative ends
 * (`episodeEnds[i]` is one past the last frame of episode i), the `ReplayBuffer` layout of Diffusion
 * Policy and MIP (`data/<key>`, `meta/episode_ends`).
 *
 * The constructor validates everything once (equal lengths, strictly increasing ends, finite values,
 * at least one episode), so every later consumer can index without checks.
 */
export class EpisodeStore {
  readonly source: string;
  readonly arrays: Readonly<Record<string, TensorData>>;
  readonly episodeEnds: readonly number[];
  /** Total number of frames (time steps) over all episodes. */
  readonly length: number;

  constructor(
    arrays: Record<string, TensorData>,
    episodeEnds: ArrayLike<number>,
    options: EpisodeStoreOptions = {},
  ) {
    const source = options.source ?? '<memory>';
    const ends = Array.from(episodeEnds, Number);
    if (ends.length === 0)
      throw new DataError(source, 'meta/episode_ends', 'at least one episode', '0 episodes');
    let prev = 0;
    for (let i = 0; i < ends.length; i++) {
      const e = ends[i]!;
      if (!Number.isInteger(e) || e <= prev) {
        throw new DataError(
          source,
          'meta/episode_ends',
          `strictly increasing positive integers (episode ${i} must end after ${prev})`,
          `${e} at index ${i}`,
        );
      }
      prev = e;
    }
    const length = prev;
    const keys = Object.keys(arrays);
    if (keys.length === 0) throw new DataError(source, 'data', 'at least one array');
    for (const key of keys) {
      const a = arrays[key]!;
      if (a.shape.length === 0) throw new DataError(source, key, 'an array with a time axis', 'a scalar');
      if (a.data.length !== sizeOf(a.shape)) {
        throw new DataError(
          source,
          key,
          `${sizeOf(a.shape)} values for shape [${a.shape}]`,
          `${a.data.length}`,
        );
      }
      if (a.shape[0] !== length) {
        throw new DataError(
          source,
          key,
          `${length} time steps (the last episode end)`,
          `${a.shape[0]} (shape [${a.shape}])`,
        );
      }
      if (!options.skipFiniteCheck) assertFinite(a.data, source, key, featureSize(a.shape));
    }
    this.source = source;
    this.arrays = arrays;
    this.episodeEnds = ends;
    this.length = length;
  }

  get numEpisodes(): number {
    return this.episodeEnds.length;
  }

  get keys(): string[] {
    return Object.keys(this.arrays);
  }

  /** First frame (inclusive) and end (exclusive) of episode `i`. */
  episodeRange(i: number): [number, number] {
    if (!Number.isInteger(i) || i < 0 || i >= this.numEpisodes) {
      throw new RangeError(`episode ${i} out of range [0, ${this.numEpisodes})`);
    }
    return [i === 0 ? 0 : this.episodeEnds[i - 1]!, this.episodeEnds[i]!];
  }

  episodeLength(i: number): number {
    const [s, e] = this.episodeRange(i);
    return e - s;
  }

  /** The array stored under `key`; a {@link DataError} naming the available keys if absent. */
  get(key: string): TensorData {
    const a = this.arrays[key];
    if (!a) throw new DataError(this.source, key, `one of the keys [${this.keys.join(', ')}]`, 'no such key');
    return a;
  }

  /**
   * The listed keys flattened per time step and concatenated: `[T, D]` as one flat array, the same
   * feature order `WindowDataset` uses, so a normalizer fitted on it matches the batches.
   */
  features(keys: readonly string[]): { data: Float32Array; width: number } {
    const arrays = keys.map((k) => this.get(k));
    const widths = arrays.map((a) => featureSize(a.shape));
    const width = widths.reduce((a, b) => a + b, 0);
    const data = new Float32Array(this.length * width);
    for (let t = 0; t < this.length; t++) {
      let col = 0;
      arrays.forEach((a, i) => {
        const w = widths[i]!;
        data.set(a.data.subarray(t * w, (t + 1) * w), t * width + col);
        col += w;
      });
    }
    return { data, width };
  }

  /** A new store with extra (or replaced) arrays on the same episodes; they are validated like the originals. */
  withArrays(extra: Record<string, TensorData>): EpisodeStore {
    return new EpisodeStore({ ...this.arrays, ...extra }, this.episodeEnds, { source: this.source });
  }

  /** A new store holding only the listed episodes, in the given order (frames are copied). */
  selectEpisodes(indices: readonly number[]): EpisodeStore {
    const ranges = indices.map((i) => this.episodeRange(i));
    const ends: number[] = [];
    let total = 0;
    for (const [s, e] of ranges) {
      total += e - s;
      ends.push(total);
    }
    const arrays: Record<string, TensorData> = {};
    for (const key of this.keys) {
      const a = this.arrays[key]!;
      const w = featureSize(a.shape);
      const out = new Float32Array(total * w);
      let o = 0;
      for (const [s, e] of ranges) {
        out.set(a.data.subarray(s * w, e * w), o);
        o += (e - s) * w;
      }
      arrays[key] = { data: out, shape: [total, ...a.shape.slice(1)] };
    }
    return new EpisodeStore(arrays, ends, { source: this.source, skipFiniteCheck: true });
  }

  /**
   * Splits by whole episodes (never by frames, so no window of the validation set was seen in
   * training). A seeded shuffle picks `round(valFraction * numEpisodes)` validation episodes, at
   * least one when `valFraction > 0` and at most `numEpisodes - 1`; both parts keep the original
   * episode order.
   */
  splitByEpisode(options: { valFraction: number; seed: number }): {
    train: EpisodeStore;
    val: EpisodeStore | null;
    trainEpisodes: number[];
    valEpisodes: number[];
  } {
    const { valFraction, seed } = options;
    if (!(valFraction >= 0 && valFraction < 1)) {
      throw new RangeError(`splitByEpisode: valFraction must be in [0, 1), got ${valFraction}`);
    }
    const n = this.numEpisodes;
    let nVal = Math.round(valFraction * n);
    if (valFraction > 0) nVal = Math.max(1, nVal);
    nVal = Math.min(nVal, n - 1);
    const order = Array.from({ length: n }, (_, i) => i);
    shuffleInPlace(order, createRng(seed));
    const valSet = new Set(order.slice(0, nVal));
    const trainEpisodes = order.filter((i) => !valSet.has(i)).sort((a, b) => a - b);
    const valEpisodes = [...valSet].sort((a, b) => a - b);
    return {
      train: this.selectEpisodes(trainEpisodes),
      val: nVal > 0 ? this.selectEpisodes(valEpisodes) : null,
      trainEpisodes,
      valEpisodes,
    };
  }
}
