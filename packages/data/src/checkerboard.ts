import { createRng } from './rng.js';
import type { TensorData } from './tensor-data.js';

/** Options of the 2-D checkerboard. */
export interface CheckerboardOptions {
  /** Cells per side of [-1, 1]^2. Default 4, i.e. 16 cells of which the 8 "even" ones hold data. */
  cellsPerSide?: number;
}

/** Cell index of a coordinate in [-1, 1] (1 itself belongs to the last cell). */
export function checkerboardCell(x: number, cellsPerSide = 4): number {
  return Math.min(Math.floor(((x + 1) / 2) * cellsPerSide), cellsPerSide - 1);
}

/**
 * Support test: inside [-1, 1]^2 and in a cell `(i, j)` with `i + j` even. With 4 cells per side
 * this keeps 8 of the 16 cells (`floor(2x) + floor(2y)` even), the classic flow-matching
 * checkerboard scaled to [-1, 1]. A generative policy that averages modes puts mass in the empty
 * cells, which is what the support fraction detects.
 */
export function inCheckerboardSupport(x: number, y: number, cellsPerSide = 4): boolean {
  if (!(x >= -1 && x <= 1 && y >= -1 && y <= 1)) return false;
  return (checkerboardCell(x, cellsPerSide) + checkerboardCell(y, cellsPerSide)) % 2 === 0;
}

/** `n` points uniform on the checkerboard support (rejection from the square), seeded. Shape `[n, 2]`. */
export function sampleCheckerboard(n: number, options: CheckerboardOptions & { seed: number }): TensorData {
  const cells = options.cellsPerSide ?? 4;
  const rng = createRng(options.seed);
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; ) {
    const x = Math.fround(2 * rng.uniform() - 1);
    const y = Math.fround(2 * rng.uniform() - 1);
    if (inCheckerboardSupport(x, y, cells)) {
      data[2 * i] = x;
      data[2 * i + 1] = y;
      i++;
    }
  }
  return { data, shape: [n, 2] };
}

/** Fraction of the points `[N, 2]` (flat) that lie on the support. */
export function checkerboardSupportFraction(points: ArrayLike<number>, cellsPerSide = 4): number {
  const n = points.length / 2;
  if (n === 0) return 0;
  let inside = 0;
  for (let i = 0; i < n; i++)
    if (inCheckerboardSupport(points[2 * i]!, points[2 * i + 1]!, cellsPerSide)) inside++;
  return inside / n;
}

/** A 2-D histogram: `counts[i * bins + j]` for x bin i and y bin j; points outside the range are counted in `outside`. */
export interface Histogram2d {
  bins: number;
  range: [number, number];
  counts: Float64Array;
  outside: number;
}

/** Histogram of points `[N, 2]` on `range`² with `bins` bins per axis (default 20 on [-1, 1]). */
export function histogram2d(
  points: ArrayLike<number>,
  options: { bins?: number; range?: [number, number] } = {},
): Histogram2d {
  const bins = options.bins ?? 20;
  const range = options.range ?? [-1, 1];
  const [lo, hi] = range;
  const counts = new Float64Array(bins * bins);
  let outside = 0;
  const bin = (v: number) => Math.min(Math.floor(((v - lo) / (hi - lo)) * bins), bins - 1);
  for (let k = 0; k + 1 < points.length; k += 2) {
    const x = points[k]!;
    const y = points[k + 1]!;
    if (!(x >= lo && x <= hi && y >= lo && y <= hi)) {
      outside++;
      continue;
    }
    counts[bin(x) * bins + bin(y)]!++;
  }
  return { bins, range, counts, outside };
}

/**
 * Total-variation distance `½ Σ |p - q|` between two histograms with the same bins, each normalised
 * by its own total (including points outside the range, which count as one extra bin).
 */
export function histogramTotalVariation(a: Histogram2d, b: Histogram2d): number {
  if (a.bins !== b.bins || a.range[0] !== b.range[0] || a.range[1] !== b.range[1]) {
    throw new RangeError('histogramTotalVariation: histograms have different bins');
  }
  const ta = a.counts.reduce((s, v) => s + v, 0) + a.outside;
  const tb = b.counts.reduce((s, v) => s + v, 0) + b.outside;
  if (ta === 0 || tb === 0) throw new RangeError('histogramTotalVariation: empty histogram');
  let s = Math.abs(a.outside / ta - b.outside / tb);
  for (let i = 0; i < a.counts.length; i++) s += Math.abs(a.counts[i]! / ta - b.counts[i]! / tb);
  return s / 2;
}

/** Fraction of support cells that received at least `minCount` points: detects dropped modes. */
export function checkerboardCellCoverage(
  points: ArrayLike<number>,
  options: CheckerboardOptions & { minCount?: number } = {},
): number {
  const cells = options.cellsPerSide ?? 4;
  const counts = new Float64Array(cells * cells);
  for (let k = 0; k + 1 < points.length; k += 2) {
    const x = points[k]!;
    const y = points[k + 1]!;
    if (inCheckerboardSupport(x, y, cells))
      counts[checkerboardCell(x, cells) * cells + checkerboardCell(y, cells)]!++;
  }
  let support = 0;
  let covered = 0;
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      if ((i + j) % 2 !== 0) continue;
      support++;
      if (counts[i * cells + j]! >= (options.minCount ?? 1)) covered++;
    }
  }
  return covered / support;
}
