import * as tf from '@tensorflow/tfjs-core';
import {
  GROUP_NORM_BACKWARD_KERNEL,
  GROUP_NORM_FORWARD_KERNEL,
  haveGroupNormKernels,
} from './group-norm-kernels.js';

/**
 * Group normalisation of `x: [B, L, C]` (G groups of C/G channels) with a hand-written gradient
 * that keeps only `x`, the per-(sample, group) mean and `rstd = 1/sqrt(var + eps)` for the
 * backward pass; autodiff of the moments formula would keep `x - mean`, its square and `xhat`
 * (several copies of the activation), which is what makes batch 64 of the ResNet-18 encoder
 * overflow wasm's 4 GiB heap.
 *
 * Forward: `xhat = (x - mu) rstd`, `y = gamma xhat + beta`.
 * Backward (N = L C/G values per group, g = dy gamma):
 *   `dx = rstd (g - mean_grp(g) - xhat mean_grp(g xhat))`,
 *   `dgamma = sum_{B,L} dy xhat`, `dbeta = sum_{B,L} dy`;
 * `xhat` is recomputed from the saved `x`, mean and rstd. On wasm after `installFastWasmKernels`
 * both passes are fused kernels (layers/group-norm-kernels.ts; float64 sums, so results differ
 * from the tf-ops path in the last float32 bits).
 *
 * @example
 * const y = groupNormLean(x, gamma, beta, 4, 1e-5); // x: [2, 49, 64]
 */
export function groupNormLean(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  groups: number,
  eps = 1e-5,
): tf.Tensor {
  if (x.rank !== 3)
    throw new Error(`groupNormLean expects x of rank 3 [B, L, C], got [${x.shape.join(', ')}]`);
  const [b, l, c] = x.shape;
  if (c % groups !== 0) throw new Error(`groupNormLean: ${groups} groups do not divide ${c} channels`);
  const grouped = [b, l, groups, c / groups];
  if (haveGroupNormKernels()) {
    const fused = tf.customGrad((xIn, gIn, bIn, save) => {
      const gm = gIn as tf.Tensor;
      const [value, mean, rstd] = tf.engine().runKernel(
        GROUP_NORM_FORWARD_KERNEL,
        { x: xIn as tf.Tensor, gamma: gm, beta: bIn as tf.Tensor },
        {
          groups,
          eps,
        },
      ) as tf.Tensor[];
      (save as tf.GradSaveFunc)([xIn as tf.Tensor, mean!, rstd!]);
      const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
        const [sx, smean, srstd] = saved;
        return tf
          .engine()
          .runKernel(
            GROUP_NORM_BACKWARD_KERNEL,
            { x: sx!, dy: dy as tf.Tensor, gamma: gm, mean: smean!, rstd: srstd! },
            { groups },
          ) as tf.Tensor[];
      };
      return { value: value!, gradFunc };
    });
    return fused(x, gamma, beta);
  }
  const f = tf.customGrad((xIn, gIn, bIn, save) => {
    const xs = xIn as tf.Tensor;
    const gm = gIn as tf.Tensor;
    const bt = bIn as tf.Tensor;
    const [mean, rstd] = tf.tidy(() => {
      const m = tf.moments(tf.reshape(xs, grouped), [1, 3], true);
      return [m.mean, tf.rsqrt(tf.add(m.variance, eps))];
    });
    (save as tf.GradSaveFunc)([xs, mean, rstd]);
    const value = tf.tidy(() => {
      const xhat = tf.reshape(tf.mul(tf.sub(tf.reshape(xs, grouped), mean), rstd), [b, l, c]);
      return tf.add(tf.mul(xhat, gm), bt);
    });
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, smean, srstd] = saved;
      const d = dy as tf.Tensor;
      return tf.tidy(() => {
        const xhat = tf.mul(tf.sub(tf.reshape(sx, grouped), smean), srstd);
        const dyG = tf.reshape(d, grouped);
        const g = tf.mul(dyG, tf.reshape(gm, [1, 1, groups, c / groups]));
        const meanG = tf.mean(g, [1, 3], true);
        const meanGX = tf.mean(tf.mul(g, xhat), [1, 3], true);
        const dx = tf.reshape(tf.mul(srstd, tf.sub(tf.sub(g, meanG), tf.mul(xhat, meanGX))), [b, l, c]);
        const dgamma = tf.reshape(tf.sum(tf.mul(dyG, xhat), [0, 1]), [c]);
        const dbeta = tf.sum(d, [0, 1]);
        return [dx, dgamma, dbeta];
      });
    };
    return { value, gradFunc };
  });
  return f(x, gamma, beta);
}
