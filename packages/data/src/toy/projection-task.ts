import { NumpyRandomState } from './numpy-random-state.js';
import { primeSinusoids, type ToyTask, type ToyWeighting } from './toy-task.js';

/** Number of intervals (and projectors) of the projection task. */
export const PROJECTION_INTERVALS = 10;

/** The `proj` task: target `g(c) = P_{interval(c)} f(c)` with rank-3 projectors on R^8. */
export interface ProjectionTask extends ToyTask {
  /** `P_i`, row-major 8x8, for interval i = 0..9. */
  readonly projectors: Float64Array[];
  /** The 8-D base function f (before projection). */
  base(c: number): Float64Array;
  /** `clamp(floor(10 c), 0, 9)`. */
  intervalOf(c: number): number;
}

/**
 * Projector onto the column span of `A` (n x k, row-major): `A (AᵀA + 1e-10 I)^{-1} Aᵀ`, with the
 * reference's 1e-10 ridge.
 */
export function columnSpaceProjector(A: ArrayLike<number>, n: number, k: number): Float64Array {
  const G = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += A[r * k + i]! * A[r * k + j]!;
      G[i * k + j] = s + (i === j ? 1e-10 : 0);
    }
  }
  const Ginv = invert(G, k);
  const P = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) s += A[a * k + i]! * Ginv[i * k + j]! * A[b * k + j]!;
      P[a * n + b] = s;
    }
  }
  return P;
}

/** Gauss-Jordan inverse with partial pivoting of a small k x k matrix. */
function invert(M: Float64Array, k: number): Float64Array {
  const a = Float64Array.from(M);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r * k + col]!) > Math.abs(a[piv * k + col]!)) piv = r;
    if (a[piv * k + col] === 0) throw new RangeError('columnSpaceProjector: singular Gram matrix');
    for (let c = 0; c < k; c++) {
      [a[col * k + c], a[piv * k + c]] = [a[piv * k + c]!, a[col * k + c]!];
      [inv[col * k + c], inv[piv * k + c]] = [inv[piv * k + c]!, inv[col * k + c]!];
    }
    const d = a[col * k + col]!;
    for (let c = 0; c < k; c++) {
      a[col * k + c]! /= d;
      inv[col * k + c]! /= d;
    }
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = a[r * k + col]!;
      if (f === 0) continue;
      for (let c = 0; c < k; c++) {
        a[r * k + c]! -= f * a[col * k + c]!;
        inv[r * k + c]! -= f * inv[col * k + c]!;
      }
    }
  }
  return inv;
}

/** `y = P x` for a row-major n x n `P`. */
export function applyMatrix(P: ArrayLike<number>, x: ArrayLike<number>, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += P[i * n + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/**
 * `proj` (spec §11.1): 8-D base function with K = 8 prime sinusoids per output (frequencies up to
 * 709), [0, 1] cut into 10 intervals, interval i projected by `P_i` built from `A_i = randn(8, 3)`
 * after `np.random.seed(46 + i)` (drawn with a bit-exact numpy port, so the subspaces are the
 * reference's).
 */
export function createProjectionTask(options: { weighting?: ToyWeighting } = {}): ProjectionTask {
  const f = primeSinusoids(8, 8, options.weighting);
  const projectors = Array.from({ length: PROJECTION_INTERVALS }, (_, i) =>
    columnSpaceProjector(new NumpyRandomState(46 + i).randn(24), 8, 3),
  );
  const intervalOf = (c: number) =>
    Math.min(Math.max(Math.trunc(c * PROJECTION_INTERVALS), 0), PROJECTION_INTERVALS - 1);
  return {
    name: 'proj',
    dim: 8,
    projectors,
    base: f,
    intervalOf,
    target: (c) => applyMatrix(projectors[intervalOf(c)]!, f(c), 8),
  };
}
