import { checkLastAxis, type Normalizer, type NormalizerJSON } from './normalizer.js';

/**
 * The identity map. Used for features that are already well scaled, e.g. the 6-D rotation of
 * relative actions, whose entries lie in [-1, 1] by construction (spec §7.4).
 */
export class IdentityNormalizer implements Normalizer {
  constructor(readonly dim: number) {}

  normalize(x: Float32Array): Float32Array {
    checkLastAxis('IdentityNormalizer.normalize', x.length, this.dim);
    return Float32Array.from(x);
  }

  unnormalize(y: Float32Array): Float32Array {
    checkLastAxis('IdentityNormalizer.unnormalize', y.length, this.dim);
    return Float32Array.from(y);
  }

  toJSON(): NormalizerJSON {
    return { kind: 'identity', dim: this.dim };
  }
}
