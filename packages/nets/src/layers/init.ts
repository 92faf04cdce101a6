import * as tf from '@tensorflow/tfjs-core';

/**
 * A seeded host-side random source for weight initialisation (SplitMix32 + Box-Muller).
 * Host-side draws make initial weights identical on every backend for the same seed.
 */
export class InitRandom {
  private state: number;
  private spare: number | null = null;

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    this.state = Math.trunc(seed) >>> 0;
  }

  /** The next 32-bit integer (SplitMix32). */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = this.uniform();
    while (u <= 1e-12) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A child stream for one parameter, so adding a layer does not shift the draws of others. */
  fork(): InitRandom {
    return new InitRandom(this.nextUint32());
  }
}

/** Weight initialisers of a linear or convolution layer. */
export type WeightInit = 'orthogonal' | 'xavier-uniform' | 'kaiming-uniform' | 'normal-0.02' | 'zeros';
/** Bias initialisers. `'kaiming-uniform'` is PyTorch's default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export type BiasInit = 'zeros' | 'kaiming-uniform';

export const WEIGHT_INITS: readonly WeightInit[] = [
  'orthogonal',
  'xavier-uniform',
  'kaiming-uniform',
  'normal-0.02',
  'zeros',
];

/**
 * Values of a weight matrix stored as `[fanIn, fanOut]` (row-major).
 *
 * - orthogonal: the Q of a QR of a Gaussian matrix, sign-fixed by diag(R) (PyTorch `orthogonal_`);
 *   rows (or columns, whichever are fewer) are orthonormal.
 * - xavier-uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)).
 * - kaiming-uniform: PyTorch's default `Linear` / `Conv1d` init, U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 * - normal-0.02: N(0, 0.02^2) (GPT / transformer style).
 * - zeros.
 */
export function initWeightValues(
  init: WeightInit,
  fanIn: number,
  fanOut: number,
  rng: InitRandom,
): Float32Array {
  const n = fanIn * fanOut;
  const out = new Float32Array(n);
  switch (init) {
    case 'zeros':
      return out;
    case 'xavier-uniform': {
      const a = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * a;
      return out;
    }
    case 'kaiming-uniform': {
      const a = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * a;
      return out;
    }
    case 'normal-0.02':
      for (let i = 0; i < n; i++) out[i] = 0.02 * rng.normal();
      return out;
    case 'orthogonal':
      return orthogonal(fanIn, fanOut, rng);
    default:
      throw new Error(`unknown weight init '${init as string}'; valid: ${WEIGHT_INITS.join(', ')}`);
  }
}

/** Bias values for a layer of the given fan-in. */
export function initBiasValues(init: BiasInit, fanIn: number, size: number, rng: InitRandom): Float32Array {
  const out = new Float32Array(size);
  if (init === 'kaiming-uniform') {
    const a = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * a;
  }
  return out;
}

/**
 * A `rows x cols` matrix with orthonormal rows or columns: modified Gram-Schmidt (equivalent to
 * QR with a positive-diagonal R) on the columns of a tall Gaussian matrix, transposed when wide.
 */
function orthogonal(rows: number, cols: number, rng: InitRandom): Float32Array {
  const tall = rows >= cols;
  const n = tall ? rows : cols; // long side
  const k = tall ? cols : rows; // short side: number of orthonormal vectors
  // vectors[j] is the j-th column of the tall n x k matrix.
  const vectors: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (const q of vectors) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= dot * q[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) v[i] /= norm;
    vectors.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < k; j++) {
    const v = vectors[j];
    for (let i = 0; i < n; i++) {
      // tall: out[i, j] = v[i]; wide: out[j, i] = v[i]
      if (tall) out[i * cols + j] = v[i];
      else out[j * cols + i] = v[i];
    }
  }
  return out;
}

/** A seeded per-call integer, derived from a call seed and a layer key (for dropout masks). */
export function mixSeed(seed: number, key: number): number {
  let z = (Math.trunc(seed) ^ Math.imul(key >>> 0, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A stable 32-bit hash of a string (FNV-1a). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A tensor from host values (helper for layers). */
export function tensorFrom(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(values, shape, 'float32');
}
