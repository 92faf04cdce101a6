/**
 * Measurement plumbing of `mipjs perf`: one row per measurement, summarised by median, min and
 * max of its samples (never a mean: one slow step from a shared machine must not move the number).
 */

/** One measurement: what `--json FILE` writes, one object per row. */
export interface PerfRow {
  /** What was measured, slash-separated: `train/mlp-w512/flow`, `sample/mlp-w512/mip-2nfe`. */
  name: string;
  /** The TF.js backend (`wasm`, `cpu`, `tensorflow`, ...) or `pytorch` for the companion script. */
  backend: string;
  median: number;
  min: number;
  max: number;
  /** `ms`, `x` (a ratio), `tensors`, `MB`, `runs/h`. */
  unit: string;
  /** Number of samples behind median / min / max. */
  n: number;
  /** Anything a reader needs to interpret the row (e.g. growth over the run). */
  note?: string;
}

/** Median, min, max and count of a non-empty list of samples. */
export function summarize(samples: readonly number[]): {
  median: number;
  min: number;
  max: number;
  n: number;
} {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** A row from raw samples. */
export function perfRow(
  name: string,
  backend: string,
  samples: readonly number[],
  unit: string,
  note?: string,
): PerfRow {
  return { name, backend, ...summarize(samples), unit, ...(note ? { note } : {}) };
}

/**
 * The ratio of two rows: median over median, and the extreme ratios as min / max (num.min /
 * den.max and num.max / den.min), so the range is honest about the noise of both.
 */
export function ratioRow(name: string, backend: string, num: PerfRow, den: PerfRow, note?: string): PerfRow {
  return {
    name,
    backend,
    median: num.median / den.median,
    min: num.min / den.max,
    max: num.max / den.min,
    unit: 'x',
    n: Math.min(num.n, den.n),
    ...(note ? { note } : {}),
  };
}

/** True when `value` has exactly the fields of a {@link PerfRow} with the right types. */
export function isPerfRow(value: unknown): value is PerfRow {
  const r = value as PerfRow;
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.name === 'string' &&
    typeof r.backend === 'string' &&
    typeof r.unit === 'string' &&
    [r.median, r.min, r.max, r.n].every((v) => typeof v === 'number') &&
    (r.note === undefined || typeof r.note === 'string')
  );
}
