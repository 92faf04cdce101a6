/**
 * Sample-quality metrics for 2-D distributions (checkerboard, bimodal). Points are interleaved
 * `[x0, y0, x1, y1, ...]` Float32Arrays.
 */

/** A rectangular histogram domain. */
export interface Box {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

function histogram(points: Float32Array, box: Box, bins: number): { counts: Float64Array; outside: number } {
  const counts = new Float64Array(bins * bins);
  let outside = 0;
  const n = points.length / 2;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    const bx = Math.floor(((x - box.xmin) / (box.xmax - box.xmin)) * bins);
    const by = Math.floor(((y - box.ymin) / (box.ymax - box.ymin)) * bins);
    if (!(bx >= 0 && bx < bins && by >= 0 && by < bins)) {
      outside++;
      continue;
    }
    counts[by * bins + bx] += 1;
  }
  return { counts, outside };
}

/**
 * KL(P_data || Q_model) between 2-D histograms on `box` with `bins x bins` cells, plus one extra
 * cell for everything outside the box. Both histograms get `smoothing` pseudo-counts per cell so
 * the divergence stays finite when the model leaves a cell empty. 0 = identical histograms.
 */
export function histogramKL(
  model: Float32Array,
  data: Float32Array,
  box: Box,
  bins = 32,
  smoothing = 0.5,
): number {
  const hm = histogram(model, box, bins);
  const hd = histogram(data, box, bins);
  const cells = bins * bins + 1;
  const nm = model.length / 2 + smoothing * cells;
  const nd = data.length / 2 + smoothing * cells;
  let kl = 0;
  for (let c = 0; c < cells; c++) {
    const p = ((c < bins * bins ? hd.counts[c] : hd.outside) + smoothing) / nd;
    const q = ((c < bins * bins ? hm.counts[c] : hm.outside) + smoothing) / nm;
    kl += p * Math.log(p / q);
  }
  return kl;
}

function meanPairDistance(a: Float32Array, b: Float32Array, dim: number, same: boolean): number {
  const na = a.length / dim;
  const nb = b.length / dim;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < na; i++) {
    for (let j = same ? i + 1 : 0; j < nb; j++) {
      let d2 = 0;
      for (let k = 0; k < dim; k++) {
        const d = a[i * dim + k] - b[j * dim + k];
        d2 += d * d;
      }
      sum += Math.sqrt(d2);
      count++;
    }
  }
  return count > 0 ? sum / count : 0;
}

/**
 * Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (Székely & Rizzo), with the unbiased
 * within-sample terms (pairs i != j). 0 when the distributions are equal; O(n^2), so callers
 * pass a few thousand points at most.
 */
export function energyDistance(x: Float32Array, y: Float32Array, dim = 2): number {
  return (
    2 * meanPairDistance(x, y, dim, false) -
    meanPairDistance(x, x, dim, true) -
    meanPairDistance(y, y, dim, true)
  );
}

/** Mean squared error between two equally long arrays. */
export function meanSquaredError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`MSE of arrays of length ${a.length} and ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return a.length ? s / a.length : 0;
}
