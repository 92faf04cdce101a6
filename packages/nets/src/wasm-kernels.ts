import * as tf from '@tensorflow/tfjs-core';
import {
  GROUP_NORM_BACKWARD_KERNEL,
  GROUP_NORM_FORWARD_KERNEL,
  groupNormBackward,
  groupNormForward,
} from './layers/group-norm-kernels.js';

/** The parts of TF.js's wasm backend (`BackendWasm`) these kernels use. */
interface WasmBackend {
  incRef(dataId: tf.DataId): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

let installed = false;

/**
 * Replaces five TF.js 4.22 wasm kernels that dominate a training step's non-matMul time with
 * faster equivalents (same values; sums may differ in the last bits, see below):
 *
 * - **Identity** and **same-dtype Cast** share their input's buffer (reference counted, as the
 *   cpu backend does) instead of copying it. The engine clones every tensor a kernel saves for
 *   its gradient (`keep(clone(x))`) and stock gradients cast float32 to float32, so one W512 MLP
 *   train step made ~640 full copies of activations and weights. Sharing is safe because TF.js
 *   tensors are immutable: no wasm kernel writes into an input and `Variable.assign` swaps the
 *   variable's buffer instead of overwriting it.
 * - **Transpose** of a matrix (perm [1, 0], or [0, 2, 1] for a batch) is a cache-blocked copy on
 *   the wasm heap (3x faster than the stock per-element loop; the explicit-transpose MatMul
 *   gradient of {@link installFastMatMulGradient} does two per dense layer).
 * - **Sum over leading axes** (bias and LayerNorm-gain gradients: dy[B, out] summed over the
 *   batch) adds rows in place, eight at a time, instead of transposing first (0.4 ms instead of
 *   2.6 ms for 256 x 2048). The additions happen in a different order, so such sums can differ
 *   from the stock kernel in the last bits (float32 rounding), deterministically.
 * - **Slice** copies the requested block from the heap directly. The stock kernel first reads the
 *   whole input out of the heap (`readSync` makes a copy), so slicing one tap of an im2col or one
 *   image of a batch cost a full copy of the source each time (77 ms for a 1/9 slice of a 1.3M
 *   float tensor; 0.5 ms here). Bitwise the same values.
 *
 *
 * It also registers {@link IM2COL_T_KERNEL} on wasm, the patches of a convolution already in the
 * layout its filter gradient multiplies (`conv2dFilterGradient`): one strided gather instead of
 * kh kw slices, a concat and a transpose of the kh kw times larger buffer.
 *
 * And the fused GroupNorm passes of `groupNormLean` (`MipGroupNormForward`,
 * `MipGroupNormBackward`, see layers/group-norm-kernels.ts): four reads of the activation per
 * norm instead of about 25.
 *
 * Call once after `@tensorflow/tfjs-backend-wasm` is imported (it registers the kernels this
 * replaces). Idempotent; returns false (and changes nothing) when the wasm kernels are not
 * registered.
 */
export function installFastWasmKernels(): boolean {
  if (installed) return true;
  const stock = {
    Identity: tf.getKernel('Identity', 'wasm'),
    Cast: tf.getKernel('Cast', 'wasm'),
    Transpose: tf.getKernel('Transpose', 'wasm'),
    Sum: tf.getKernel('Sum', 'wasm'),
    Slice: tf.getKernel('Slice', 'wasm'),
  };
  if (Object.values(stock).some((k) => k === undefined)) return false;
  const { Identity, Cast, Transpose, Sum, Slice } = stock as Record<keyof typeof stock, tf.KernelConfig>;
  installed = true;

  const replace = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };

  const share = ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const x = inputs.x as tf.TensorInfo;
    (backend as unknown as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };

  // Strings live outside the heap; the stock kernels handle them.
  replace('Identity', (args) =>
    (args.inputs.x as tf.TensorInfo).dtype === 'string' ? Identity.kernelFunc(args) : share(args),
  );
  replace('Cast', (args) => {
    const to = args.attrs?.dtype;
    return (args.inputs.x as tf.TensorInfo).dtype === to && to !== 'string'
      ? share(args)
      : Cast.kernelFunc(args);
  });

  replace('Transpose', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = args.attrs?.perm as number[];
    const batched = perm.length === 3 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1;
    const matrix = perm.length === 2 && perm[0] === 1 && perm[1] === 0;
    if ((!batched && !matrix) || x.dtype === 'string' || x.dtype === 'complex64')
      return Transpose.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const [n, rows, cols] = batched ? x.shape : [1, ...x.shape];
    const out = backend.makeOutput(batched ? [n, cols, rows] : [cols, rows], x.dtype);
    // Views after the allocation: a heap that grew detaches earlier views.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let b = 0; b < n; b++) transposeBlocked(src, dst, b * rows * cols, rows, cols);
    return out;
  });

  replace('Sum', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(args.attrs?.axis as number | number[], x.shape);
    const k = axes.length;
    const leading = k > 0 && k < rank && [...axes].sort((a, b) => a - b).every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return Sum.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const rest = x.shape.slice(k);
    const out = backend.makeOutput(args.attrs?.keepDims ? [...axes.map(() => 1), ...rest] : rest, 'float32');
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    sumRows(
      src,
      tf.util.sizeFromShape(x.shape.slice(0, k)),
      tf.util.sizeFromShape(rest),
      backend.typedArrayFromHeap(out) as Float32Array,
    );
    return out;
  });

  tf.registerKernel({
    kernelName: IM2COL_T_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { kh, kw, stride } = args.attrs as unknown as Im2colTAttrs;
      const [n, h, w, c] = x.shape as [number, number, number, number];
      const first = (args.attrs as unknown as Im2colTAttrs).first ?? 0;
      const count = (args.attrs as unknown as Im2colTAttrs).count ?? n - first;
      const ho = Math.floor((h - kh) / stride) + 1;
      const wo = Math.floor((w - kw) / stride) + 1;
      if (x.dtype !== 'float32' || ho < 1 || wo < 1 || first < 0 || count < 1 || first + count > n)
        throw new Error(
          `${IM2COL_T_KERNEL}: expected float32 [N, H, W, C] at least ${kh} x ${kw} and images ${first} .. ${first + count - 1} of N, got ${x.dtype} [${x.shape}]`,
        );
      const backend = args.backend as unknown as WasmBackend;
      const out = backend.makeOutput([kh * kw * c, count * ho * wo], 'float32');
      // Views after the allocation: a heap that grew detaches earlier views.
      im2colTransposed(
        backend.typedArrayFromHeap(x) as Float32Array,
        [n, h, w, c],
        kh,
        kw,
        stride,
        backend.typedArrayFromHeap(out) as Float32Array,
        first,
        count,
      );
      return out;
    },
  });

  const f32 = (backend: WasmBackend, t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  tf.registerKernel({
    kernelName: GROUP_NORM_FORWARD_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
      const { groups, eps } = args.attrs as unknown as { groups: number; eps: number };
      const [b, l, c] = x!.shape as [number, number, number];
      const backend = args.backend as unknown as WasmBackend;
      const y = backend.makeOutput([b, l, c], 'float32');
      const mean = backend.makeOutput([b, groups], 'float32');
      const rstd = backend.makeOutput([b, groups], 'float32');
      // Views after the allocations: a heap that grew detaches earlier views.
      groupNormForward(
        f32(backend, x!),
        [b, l, c],
        groups,
        eps,
        f32(backend, gamma!),
        f32(backend, beta!),
        f32(backend, y),
        f32(backend, mean),
        f32(backend, rstd),
      );
      return [y, mean, rstd];
    },
  });
  tf.registerKernel({
    kernelName: GROUP_NORM_BACKWARD_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x, dy, gamma, mean, rstd } = args.inputs as Record<string, tf.TensorInfo>;
      const { groups } = args.attrs as unknown as { groups: number };
      const [b, l, c] = x!.shape as [number, number, number];
      const backend = args.backend as unknown as WasmBackend;
      const dx = backend.makeOutput([b, l, c], 'float32');
      const dgamma = backend.makeOutput([c], 'float32');
      const dbeta = backend.makeOutput([c], 'float32');
      groupNormBackward(
        f32(backend, x!),
        f32(backend, dy!),
        [b, l, c],
        groups,
        f32(backend, gamma!),
        f32(backend, mean!),
        f32(backend, rstd!),
        f32(backend, dx),
        f32(backend, dgamma),
        f32(backend, dbeta),
      );
      return [dx, dgamma, dbeta];
    },
  });

  replace('Slice', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string' || x.dtype === 'complex64') return Slice.kernelFunc(args);
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as unknown as tf.Tensor,
      args.attrs?.begin as number[],
      args.attrs?.size as number[],
    );
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(size, x.dtype);
    if (tf.util.sizeFromShape(size) === 0) return out;
    // Views after the allocation: a heap that grew detaches earlier views.
    copyBlock(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
    return out;
  });
  return true;
}

/** The kernel name of the transposed im2col (registered on wasm by {@link installFastWasmKernels}). */
export const IM2COL_T_KERNEL = 'MipIm2colTransposed';

/**
 * Attributes of {@link IM2COL_T_KERNEL}: kernel size and stride of a 'valid' convolution, and
 * the images whose patches to gather (default all): images `first .. first + count - 1`.
 */
export interface Im2colTAttrs {
  kh: number;
  kw: number;
  stride: number;
  first?: number;
  count?: number;
}

/**
 * The patches of a 'valid' convolution of images `first .. first + count - 1` of
 * `x [N, H, W, C]` (row-major) as `[kh kw C, M]`, `M = count Ho Wo`:
 * `out[(a kw + b) C + c, ((n - first) Ho + i) Wo + j] = x[n, i s + a, j s + b, c]`. Loops
 * image row by image row, so the input row being read stays in cache while its kh kw C output
 * rows get Wo consecutive values each.
 *
 * @example
 * im2colTransposed(x, [1, 3, 3, 1], 2, 2, 1, out); // out: [4, 4]
 */
export function im2colTransposed(
  x: Float32Array,
  shape: readonly [number, number, number, number],
  kh: number,
  kw: number,
  s: number,
  out: Float32Array,
  first = 0,
  count = shape[0] - first,
): void {
  const [, h, w, c] = shape;
  const ho = Math.floor((h - kh) / s) + 1;
  const wo = Math.floor((w - kw) / s) + 1;
  const m = count * ho * wo;
  const step = s * c;
  for (let img = first; img < first + count; img++) {
    for (let i = 0; i < ho; i++) {
      const col0 = ((img - first) * ho + i) * wo;
      for (let a = 0; a < kh; a++) {
        const rowBase = (img * h + i * s + a) * w * c;
        for (let b = 0; b < kw; b++) {
          const tap = (a * kw + b) * c;
          for (let ch = 0; ch < c; ch++) {
            const o = (tap + ch) * m + col0;
            let f = rowBase + b * c + ch;
            for (let j = 0; j < wo; j++, f += step) out[o + j] = x[f]!;
          }
        }
      }
    }
  }
}

/**
 * out = x[begin : begin + size] for a row-major x: the trailing axes that are taken whole, and
 * the last partial axis before them, form contiguous runs, copied with one `set` each.
 */
function copyBlock(
  x: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d]!;
  }
  // The last axis not taken whole; everything after it is contiguous.
  let d = rank - 1;
  while (d > 0 && size[d] === shape[d] && begin[d] === 0) d--;
  const run = rank === 0 ? 1 : size[d]! * strides[d]!;
  const outer = size.slice(0, d);
  const index = new Array<number>(d).fill(0);
  const count = outer.reduce((a, b) => a * b, 1);
  let from = 0;
  for (let a = 0; a < rank; a++) from += begin[a]! * strides[a]!;
  for (let r = 0; r < count; r++) {
    let offset = from;
    for (let a = 0; a < d; a++) offset += index[a]! * strides[a]!;
    out.set(x.subarray(offset, offset + run), r * run);
    for (let a = d - 1; a >= 0; a--) {
      if (++index[a]! < outer[a]!) break;
      index[a] = 0;
    }
  }
}

/**
 * out[c] = sum_r x[r * cols + c]: eight rows per pass (one read-modify-write of `out` per eight
 * loads), then the remaining rows one by one. A fixed order, so the result is deterministic.
 */
function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  out.fill(0);
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const i = base + c;
      out[c] +=
        x[i] +
        x[i + cols] +
        (x[i + 2 * cols] + x[i + 3 * cols]) +
        (x[i + 4 * cols] + x[i + 5 * cols] + (x[i + 6 * cols] + x[i + 7 * cols]));
    }
  }
  for (; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c] += x[base + c];
  }
}

/** dst[base + j * rows + i] = src[base + i * cols + j], in 32 x 32 tiles (both sides cache-friendly). */
function transposeBlocked(
  src: Float32Array | Int32Array | Uint8Array,
  dst: Float32Array | Int32Array | Uint8Array,
  base: number,
  rows: number,
  cols: number,
): void {
  const tile = 32;
  for (let i0 = 0; i0 < rows; i0 += tile) {
    const i1 = Math.min(rows, i0 + tile);
    for (let j0 = 0; j0 < cols; j0 += tile) {
      const j1 = Math.min(cols, j0 + tile);
      for (let i = i0; i < i1; i++) {
        const from = base + i * cols;
        for (let j = j0; j < j1; j++) dst[base + j * rows + i] = src[from + j];
      }
    }
  }
}
