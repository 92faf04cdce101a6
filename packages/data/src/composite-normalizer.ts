import { checkLastAxis, type Normalizer, type NormalizerJSON } from './normalizer.js';

/** One slice `[start, end)` of the last axis and the normalizer that handles it. */
export interface NormalizerSlice {
  start: number;
  end: number;
  normalizer: Normalizer;
}

/**
 * Different normalizers on consecutive slices of the last axis (the reference's
 * `CompositeNormalizer`), e.g. relative robot actions: MinMax on position `[0,3)`, identity on rot6d
 * `[3,9)`, MinMax on the gripper `[9,10)`. The slices must tile `[0, dim)` without gaps, so no feature
 * is silently left unnormalised. A slice may be a multiple of its normalizer's width: PushT keypoints
 * use one 2-D MinMax shared by all 9 points (`[0,18)` with a width-2 normalizer), as the reference
 * fits it on `(N·9, 2)`.
 */
export class CompositeNormalizer implements Normalizer {
  readonly dim: number;
  readonly parts: readonly NormalizerSlice[];

  constructor(parts: NormalizerSlice[]) {
    const sorted = [...parts].sort((a, b) => a.start - b.start);
    let at = 0;
    for (const p of sorted) {
      const width = p.end - p.start;
      if (p.start !== at || width <= 0 || width % p.normalizer.dim !== 0) {
        throw new RangeError(
          `CompositeNormalizer: slices must tile the last axis; slice [${p.start}, ${p.end}) ` +
            `with a normalizer of width ${p.normalizer.dim} does not follow ${at} or is not a multiple of that width`,
        );
      }
      at = p.end;
    }
    this.dim = at;
    this.parts = sorted;
  }

  private apply(x: Float32Array, forward: boolean): Float32Array {
    checkLastAxis('CompositeNormalizer', x.length, this.dim);
    const rows = x.length / this.dim;
    const out = new Float32Array(x.length);
    for (const p of this.parts) {
      const w = p.end - p.start;
      const slice = new Float32Array(rows * w);
      for (let r = 0; r < rows; r++)
        slice.set(x.subarray(r * this.dim + p.start, r * this.dim + p.end), r * w);
      const done = forward ? p.normalizer.normalize(slice) : p.normalizer.unnormalize(slice);
      for (let r = 0; r < rows; r++) out.set(done.subarray(r * w, (r + 1) * w), r * this.dim + p.start);
    }
    return out;
  }

  normalize(x: Float32Array): Float32Array {
    return this.apply(x, true);
  }

  unnormalize(y: Float32Array): Float32Array {
    return this.apply(y, false);
  }

  toJSON(): NormalizerJSON {
    return {
      kind: 'composite',
      parts: this.parts.map((p) => ({ start: p.start, end: p.end, normalizer: p.normalizer.toJSON() })),
    };
  }
}
