import { NumpyRandomState } from './numpy-random-state.js';
import { firstPrimes, linspace } from './primes.js';
import type { ToyTask } from './toy-task.js';

/** The `lie` task: 8 SO(2) components, each a scalar weight times a rotating unit vector. */
export interface LieTask extends ToyTask {
  /** Rotation rates `α = linspace(0, 6.28, 8)`. */
  readonly alphas: Float64Array;
  /** `e1` = normalised `randn(2)` after `np.random.seed(42)` = [0.96337, -0.26816]. */
  readonly e1: Float64Array;
  /** Scalar weights `w_i(c)` of the 8 components. */
  weights(c: number): Float64Array;
  /** Unit direction `R(α_i c) e1` of component i. */
  direction(i: number, c: number): Float64Array;
}

/**
 * `lie` (spec §11.1): `f_i(c) = w_i(c) · R(α_i c) e1` for i = 0..7, with the generator
 * `[[0, -1], [1, 0]]` (so `R(θ)` is the plane rotation by θ) and high-frequency weights
 * `w_i(c) = Σ_{k<8} sin/cos(p[2(8i+k)] c + p[2(8i+k)+1] / 10)`; the target concatenates the 8
 * components into 16 numbers.
 */
export function createLieTask(): LieTask {
  const primes = firstPrimes(128);
  const alphas = linspace(0, 6.28, 8);
  const r = new NumpyRandomState(42).randn(2);
  const norm = Math.hypot(r[0]!, r[1]!);
  const e1 = Float64Array.from([r[0]! / norm, r[1]! / norm]);
  const weights = (c: number) =>
    Float64Array.from({ length: 8 }, (_, i) => {
      let s = 0;
      for (let k = 0; k < 8; k++) {
        const j = 8 * i + k;
        const arg = primes[2 * j]! * c + primes[2 * j + 1]! / 10;
        s += k % 2 === 0 ? Math.sin(arg) : Math.cos(arg);
      }
      return s;
    });
  const direction = (i: number, c: number) => {
    const th = alphas[i]! * c;
    const [co, si] = [Math.cos(th), Math.sin(th)];
    return Float64Array.from([co * e1[0]! - si * e1[1]!, si * e1[0]! + co * e1[1]!]);
  };
  return {
    name: 'lie',
    dim: 16,
    alphas,
    e1,
    weights,
    direction,
    target: (c) => {
      const w = weights(c);
      const out = new Float64Array(16);
      for (let i = 0; i < 8; i++) {
        const u = direction(i, c);
        out[2 * i] = w[i]! * u[0]!;
        out[2 * i + 1] = w[i]! * u[1]!;
      }
      return out;
    },
  };
}
