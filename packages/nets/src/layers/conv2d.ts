import * as tf from '@tensorflow/tfjs-core';
import { IM2COL_T_KERNEL, type Im2colTAttrs } from '../wasm-kernels.js';
import { type InitRandom, initBiasValues, initWeightValues } from './init.js';
import type { VariableScope } from './module.js';

/**
 * The `s x s` phases of an image, `[N, H, W, C]` -> `[s s N, ceil(H / s), ceil(W / s), C]` (zero
 * padded at the bottom and right to multiples of s): block `(q s + p) N + n` holds
 * `x[n, i s + p, j s + q]` (row phase p, column phase q). Strided windows become unit-stride
 * windows of one phase, and the wasm backend's strided slice is a slow per-element loop.
 */
function phases2d(x: tf.Tensor4D, s: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const hs = Math.ceil(h / s);
    const ws = Math.ceil(w / s);
    const xp =
      hs * s > h || ws * s > w
        ? tf.pad(x, [
            [0, 0],
            [0, hs * s - h],
            [0, ws * s - w],
            [0, 0],
          ])
        : x;
    // Row phase to the front: [N, hs, s, W C] -> [s, N, hs, W C].
    const rows = tf.transpose(tf.reshape(xp, [n, hs, s, ws * s * c]), [2, 0, 1, 3]);
    // Column phase to the front: [s N hs, ws, s, C] -> [s, s N hs, ws, C].
    const cols = tf.transpose(tf.reshape(rows, [s * n * hs, ws, s, c]), [2, 0, 1, 3]);
    return tf.reshape(cols, [s * s * n, hs, ws, c]) as tf.Tensor4D;
  });
}

/**
 * `[N, H, W, C]` -> `[kh kw, N Ho Wo, C]`: the image patches of a 'valid' convolution, tap-major,
 * `cols[a kw + b, (n Ho + i) Wo + j, c] = x[n, i s + a, j s + b, c]`, `Ho = floor((H - kh) / s) + 1`
 * (im2col). Each tap is one contiguous slice (of a phase of the image for s > 1) and the taps are
 * stacked on a leading axis: both are block copies on every backend, unlike a channel-interleaved
 * concat. The tap order matches a filter `[kh, kw, C, Cout]` reshaped to `[kh kw, C, Cout]`.
 */
export function im2col2d(x: tf.Tensor4D, kh: number, kw: number, stride: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const ho = Math.floor((h - kh) / stride) + 1;
    const wo = Math.floor((w - kw) / stride) + 1;
    if (ho < 1 || wo < 1)
      throw new Error(`conv2d: input ${h} x ${w} is smaller than the kernel ${kh} x ${kw}`);
    const s = stride;
    const src = s === 1 ? x : phases2d(x, s);
    const taps: tf.Tensor[] = [];
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const block = s === 1 ? 0 : ((b % s) * s + (a % s)) * n;
        const [r, q] = s === 1 ? [a, b] : [Math.floor(a / s), Math.floor(b / s)];
        const tap =
          s === 1 && ho === h && wo === w && block === 0
            ? src
            : tf.slice(src, [block, r, q, 0], [n, ho, wo, c]);
        taps.push(tf.reshape(tap, [1, n * ho * wo, c]));
      }
    }
    return (taps.length === 1 ? taps[0]! : tf.concat(taps, 0)) as tf.Tensor3D;
  });
}

/**
 * One axis of the phase decomposition of a strided convolution's input gradient. With input
 * length H, zero padding p, kernel k, stride s and output length Ho, input position v (unpadded)
 * sits at padded position u = v + p, and output i reaches it through tap a = u - i s. Write
 * v = r s + psi (psi the phase of v): the taps that reach phase psi are a = phi + s m with
 * phi = (psi + p) mod s, m = 0 .. kPhi - 1, kPhi = ceil((k - phi) / s), and with
 * c = floor((psi + p) / s), `dx[r s + psi] = sum_m dy[r + c - m] W[phi + s m]`: a unit-stride
 * correlation of dy with the reversed sub-filter, dy padded by `kPhi - 1 - c` in front and
 * `R + c - Ho` behind (R = ceil(H / s) rows for every phase; a negative pad crops dy).
 */
interface PhaseAxis {
  /** Filter taps of this phase in correlation order (reversed: a = phi + s (kPhi - 1 - m')). */
  taps: number[];
  padFront: number;
  padBack: number;
}

function phaseAxis(h: number, ho: number, k: number, s: number, p: number, psi: number): PhaseAxis {
  const phi = (psi + p) % s;
  const c = Math.floor((psi + p) / s);
  const kPhi = phi < k ? Math.ceil((k - phi) / s) : 0;
  const taps = Array.from({ length: kPhi }, (_, m) => phi + s * (kPhi - 1 - m));
  const rows = Math.ceil(h / s);
  return { taps, padFront: kPhi - 1 - c, padBack: rows + c - ho };
}

/** Symmetric zero padding of rows and columns (identity for p = 0). */
function pad2d(x: tf.Tensor4D, p: number): tf.Tensor4D {
  if (p === 0) return x;
  return tf.pad(x, [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ]) as tf.Tensor4D;
}

/**
 * The gradient of a conv2d with zero padding `padding` (symmetric) with respect to its
 * unpadded filter, `dW[a, b, c, o] = sum_{n,i,j} xpad[n, i s + a, j s + b, c] dy[n, i, j, o]`,
 * as one matMul `dW = cols^T dy` over the `M = N Ho Wo` output pixels. The patches are laid out
 * `[kh kw C, M]` (one batched transpose of the tap-major im2col), so the product's packed right
 * operand is `dy [M, Co]` rather than the kh kw times larger patches (the wasm matMul packs its
 * right operand on every call: 4x faster for ResNet-18's first stage, measured), and the
 * product is already dW's `[kh kw C, Co]` layout (no transpose after). Where the backend has
 * {@link IM2COL_T_KERNEL} (wasm after `installFastWasmKernels`) the patches are gathered in that
 * layout directly.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
  padding = 0,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape;
    const xp = pad2d(x, padding);
    const [n, hp, wp] = xp.shape;
    const ho = Math.floor((hp - kh) / stride) + 1;
    const wo = Math.floor((wp - kw) / stride) + 1;
    const dy2 = tf.reshape(dy, [n * ho * wo, co]) as tf.Tensor2D;
    if (!tf.getKernel(IM2COL_T_KERNEL, tf.getBackend())) {
      const cols = im2col2d(xp, kh, kw, stride);
      const colsT = tf.reshape(tf.transpose(cols, [0, 2, 1]), [kh * kw * ci, cols.shape[1]]) as tf.Tensor2D;
      cols.dispose(); // the patches are the step's largest buffer: free them before the product
      return tf.reshape(tf.matMul(colsT, dy2), [kh, kw, ci, co]) as tf.Tensor4D;
    }
    // wasm with installFastWasmKernels: the patches of a group of whole images at a time, gathered
    // in the [kh kw C, m] layout by one kernel, times their rows of dy, summed over the groups. A
    // group's dy block (the packed operand) is about 512 KiB, so it stays in L2 while the product
    // streams the patches past it: 1.4-1.7x faster than one product over all M pixels (ResNet-18's
    // first stage and stem at batch 64, measured), and only one group's patches exist at a time.
    const perImage = ho * wo;
    const group = Math.max(1, Math.floor(Math.max(1024, 131072 / co) / perImage));
    let sum: tf.Tensor2D | null = null;
    for (let first = 0; first < n; first += group) {
      const count = Math.min(group, n - first);
      const attrs: Im2colTAttrs = { kh, kw, stride, first, count };
      const colsT = tf
        .engine()
        .runKernel(IM2COL_T_KERNEL, { x: xp }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
      const rows = count === n ? dy2 : tf.slice(dy2, [first * perImage, 0], [count * perImage, co]);
      const part = tf.matMul(colsT, rows);
      colsT.dispose();
      if (rows !== dy2) rows.dispose();
      if (sum) {
        const next = tf.add(sum, part) as tf.Tensor2D;
        sum.dispose();
        part.dispose();
        sum = next;
      } else sum = part as tf.Tensor2D;
    }
    return tf.reshape(sum!, [kh, kw, ci, co]) as tf.Tensor4D;
  });
}

/**
 * The gradient of a conv2d (stride s, symmetric zero padding p) with respect to its unpadded
 * input `[N, H, W, Ci]`, by phases (see {@link phaseAxis}): the `s x s` phases of dx are each
 * a unit-stride forward convolution of `dy` with a sub-filter of the flipped, channel-swapped
 * kernel (`[ceil(kh / s), ceil(kw / s), Co, Ci]` at most), with the phase's own explicit zero
 * padding, and are interleaved back. Unlike a convolution of the zero-dilated dy, no product
 * with an inserted zero is computed (a quarter of the work at s = 2), and since the padding is
 * folded into the geometry no gradient of padded border pixels is computed either (ResNet-18's
 * last stage: 9 of 25 positions). s = 1 is the one-phase case, `conv2d(dy, flip(W)^T, pad k-1-p)`.
 * Uses only the forward Conv2D kernel (wasm: XNNPACK).
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  inputShape: readonly number[],
  stride: number,
  padding = 0,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = w.shape;
    const [n, h, wd] = inputShape as [number, number, number, number];
    const [, ho, wo] = dy.shape;
    const s = stride;
    const rows = Math.ceil(h / s);
    const colsN = Math.ceil(wd / s);
    // [kh kw, Co, Ci]: every tap's matrix with the channel axes swapped, gathered per phase below.
    const tapsT = tf.transpose(tf.reshape(w, [kh * kw, ci, co]), [0, 2, 1]) as tf.Tensor3D;
    const phase = (psiR: number, psiC: number): tf.Tensor4D => {
      const r = phaseAxis(h, ho, kh, s, padding, psiR);
      const c = phaseAxis(wd, wo, kw, s, padding, psiC);
      if (r.taps.length === 0 || c.taps.length === 0) return tf.zeros([n, rows, colsN, ci]);
      // The phase's taps, each a contiguous [Co, Ci] block: slices and one concat (the wasm
      // Reverse and GatherV2 kernels are element loops, 10-70x slower on a 3 x 3 x 512 x 512 kernel).
      const blocks = r.taps.flatMap((a) =>
        c.taps.map((b) => tf.slice(tapsT, [a * kw + b, 0, 0], [1, co, ci])),
      );
      const sub = tf.reshape(blocks.length === 1 ? blocks[0]! : tf.concat(blocks, 0), [
        r.taps.length,
        c.taps.length,
        co,
        ci,
      ]) as tf.Tensor4D;
      // A negative pad drops rows dy has beyond the phase's reach; the rest is conv2d's padding.
      const crop = [r.padFront, r.padBack, c.padFront, c.padBack].map((v) => Math.max(0, -v));
      const src = crop.some((v) => v > 0)
        ? tf.slice(
            dy,
            [0, crop[0]!, crop[2]!, 0],
            [n, ho - crop[0]! - crop[1]!, wo - crop[2]! - crop[3]!, co],
          )
        : dy;
      const pads = [r.padFront, r.padBack, c.padFront, c.padBack].map((v) => Math.max(0, v));
      const explicit: [[number, number], [number, number], [number, number], [number, number]] = [
        [0, 0],
        [pads[0]!, pads[1]!],
        [pads[2]!, pads[3]!],
        [0, 0],
      ];
      return tf.conv2d(src as tf.Tensor4D, sub, 1, pads.every((v) => v === 0) ? 'valid' : explicit);
    };
    if (s === 1) return phase(0, 0);
    // dx[n, r s + psiR, q s + psiC] = phase(psiR, psiC)[n, r, q]: columns interleaved by a concat
    // on a new axis after q, then rows by one on a new axis after r (block copies of Ci floats).
    const bands = Array.from({ length: s }, (_, psiR) => {
      const parts = Array.from({ length: s }, (_, psiC) =>
        tf.reshape(phase(psiR, psiC), [n, rows, colsN, 1, ci]),
      );
      return tf.reshape(tf.concat(parts, 3), [n, rows, 1, colsN * s * ci]);
    });
    const full = tf.reshape(tf.concat(bands, 2), [n, rows * s, colsN * s, ci]) as tf.Tensor4D;
    return rows * s === h && colsN * s === wd ? full : tf.slice(full, [0, 0, 0, 0], [n, h, wd, ci]);
  });
}

/**
 * 2-D cross-correlation with symmetric zero padding p,
 * `y[n, i, j, o] = sum_{a, b, c} xpad[n, i s + a, j s + b, c] w[a, b, c, o]` (NHWC, filter
 * `[kh, kw, Cin, Cout]`, `Ho = floor((H + 2p - kh) / s) + 1`), with an explicit gradient:
 * TF.js 4.22's wasm backend has no Conv2DBackpropFilter kernel (and its Conv2DBackpropInput is
 * a plain loop), so the stock gradient cannot train on wasm. Here `dW` is im2col + one matMul
 * ({@link conv2dFilterGradient}) and `dx` forward convolutions by phases
 * ({@link conv2dInputGradient}); the forward pass is the backend's Conv2D with the padding
 * folded in (no padded copy of x is made or kept for the backward pass). First order only (the
 * image encoder is never inside a JVP). `inputGradient: false` returns a zero `dx` without
 * computing it, for a first layer whose input is data.
 *
 * @example
 * ```ts
 * const y = conv2dPadded(images, kernel, 2, 3); // [N, 84, 84, 3] x [7, 7, 3, 64] -> [N, 42, 42, 64]
 * ```
 */
export function conv2dPadded(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  padding: number,
  inputGradient = true,
): tf.Tensor4D {
  const p = padding;
  const pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] =
    p === 0
      ? 'valid'
      : [
          [0, 0],
          [p, p],
          [p, p],
          [0, 0],
        ];
  // customGrad passes the inputs, then the save function, as one variadic list.
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, stride, pad),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const d = dy as tf.Tensor4D;
        const shape = ws.shape as [number, number, number, number];
        const dx = inputGradient ? conv2dInputGradient(d, ws, xs.shape, stride, p) : tf.zerosLike(xs);
        return [dx, conv2dFilterGradient(xs, d, shape, stride, p)];
      },
    };
  });
  return f(x, w) as tf.Tensor4D;
}

/** {@link conv2dPadded} without padding: a 'valid' convolution of an input padded (or not) beforehand. */
export function conv2dValid(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  inputGradient = true,
): tf.Tensor4D {
  return conv2dPadded(x, w, stride, 0, inputGradient);
}

/**
 * PyTorch's `kaiming_normal_(mode='fan_out', nonlinearity='relu')`, torchvision ResNet's conv
 * init: N(0, 2 / (Cout kh kw)).
 */
export function kaimingNormalFanOut(size: number, fanOut: number, rng: InitRandom): Float32Array {
  const std = Math.sqrt(2 / fanOut);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = std * rng.normal();
  return out;
}

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding on every side (default 0). */
  padding?: number;
  /** A bias `[Cout]` (default false: ResNet convolutions are followed by a norm). */
  bias?: boolean;
  /** Weight init (default `'kaiming-normal-fan-out'`, torchvision ResNet; or PyTorch's default). */
  init?: 'kaiming-normal-fan-out' | 'kaiming-uniform';
  /** Whether `dx` is computed (default true; false for a first layer fed with data). */
  inputGradient?: boolean;
}

/**
 * 2-D convolution on NHWC images `[N, H, W, Cin] -> [N, Ho, Wo, Cout]` (PyTorch `nn.Conv2d` with
 * square kernel, symmetric zero padding p and stride s: `Ho = floor((H + 2p - k) / s) + 1`),
 * variable `kernel [k, k, Cin, Cout]` (PyTorch's `[Cout, Cin, k, k]` maps to it by
 * `kernel[a, b, c, o] = weight[o, c, a, b]`) and optional `bias [Cout]`. The convolution is
 * {@link conv2dPadded} (padding folded into the backend's Conv2D), trainable on wasm.
 *
 * @example
 * ```ts
 * const conv = new Conv2d(store.root().child('conv1'), 3, 64, 7, { stride: 2, padding: 3 });
 * const y = conv.apply(images); // [N, 42, 42, 64] for 84 x 84 inputs
 * ```
 */
export class Conv2d {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;
  private readonly inputGradient: boolean;

  constructor(
    scope: VariableScope,
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: Conv2dOptions = {},
  ) {
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.inputGradient = options.inputGradient ?? true;
    const k = kernelSize;
    const size = k * k * inChannels * outChannels;
    const values =
      (options.init ?? 'kaiming-normal-fan-out') === 'kaiming-normal-fan-out'
        ? kaimingNormalFanOut(size, outChannels * k * k, scope.rng())
        : initWeightValues('kaiming-uniform', k * k * inChannels, outChannels, scope.rng());
    this.kernel = scope.variable('kernel', tf.tensor(values, [k, k, inChannels, outChannels]));
    // PyTorch's default conv bias: U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
    this.bias = options.bias
      ? scope.variable(
          'bias',
          tf.tensor(initBiasValues('kaiming-uniform', k * k * inChannels, outChannels, scope.rng())),
        )
      : null;
  }

  apply(x: tf.Tensor): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new Error(`Conv2d expects [N, H, W, ${this.inChannels}], got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const y = conv2dPadded(
        x as tf.Tensor4D,
        this.kernel as unknown as tf.Tensor4D,
        this.stride,
        this.padding,
        this.inputGradient,
      );
      return this.bias ? (tf.add(y, this.bias) as tf.Tensor4D) : y;
    });
  }
}
