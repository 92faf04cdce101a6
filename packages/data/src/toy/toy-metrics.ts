import type { LieTask } from './lie-task.js';
import { PROJECTION_INTERVALS, type ProjectionTask } from './projection-task.js';

/**
 * Pure metric functions of the toy study (spec §11.4). Predictions are plain arrays so the bench can
 * compute them from any model output.
 */

/** `mean |pred - truth|` over all entries. */
export function l1Error(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  checkSame(pred, truth);
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i]! - truth[i]!);
  return s / pred.length;
}

/** `sqrt(mean (pred - truth)^2)` over all entries (an RMS, as the reference reports it). */
export function l2Error(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  checkSame(pred, truth);
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i]! - truth[i]!) ** 2;
  return Math.sqrt(s / pred.length);
}

function checkSame(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`metric: lengths ${a.length} and ${b.length} must match and be > 0`);
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

/** `||(I - P) v|| / ||v||` for a row-major n x n projector P (0 for v = 0). */
export function outOfSubspaceRatio(P: ArrayLike<number>, v: ArrayLike<number>): number {
  const n = v.length;
  const nv = norm(v);
  if (nv === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let pv = 0;
    for (let j = 0; j < n; j++) pv += P[i * n + j]! * v[j]!;
    s += (v[i]! - pv) ** 2;
  }
  return Math.sqrt(s) / nv;
}

/**
 * Conditions for the subspace matrix: `n` points spread over interval i, at the centres of `n` equal
 * sub-cells of `[i/10, (i+1)/10)` (the reference says "20 points spread over interval i"; centres
 * keep every point strictly inside its interval).
 */
export function intervalPoints(i: number, n = 20): Float64Array {
  const w = 1 / PROJECTION_INTERVALS;
  return Float64Array.from({ length: n }, (_, k) => i * w + ((k + 0.5) / n) * w);
}

/** Conditions around boundary `c_i = i/10` (i = 1..9): `n` points evenly on `[c_i - h, c_i + h]`. */
export function boundaryPoints(i: number, n = 20, halfWidth = 0.03): Float64Array {
  const c = i / PROJECTION_INTERVALS;
  return Float64Array.from({ length: n }, (_, k) => c - halfWidth + (2 * halfWidth * k) / (n - 1));
}

/** Result of {@link projectionMetrics}. */
export interface ProjectionMetrics {
  /** 10x10 matrix: row = interval of the points, column = projector j; entry = mean out-of-subspace ratio of the error. */
  subspaceMatrix: number[][];
  /** Mean of the diagonal ("Subspace Diag"): error leaving the correct subspace. */
  subspaceDiag: number;
  /** Mean of the off-diagonal entries ("Subspace Off-Diag"). */
  subspaceOffDiag: number;
  /** Mean over boundaries of `||(I - P̃) f̂|| / ||f̂||`, P̃ onto span[P_{i-1}, P_i]. */
  boundary: number;
}

/**
 * Orthogonal projector onto the span of the columns of several n x n matrices (the reference's SVD
 * with singular values > 1e-10), via modified Gram-Schmidt applied twice for stability.
 */
export function spanProjector(mats: ArrayLike<number>[], n: number, tol = 1e-10): Float64Array {
  const basis: Float64Array[] = [];
  for (const M of mats) {
    for (let col = 0; col < n; col++) {
      const v = Float64Array.from({ length: n }, (_, r) => M[r * n + col]!);
      const before = norm(v);
      for (let pass = 0; pass < 2; pass++) {
        for (const b of basis) {
          let d = 0;
          for (let r = 0; r < n; r++) d += b[r]! * v[r]!;
          for (let r = 0; r < n; r++) v[r]! -= d * b[r]!;
        }
      }
      const after = norm(v);
      // Relative test: a column already in the span leaves only rounding noise.
      if (after > tol && after > 1e-8 * before) basis.push(v.map((x) => x / after));
    }
  }
  const P = new Float64Array(n * n);
  for (const b of basis)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) P[i * n + j]! += b[i]! * b[j]!;
  return P;
}

/**
 * Projection-task metrics of `scripts/train_proj.py` (spec §11.4) for a predictor `predict(c)`;
 * the error is `f̂(c) - g(c)` with g the task target.
 */
export function projectionMetrics(
  task: ProjectionTask,
  predict: (c: number) => ArrayLike<number>,
  pointsPerSet = 20,
): ProjectionMetrics {
  const K = PROJECTION_INTERVALS;
  const matrix: number[][] = [];
  for (let i = 0; i < K; i++) {
    const cs = intervalPoints(i, pointsPerSet);
    const errors = Array.from(cs, (c) => {
      const p = predict(c);
      const g = task.target(c);
      return Float64Array.from(g, (gv, d) => p[d]! - gv);
    });
    matrix.push(
      task.projectors.map((P) => errors.reduce((s, e) => s + outOfSubspaceRatio(P, e), 0) / errors.length),
    );
  }
  let diag = 0;
  let off = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      if (i === j) diag += matrix[i]![j]!;
      else off += matrix[i]![j]!;
    }
  }
  let boundary = 0;
  for (let i = 1; i < K; i++) {
    const Pt = spanProjector([task.projectors[i - 1]!, task.projectors[i]!], 8);
    const cs = boundaryPoints(i, pointsPerSet);
    boundary +=
      Array.from(cs, (c) => outOfSubspaceRatio(Pt, predict(c))).reduce((a, b) => a + b, 0) / cs.length;
  }
  return {
    subspaceMatrix: matrix,
    subspaceDiag: diag / K,
    subspaceOffDiag: off / (K * K - K),
    boundary: boundary / (K - 1),
  };
}

/** Result of {@link lieMetrics}. */
export interface LieMetrics {
  /** Per component k: mean signed cosine between `f̂_k` and `R(α_k c) e1`. */
  cosSimilarity: number[];
  /** Per component k: mean `||(I - u uᵀ) f̂_k|| / ||f̂_k||`. */
  perpError: number[];
  avgCosSimilarity: number;
  /** Min over components of the per-component means (not over points; spec §12.21). */
  minCosSimilarity: number;
  avgPerpError: number;
  maxPerpError: number;
}

/**
 * Lie-task metrics of `scripts/train_lie.py` for predictions `[N, 16]` at `conditions`. The cosine
 * is signed, so it is uninformative where `w_k(c)` changes sign (spec §12.21); the perpendicular
 * error is the meaningful one.
 */
export function lieMetrics(
  task: LieTask,
  conditions: ArrayLike<number>,
  predictions: ArrayLike<number>,
): LieMetrics {
  const N = conditions.length;
  if (predictions.length !== N * 16)
    throw new RangeError(`lieMetrics: need ${N * 16} predictions, got ${predictions.length}`);
  const cosSimilarity: number[] = [];
  const perpError: number[] = [];
  for (let k = 0; k < 8; k++) {
    let cs = 0;
    let pe = 0;
    for (let n = 0; n < N; n++) {
      const u = task.direction(k, conditions[n]!);
      const x = predictions[n * 16 + 2 * k]!;
      const y = predictions[n * 16 + 2 * k + 1]!;
      const nf = Math.hypot(x, y);
      if (nf === 0) continue;
      const dot = x * u[0]! + y * u[1]!;
      cs += dot / nf;
      pe += Math.hypot(x - dot * u[0]!, y - dot * u[1]!) / nf;
    }
    cosSimilarity.push(cs / N);
    perpError.push(pe / N);
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return {
    cosSimilarity,
    perpError,
    avgCosSimilarity: mean(cosSimilarity),
    minCosSimilarity: Math.min(...cosSimilarity),
    avgPerpError: mean(perpError),
    maxPerpError: Math.max(...perpError),
  };
}
