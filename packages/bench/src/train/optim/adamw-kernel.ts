import * as tf from '@tensorflow/tfjs-core';

/** Name of the fused AdamW update kernel (registered for the wasm and cpu backends). */
export const ADAMW_KERNEL = 'MipjsAdamWUpdate';

/** Scalars of one AdamW update; see {@link adamwUpdate}. */
export interface AdamWScalars {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 - lr * weightDecay. */
  decay: number;
  /** Bias corrections 1 - beta1^k and 1 - beta2^k. */
  bc1: number;
  bc2: number;
  /** Multiplies the gradient first (global-norm clipping); 1 = none. */
  gradScale: number;
}

/**
 * One AdamW update of a parameter, fused into a single pass over host arrays:
 *
 *   g' = gradScale g,  m' = b1 m + (1 - b1) g',  v' = b2 v + (1 - b2) g'^2,
 *   p' = decay p - lr (m' / bc1) / (sqrt(v' / bc2) + eps).
 *
 * Op by op, the same update is about a dozen elementwise kernels, each a full pass over the
 * parameter (200 ms per step for the 17M-parameter MLP on wasm). Intermediates here are float64
 * and rounded once when stored, so results can differ from the op-by-op float32 chain in the
 * last bits (deterministically).
 */
export function adamwUpdate(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  out: { p: Float32Array; m: Float32Array; v: Float32Array },
  s: AdamWScalars,
): void {
  // Everything the loop reads lives in locals: V8 then keeps it in registers.
  const { beta1, beta2, eps, decay, gradScale } = s;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const step = s.lr / s.bc1;
  const invBc2 = 1 / s.bc2;
  const outP = out.p;
  const outM = out.m;
  const outV = out.v;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] * gradScale;
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    outM[i] = mi;
    outV[i] = vi;
    outP[i] = decay * p[i] - (step * mi) / (Math.sqrt(vi * invBc2) + eps);
  }
}

/** The backend internals the kernel needs: host views of inputs, and fresh outputs. */
interface HostAccess {
  read(x: tf.TensorInfo): Float32Array;
  /** Allocates three outputs of `shape`; `views()` must be called after all allocations. */
  outputs(shape: number[]): { infos: tf.TensorInfo[]; views: () => Float32Array[] };
}

function wasmAccess(backend: unknown): HostAccess {
  const b = backend as {
    makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
    typedArrayFromHeap(x: tf.TensorInfo): Float32Array;
  };
  return {
    read: (x) => b.typedArrayFromHeap(x),
    outputs: (shape) => {
      // Allocation can grow the heap, which detaches earlier views: take them all afterwards.
      const infos = [0, 1, 2].map(() => b.makeOutput(shape, 'float32'));
      return { infos, views: () => infos.map((i) => b.typedArrayFromHeap(i)) };
    },
  };
}

function cpuAccess(backend: unknown): HostAccess {
  const b = backend as {
    data: { get(id: tf.DataId): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  };
  return {
    read: (x) => b.data.get(x.dataId).values,
    outputs: (shape) => {
      const arrays = [0, 1, 2].map(() => new Float32Array(tf.util.sizeFromShape(shape)));
      return {
        infos: arrays.map((a) => b.makeTensorInfo(shape, 'float32', a)),
        views: () => arrays,
      };
    },
  };
}

let registered = false;

/**
 * Registers {@link ADAMW_KERNEL} for the wasm and cpu backends (idempotent). Inputs `{p, m, v, g}`
 * (float32, same shape), attributes {@link AdamWScalars}; outputs `[p', m', v']`. Other backends
 * (webgl, the native bindings) keep the op-by-op update, where fusion is the backend's business.
 */
export function registerAdamWKernel(): void {
  if (registered) return;
  registered = true;
  for (const [backendName, access] of [
    ['wasm', wasmAccess],
    ['cpu', cpuAccess],
  ] as const) {
    tf.registerKernel({
      kernelName: ADAMW_KERNEL,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const host = access(backend);
        const { p, m, v, g } = inputs as Record<'p' | 'm' | 'v' | 'g', tf.TensorInfo>;
        const { infos, views } = host.outputs([...p.shape]);
        const [outP, outM, outV] = views();
        adamwUpdate(
          host.read(p),
          host.read(m),
          host.read(v),
          host.read(g),
          { p: outP, m: outM, v: outV },
          attrs as unknown as AdamWScalars,
        );
        return infos;
      },
    });
  }
}
