import type { TensorData } from '../tensor-data.js';
import { firstPrimes, linspace } from './primes.js';

/**
 * A deterministic regression task of the reference's toy study (spec §11.1): a map from a scalar
 * condition c in [0, 1] to a target vector. Training uses a grid of 50 conditions and evaluation a
 * grid of 100000 (`linspace(0, 1, N)`).
 */
export interface ToyTask {
  readonly name: string;
  /** Output width. */
  readonly dim: number;
  /** Target vector at condition c. */
  target(c: number): Float64Array;
}

/** Amplitude of each sinusoid: 1 (`uniform`, the configs' choice) or `1/freq`. */
export type ToyWeighting = 'uniform' | 'inverse_frequency';

/**
 * The prime sinusoid sum of the reference: for output d and component k (global index
 * `j = d·K + k`), `freq = p[2j]`, `phase = p[2j+1] / 10`, `sin` for even k and `cos` for odd k.
 * Primes make every frequency distinct, so no two components alias.
 */
export function primeSinusoids(
  outDim: number,
  components: number,
  weighting: ToyWeighting = 'uniform',
): (c: number) => Float64Array {
  const primes = firstPrimes(2 * outDim * components);
  return (c: number) => {
    const out = new Float64Array(outDim);
    for (let d = 0; d < outDim; d++) {
      let s = 0;
      for (let k = 0; k < components; k++) {
        const j = d * components + k;
        const freq = primes[2 * j]!;
        const arg = freq * c + primes[2 * j + 1]! / 10;
        const w = weighting === 'uniform' ? 1 : 1 / freq;
        s += w * (k % 2 === 0 ? Math.sin(arg) : Math.cos(arg));
      }
      out[d] = s;
    }
    return out;
  };
}

/** Conditions `[N, 1]` and targets `[N, dim]` of a task at the given conditions. */
export function toyDataset(
  task: ToyTask,
  conditions: ArrayLike<number>,
): { condition: TensorData; target: TensorData } {
  const n = conditions.length;
  const condition = Float32Array.from(conditions);
  const target = new Float32Array(n * task.dim);
  for (let i = 0; i < n; i++) target.set(task.target(conditions[i]!), i * task.dim);
  return { condition: { data: condition, shape: [n, 1] }, target: { data: target, shape: [n, task.dim] } };
}

/** The reference's grid of `n` conditions on [0, 1] (50 for training, 100000 for evaluation). */
export function toyGrid(n: number): Float64Array {
  return linspace(0, 1, n);
}
