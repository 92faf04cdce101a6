import { checkLastAxis, type Normalizer, type NormalizerJSON } from './normalizer.js';

/**
 * Standardisation `y = (x - mean) / std` per feature (population std), with a zero std replaced by 1
 * as in the reference's `GaussianNormalizer`, so a constant feature maps to 0.
 */
export class GaussianNormalizer implements Normalizer {
  readonly dim: number;
  readonly mean: Float64Array;
  /** Standard deviation with zeros replaced by 1. */
  readonly std: Float64Array;

  constructor(mean: ArrayLike<number>, std: ArrayLike<number>) {
    if (mean.length !== std.length) throw new RangeError('GaussianNormalizer: mean and std differ in length');
    this.dim = mean.length;
    this.mean = Float64Array.from(mean);
    this.std = Float64Array.from(std, (s) => (s === 0 ? 1 : s));
  }

  /** Mean and population standard deviation over all rows of `x`, accumulated in float64. */
  static fit(x: Float32Array, dim: number): GaussianNormalizer {
    checkLastAxis('GaussianNormalizer.fit', x.length, dim);
    const rows = x.length / dim;
    if (rows === 0) throw new RangeError('GaussianNormalizer.fit: no data');
    const mean = new Float64Array(dim);
    for (let i = 0; i < x.length; i++) mean[i % dim]! += x[i]!;
    for (let f = 0; f < dim; f++) mean[f]! /= rows;
    const v = new Float64Array(dim);
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - mean[i % dim]!;
      v[i % dim]! += d * d;
    }
    return new GaussianNormalizer(
      mean,
      Array.from(v, (s) => Math.sqrt(s / rows)),
    );
  }

  normalize(x: Float32Array): Float32Array {
    checkLastAxis('GaussianNormalizer.normalize', x.length, this.dim);
    return Float32Array.from(x, (v, i) => (v - this.mean[i % this.dim]!) / this.std[i % this.dim]!);
  }

  unnormalize(y: Float32Array): Float32Array {
    checkLastAxis('GaussianNormalizer.unnormalize', y.length, this.dim);
    return Float32Array.from(y, (v, i) => v * this.std[i % this.dim]! + this.mean[i % this.dim]!);
  }

  toJSON(): NormalizerJSON {
    return { kind: 'gaussian', mean: Array.from(this.mean), std: Array.from(this.std) };
  }
}
