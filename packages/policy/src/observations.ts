import { PolicyError } from './policy-error.js';

/**
 * Observations for `act`, batched over environments:
 * - a flat `Float32Array` / `number[]` of B·To·D values (row-major `[B, To, D]`);
 * - `number[][]`: one row of To·D values per environment (`[B][To·D]`);
 * - `number[][][]`: `[B][To][D]`;
 * - `{ data, shape: [B, To, D] }` (a `TensorData` of @mipjs/data).
 */
export type ObservationInput =
  | Float32Array
  | ArrayLike<number>
  | readonly (readonly number[])[]
  | readonly (readonly (readonly number[])[])[]
  | { data: ArrayLike<number>; shape: readonly number[] };

const isRows = (x: unknown): x is readonly unknown[] =>
  Array.isArray(x) && x.length > 0 && Array.isArray(x[0]);

/**
 * A checked, flat `[B, To, D]` copy of `input` and its batch size B. Throws a {@link PolicyError}
 * naming the size that was expected (`observation-shape`) or the first non-finite entry
 * (`observation-not-finite`, with its environment, step and feature).
 */
export function observationBatch(
  input: ObservationInput,
  obsSteps: number,
  obsDim: number,
  what = 'observation history',
): { data: Float32Array; batch: number } {
  const per = obsSteps * obsDim;
  const expect = `[B, To=${obsSteps}, D=${obsDim}] (${per} values per environment)`;
  let data: Float32Array;
  if (input === null || input === undefined) {
    throw new PolicyError('observation-shape', `${what}: expected ${expect}, got ${String(input)}`);
  }
  if (!Array.isArray(input) && typeof input === 'object' && 'shape' in input && 'data' in input) {
    const { shape } = input;
    const ok = shape.length === 3 && shape[1] === obsSteps && shape[2] === obsDim && shape[0]! >= 1;
    if (!ok)
      throw new PolicyError(
        'observation-shape',
        `${what}: expected ${expect}, got shape [${shape.join(', ')}]`,
      );
    data = Float32Array.from(input.data);
    if (data.length !== shape[0]! * per) {
      throw new PolicyError(
        'observation-shape',
        `${what}: shape [${shape.join(', ')}] but ${data.length} values`,
      );
    }
  } else if (isRows(input)) {
    const rows = input as readonly unknown[];
    const deep = isRows(rows[0]);
    data = new Float32Array(rows.length * per);
    rows.forEach((row, b) => {
      if (deep) {
        const steps = row as readonly (readonly number[])[];
        if (
          !Array.isArray(steps) ||
          steps.length !== obsSteps ||
          steps.some((s) => !Array.isArray(s) || s.length !== obsDim)
        ) {
          throw new PolicyError(
            'observation-shape',
            `${what}: environment ${b} must be ${obsSteps} steps of ${obsDim} values ([B][To][D])`,
          );
        }
        steps.forEach((s, t) => data.set(s, (b * obsSteps + t) * obsDim));
      } else {
        const r = row as readonly number[];
        if (!Array.isArray(r) || r.length !== per) {
          throw new PolicyError(
            'observation-shape',
            `${what}: row ${b} has ${Array.isArray(r) ? r.length : typeof r} values, expected To·D = ${per} ` +
              `(one environment's ${obsSteps} observations of ${obsDim}); for one environment pass [[...]] or [[[...]]]`,
          );
        }
        data.set(r, b * per);
      }
    });
  } else {
    const flat = input as ArrayLike<number>;
    if (typeof flat.length !== 'number') {
      throw new PolicyError('observation-shape', `${what}: expected ${expect}, got ${typeof input}`);
    }
    if (flat.length === 0 || per === 0 || flat.length % per !== 0) {
      throw new PolicyError(
        'observation-shape',
        `${what}: ${flat.length} values is not a positive multiple of To·D = ${per}; expected ${expect}`,
      );
    }
    data = Float32Array.from(flat);
  }
  const batch = data.length / per;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const b = Math.floor(i / per);
      const t = Math.floor((i % per) / obsDim);
      throw new PolicyError(
        'observation-not-finite',
        `${what}: ${data[i]} at environment ${b}, step ${t}, feature ${i % obsDim}; observations must be finite`,
      );
    }
  }
  return { data, batch };
}
