import * as tf from '@tensorflow/tfjs-core';
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

/** A filter `[k, k, Ci, Co]` flipped in space with its channel axes swapped, `[k, k, Co, Ci]`. */
function flipFilter(w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = w.shape;
    // Flipping both spatial axes reverses the tap order a kw + b; the taps are contiguous blocks,
    // so a concat of them in reverse beats the wasm Reverse kernel (80 ms for 3 x 3 x 512 x 512).
    const taps = tf.reshape(w, [kh * kw, ci, co]);
    const reversed =
      kh * kw === 1
        ? taps
        : tf.concat(
            Array.from({ length: kh * kw }, (_, t) => tf.slice(taps, [kh * kw - 1 - t, 0, 0], [1, ci, co])),
            0,
          );
    return tf.reshape(tf.transpose(reversed, [0, 2, 1]), [kh, kw, co, ci]) as tf.Tensor4D;
  });
}

/**
 * `[N, H, W, C]` -> `[N, (H - 1) s + 1, (W - 1) s + 1, C]` with s - 1 zero rows and columns
 * between neighbours (the "dilated" gradient of a strided convolution); identity for s = 1.
 */
function dilate2d(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const s = stride;
    // Rows: [N, H, 1, W C] -> pad to [N, H, s, W C] -> [N, H s, W, C].
    const rows = tf.reshape(
      tf.pad(tf.reshape(x, [n, h, 1, w * c]), [
        [0, 0],
        [0, 0],
        [0, s - 1],
        [0, 0],
      ]),
      [n, h * s, w, c],
    );
    // Columns: [N H s, W, 1, C] -> pad to [N H s, W, s, C] -> [N, H s, W s, C].
    const cols = tf.reshape(
      tf.pad(tf.reshape(rows, [n * h * s, w, 1, c]), [
        [0, 0],
        [0, 0],
        [0, s - 1],
        [0, 0],
      ]),
      [n, h * s, w * s, c],
    );
    return tf.slice(cols, [0, 0, 0, 0], [n, (h - 1) * s + 1, (w - 1) * s + 1, c]) as tf.Tensor4D;
  });
}

/**
 * The gradient of a 'valid' conv2d with respect to its filter, `dW = im2col(x)^T dy`, as one
 * matMul `dW^T = dy^T cols` with `dy` (the smaller operand) transposed explicitly, since the wasm
 * matMul leaves its fast path on transposed operands.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape;
    const cols = im2col2d(x, kh, kw, stride);
    const m = cols.shape[1];
    // Tap-major [k k, M, C] -> [M, k k C] (one transpose), then one plain matMul: faster on wasm
    // than a channel-interleaved concat of the taps or a batched matMul per tap (measured).
    const flat = tf.reshape(tf.transpose(cols, [1, 0, 2]), [m, kh * kw * ci]) as tf.Tensor2D;
    const dyT = tf.transpose(tf.reshape(dy, [m, co])) as tf.Tensor2D;
    return tf.reshape(tf.transpose(tf.matMul(dyT, flat)), [kh, kw, ci, co]) as tf.Tensor4D;
  });
}

/**
 * The gradient of a 'valid' conv2d with respect to its input, as a forward convolution: the
 * dilated `dy`, zero-padded by `k - 1` (plus the rows and columns the strided windows skipped
 * at the end), correlated with the filter flipped in space and with its channel axes swapped,
 * `dx = conv2d(pad(dilate(dy)), flip(W)^T)`. Uses only the forward Conv2D kernel, which every
 * backend has (wasm: XNNPACK).
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  inputShape: readonly number[],
  stride: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = w.shape;
    const [, h, wd] = inputShape as [number, number, number, number];
    const [, ho, wo] = dy.shape;
    const restH = h - ((ho - 1) * stride + kh);
    const restW = wd - ((wo - 1) * stride + kw);
    const padded = tf.pad(dilate2d(dy, stride), [
      [0, 0],
      [kh - 1, kh - 1 + restH],
      [kw - 1, kw - 1 + restW],
      [0, 0],
    ]) as tf.Tensor4D;
    return tf.conv2d(padded, flipFilter(w), 1, 'valid');
  });
}

/**
 * 'valid' 2-D cross-correlation `y[n, i, j, o] = sum_{a, b, c} x[n, i s + a, j s + b, c] w[a, b, c, o]`
 * (NHWC, filter `[kh, kw, Cin, Cout]`) with an explicit gradient: TF.js 4.22's wasm backend has no
 * Conv2DBackpropFilter kernel (and its Conv2DBackpropInput is a plain loop), so the stock gradient
 * cannot train on wasm. Here `dW` is im2col + one matMul ({@link conv2dFilterGradient}) and `dx`
 * a forward convolution ({@link conv2dInputGradient}); the forward pass is the backend's Conv2D.
 * First order only (the image encoder is never inside a JVP). `inputGradient: false` returns a
 * zero `dx` without computing it, for a first layer whose input is data.
 */
export function conv2dValid(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  inputGradient = true,
): tf.Tensor4D {
  // customGrad passes the inputs, then the save function, as one variadic list.
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, stride, 'valid'),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const d = dy as tf.Tensor4D;
        const dx = inputGradient ? conv2dInputGradient(d, ws, xs.shape, stride) : tf.zerosLike(xs);
        return [dx, conv2dFilterGradient(xs, d, ws.shape as [number, number, number, number], stride)];
      },
    };
  });
  return f(x, w) as tf.Tensor4D;
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
 * `kernel[a, b, c, o] = weight[o, c, a, b]`) and optional `bias [Cout]`. The padding is an
 * explicit `tf.pad`; the convolution is {@link conv2dValid}, trainable on wasm.
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
      const p = this.padding;
      const xp =
        p > 0
          ? (tf.pad(x, [
              [0, 0],
              [p, p],
              [p, p],
              [0, 0],
            ]) as tf.Tensor4D)
          : (x as tf.Tensor4D);
      const y = conv2dValid(xp, this.kernel as unknown as tf.Tensor4D, this.stride, this.inputGradient);
      return this.bias ? (tf.add(y, this.bias) as tf.Tensor4D) : y;
    });
  }
}
