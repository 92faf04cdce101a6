import * as tf from '@tensorflow/tfjs-core';

/**
 * Fused GroupNorm passes on flat `[B, L, C]` row-major arrays (G groups of C / G channels,
 * statistics per sample and group over its N = L C / G values), used by the wasm kernels of
 * {@link groupNormLean} (registered by `installFastWasmKernels`): the tf-ops version reads the
 * activation about 25 times per norm and step (moments transpose to reduce, broadcast
 * subtractions and products), these read it four times. Sums are accumulated in float64.
 *
 * Forward: `mean`, `rstd = 1 / sqrt(var + eps)` per (b, g), `y = (x - mean) rstd gamma + beta`.
 * Backward (g = dy gamma, xhat = (x - mean) rstd):
 *   `dx = rstd (g - mean_grp(g) - xhat mean_grp(g xhat))`,
 *   `dgamma = sum_{b,l} dy xhat`, `dbeta = sum_{b,l} dy`.
 *
 * @example
 * groupNormForward(x, [2, 49, 64], 4, 1e-5, gamma, beta, y, mean, rstd);
 */
export function groupNormForward(
  x: Float32Array,
  shape: readonly [number, number, number],
  groups: number,
  eps: number,
  gamma: Float32Array,
  beta: Float32Array,
  y: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  const [b, l, c] = shape;
  const cg = c / groups;
  const n = l * cg;
  const s1 = new Float64Array(groups);
  const s2 = new Float64Array(groups);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let s = 0; s < b; s++) {
    s1.fill(0);
    s2.fill(0);
    const base = s * l * c;
    for (let r = 0; r < l; r++) {
      let o = base + r * c;
      for (let g = 0; g < groups; g++) {
        let a = 0;
        let q = 0;
        for (let k = 0; k < cg; k++, o++) {
          const v = x[o]!;
          a += v;
          q += v * v;
        }
        s1[g]! += a;
        s2[g]! += q;
      }
    }
    for (let g = 0; g < groups; g++) {
      const m = s1[g]! / n;
      const rs = 1 / Math.sqrt(Math.max(0, s2[g]! / n - m * m) + eps);
      mean[s * groups + g] = m;
      rstd[s * groups + g] = rs;
      for (let k = 0; k < cg; k++) {
        const ch = g * cg + k;
        scale[ch] = rs * gamma[ch]!;
        shift[ch] = beta[ch]! - m * rs * gamma[ch]!;
      }
    }
    for (let r = 0; r < l; r++) {
      const o = base + r * c;
      for (let ch = 0; ch < c; ch++) y[o + ch] = x[o + ch]! * scale[ch]! + shift[ch]!;
    }
  }
}

/** The backward pass of {@link groupNormForward}: dx, and dgamma / dbeta summed over B and L. */
export function groupNormBackward(
  x: Float32Array,
  dy: Float32Array,
  shape: readonly [number, number, number],
  groups: number,
  gamma: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const [b, l, c] = shape;
  const cg = c / groups;
  const n = l * cg;
  const dg = new Float64Array(c);
  const db = new Float64Array(c);
  const sg = new Float64Array(groups);
  const sgx = new Float64Array(groups);
  const mu = new Float32Array(c);
  const rs = new Float32Array(c);
  const a = new Float32Array(c);
  const k0 = new Float32Array(c);
  const k2 = new Float32Array(c);
  for (let s = 0; s < b; s++) {
    for (let ch = 0; ch < c; ch++) {
      const g = Math.floor(ch / cg);
      mu[ch] = mean[s * groups + g]!;
      rs[ch] = rstd[s * groups + g]!;
    }
    sg.fill(0);
    sgx.fill(0);
    const base = s * l * c;
    for (let r = 0; r < l; r++) {
      let o = base + r * c;
      for (let g = 0; g < groups; g++) {
        let p = 0;
        let q = 0;
        for (let k = 0, ch = g * cg; k < cg; k++, ch++, o++) {
          const xh = (x[o]! - mu[ch]!) * rs[ch]!;
          const d = dy[o]!;
          const gv = d * gamma[ch]!;
          p += gv;
          q += gv * xh;
          dg[ch]! += d * xh;
          db[ch]! += d;
        }
        sg[g]! += p;
        sgx[g]! += q;
      }
    }
    // dx = rstd gamma dy - rstd mean(g) - rstd^2 (x - mu) mean(g xhat): three coefficients per
    // channel, then one pass.
    for (let ch = 0; ch < c; ch++) {
      const g = Math.floor(ch / cg);
      a[ch] = rs[ch]! * gamma[ch]!;
      k0[ch] = rs[ch]! * (sg[g]! / n);
      k2[ch] = rs[ch]! * rs[ch]! * (sgx[g]! / n);
    }
    for (let r = 0; r < l; r++) {
      const o = base + r * c;
      for (let ch = 0; ch < c; ch++) {
        const i = o + ch;
        dx[i] = a[ch]! * dy[i]! - k0[ch]! - k2[ch]! * (x[i]! - mu[ch]!);
      }
    }
  }
  for (let ch = 0; ch < c; ch++) {
    dgamma[ch] = dg[ch]!;
    dbeta[ch] = db[ch]!;
  }
}

/** Kernel names of the fused passes (registered on wasm by `installFastWasmKernels`). */
export const GROUP_NORM_FORWARD_KERNEL = 'MipGroupNormForward';
export const GROUP_NORM_BACKWARD_KERNEL = 'MipGroupNormBackward';

/** Whether the current backend has the fused GroupNorm kernels. */
export function haveGroupNormKernels(): boolean {
  const b = tf.getBackend();
  return (
    tf.getKernel(GROUP_NORM_FORWARD_KERNEL, b) !== undefined &&
    tf.getKernel(GROUP_NORM_BACKWARD_KERNEL, b) !== undefined
  );
}
