// perf/image.ts: the cost of one pusht_image training step (ResNet-18 encoder + network + loss + AdamW + EMA).
import * as tf from '@tensorflow/tfjs';
import type { Algorithm } from '../algorithms/algorithm.js';
import { TASK_PRESETS } from '../config/config.js';
import { type PerfShape, timeTrainSteps } from './measure.js';

/** The pusht_image geometry the section measures by default: 96 x 96 x 3 frames cropped to 84 x 84, agent x, y. */
export const PUSHT_IMAGE_PERF = {
  imageShape: [96, 96, 3] as [number, number, number],
  cropShape: [84, 84] as [number, number],
  lowDim: 2,
};

/** What {@link measureImageStep} runs. */
export interface ImageStepSpec {
  algorithm: Algorithm;
  batch: number;
  /** Untimed first steps (optimizer state, kernels, the first allocation of every buffer). */
  warmup: number;
  /** Timed steps after the warm-up. */
  repeats: number;
  imageShape?: [number, number, number];
  cropShape?: [number, number];
  lowDim?: number;
  /** Encoder options beyond the geometry (tests pass small `widths` / `blocks`); default ResNet-18. */
  encoderOptions?: Record<string, unknown>;
  /** Network and its options; default the pusht_image preset's. */
  network?: string;
  networkOptions?: Record<string, unknown>;
}

/** One image step measurement. */
export interface ImageStepResult {
  /** Wall time of each timed step, ms. */
  stepMs: number[];
  /**
   * Size of the wasm backend's linear memory after the last step, bytes; null on other backends.
   * Wasm memory only grows (never shrinks), so this is the heap's high-water mark over the run:
   * the number to hold against wasm32's 4 GiB.
   */
  wasmHeapBytes: number | null;
  /** Largest process RSS seen after a step, MiB (heap of node + wasm memory + frames). */
  peakRssMB: number;
  /** tf.memory().numTensors after each step from step 2 on (must stay flat). */
  tensors: number[];
}

/** The wasm backend's linear memory size in bytes, or null when the backend is not wasm. */
export function wasmHeapBytes(): number | null {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b?.wasm?.HEAPU8 ? b.wasm.HEAPU8.buffer.byteLength : null;
}

/**
 * Times `warmup + repeats` steps of the bench's real trainer on a synthetic pusht_image-shaped
 * task (seeded uniform rows in [-1, 1]: `[frame (H W C), low-dim]` per observation step, To 2,
 * H 16, A 2) with the image encoder, and reads the memory the step needs. Speed and memory do not
 * depend on pixel values, so no dataset is needed and anyone can rerun it (`mipjs perf --only image`).
 *
 * ```ts
 * const r = await measureImageStep({ algorithm: mip, batch: 64, warmup: 1, repeats: 2 });
 * console.log(r.stepMs, r.wasmHeapBytes);  // per-step ms, wasm high-water mark
 * ```
 */
export async function measureImageStep(spec: ImageStepSpec): Promise<ImageStepResult> {
  const imageShape = spec.imageShape ?? PUSHT_IMAGE_PERF.imageShape;
  const cropShape = spec.cropShape ?? PUSHT_IMAGE_PERF.cropShape;
  const lowDim = spec.lowDim ?? PUSHT_IMAGE_PERF.lowDim;
  const preset = TASK_PRESETS.pusht_image;
  const shape: PerfShape = {
    horizon: 16,
    actDim: 2,
    obsSteps: 2,
    obsDim: imageShape[0] * imageShape[1] * imageShape[2] + lowDim,
  };
  const tensors: number[] = [];
  let peakRssMB = 0;
  const times = await timeTrainSteps({
    algorithm: spec.algorithm,
    network: spec.network ?? preset.network ?? 'mlp',
    networkOptions: spec.networkOptions ?? preset.networkOptions ?? {},
    batch: spec.batch,
    steps: spec.warmup + spec.repeats,
    shape,
    encoder: 'image',
    encoderOptions: { ...spec.encoderOptions, imageShape, cropShape },
    onStep: (step) => {
      peakRssMB = Math.max(peakRssMB, process.memoryUsage().rss / 2 ** 20);
      if (step >= 2) tensors.push(tf.memory().numTensors);
    },
  });
  return { stepMs: times.slice(spec.warmup), wasmHeapBytes: wasmHeapBytes(), peakRssMB, tensors };
}
