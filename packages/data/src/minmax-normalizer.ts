import { checkLastAxis, type Normalizer, type NormalizerJSON } from './normalizer.js';

/**
 * Min-max scaling of each feature to [-1, 1] (spec §7.2): `y = 2 (x - min) / range - 1`,
 * `x = (y + 1) / 2 · range + min`, statistics over every row of the training buffer.
 *
 * As in the reference, a zero range is replaced by 1, so a constant feature maps to **-1** (not 0;
 * the reference's own warning says 0, which is wrong). A console warning names such features,
 * because a constant input is often a sign of a wrong key or an empty sensor.
 */
export class MinMaxNormalizer implements Normalizer {
  readonly dim: number;
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** `max - min`, with zeros replaced by 1. */
  readonly range: Float64Array;

  constructor(min: ArrayLike<number>, max: ArrayLike<number>, options: { warn?: boolean } = {}) {
    if (min.length !== max.length) throw new RangeError('MinMaxNormalizer: min and max differ in length');
    this.dim = min.length;
    this.min = Float64Array.from(min);
    this.max = Float64Array.from(max);
    this.range = new Float64Array(this.dim);
    const constant: number[] = [];
    for (let i = 0; i < this.dim; i++) {
      const r = this.max[i]! - this.min[i]!;
      if (r === 0) constant.push(i);
      this.range[i] = r === 0 ? 1 : r;
    }
    if (constant.length > 0 && options.warn !== false) {
      console.warn(
        `MinMaxNormalizer: feature(s) ${constant.join(', ')} have zero range; the range is replaced by 1, ` +
          'so these constant features normalise to -1.',
      );
    }
  }

  /** Per-feature min and max over all rows of `x` (length a multiple of `dim`). */
  static fit(x: Float32Array, dim: number): MinMaxNormalizer {
    checkLastAxis('MinMaxNormalizer.fit', x.length, dim);
    if (x.length === 0) throw new RangeError('MinMaxNormalizer.fit: no data');
    const min = new Float64Array(dim).fill(Number.POSITIVE_INFINITY);
    const max = new Float64Array(dim).fill(Number.NEGATIVE_INFINITY);
    for (let i = 0; i < x.length; i++) {
      const f = i % dim;
      const v = x[i]!;
      if (v < min[f]!) min[f] = v;
      if (v > max[f]!) max[f] = v;
    }
    return new MinMaxNormalizer(min, max);
  }

  normalize(x: Float32Array): Float32Array {
    checkLastAxis('MinMaxNormalizer.normalize', x.length, this.dim);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const f = i % this.dim;
      out[i] = (2 * (x[i]! - this.min[f]!)) / this.range[f]! - 1;
    }
    return out;
  }

  unnormalize(y: Float32Array): Float32Array {
    checkLastAxis('MinMaxNormalizer.unnormalize', y.length, this.dim);
    const out = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const f = i % this.dim;
      out[i] = ((y[i]! + 1) / 2) * this.range[f]! + this.min[f]!;
    }
    return out;
  }

  toJSON(): NormalizerJSON {
    return { kind: 'minmax', min: Array.from(this.min), max: Array.from(this.max) };
  }
}
