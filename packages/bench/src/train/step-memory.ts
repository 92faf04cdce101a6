import { totalmem } from 'node:os';

/**
 * The memory limit of a TF.js backend for one training step, in bytes: wasm addresses at most
 * 4 GiB (wasm32; the build grows its memory up to that), the cpu and native backends hold
 * tensors in this process's memory (the machine's total memory bounds them).
 */
export function backendMemoryLimit(backend: string): { bytes: number; what: string } {
  if (backend === 'wasm') return { bytes: 4 * 2 ** 30, what: "the wasm backend's 4 GiB address space" };
  return {
    bytes: totalmem(),
    what: `this machine's ${formatBytes(totalmem())} of memory (backend ${backend})`,
  };
}

/** `1.5 GiB`, `320 MiB`, `12 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/**
 * The peak memory of a training step at `batch`, from the peaks of two probe steps at small
 * batches: `peak(b) = fixed + perSample * b` (weights, gradients and optimizer state are the fixed
 * part; activations and their gradients grow with the batch).
 *
 * ```ts
 * estimateStepBytes({ batch: 4, peak: 9e6 }, { batch: 8, peak: 1.3e7 }, 1e8); // ~1e14
 * ```
 */
export function estimateStepBytes(
  small: { batch: number; peak: number },
  large: { batch: number; peak: number },
  batch: number,
): { bytes: number; perSample: number; fixed: number } {
  const perSample = Math.max(0, (large.peak - small.peak) / (large.batch - small.batch));
  const fixed = Math.max(0, small.peak - perSample * small.batch);
  return { bytes: fixed + perSample * batch, perSample, fixed };
}

/**
 * The refusal of a batch whose step cannot fit, or null when it fits: names the flag (or config
 * key), the estimate, the limit and the largest batch that would fit.
 */
export function stepMemoryProblem(
  estimate: { bytes: number; perSample: number; fixed: number },
  batch: number,
  backend: string,
  label: string,
): string | null {
  const limit = backendMemoryLimit(backend);
  if (estimate.bytes <= limit.bytes) return null;
  const fits = estimate.perSample > 0 ? Math.floor((limit.bytes - estimate.fixed) / estimate.perSample) : 0;
  return (
    `${label} ${batch}: one training step needs about ${formatBytes(estimate.bytes)} ` +
    `(${formatBytes(estimate.perSample)} per sample, measured on probe steps), more than ${limit.what}; ` +
    (fits >= 1 ? `a batch of at most about ${fits} fits` : 'no batch fits this model on this backend')
  );
}
