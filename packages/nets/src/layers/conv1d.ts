import * as tf from '@tensorflow/tfjs-core';
import { AffineLayer, type AffineOptions } from './affine.js';
import { initWeightValues } from './init.js';
import type { VariableScope } from './module.js';

/** Options of {@link Conv1d} and {@link ConvTranspose1d}. */
export interface Conv1dOptions extends AffineOptions {
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding on both ends of the length axis (default 0; `Math.floor(k / 2)` keeps length at stride 1). */
  padding?: number;
}

/**
 * `[B, L, C]` -> `[B, Lout, k C]`: the k shifted (and strided) views of the zero-padded input,
 * concatenated on the channel axis, `out[b, i, j C + c] = xpad[b, i stride + j, c]`.
 * Only pad / slice / reshape / concat, whose gradients every backend has (wasm has no conv backprop).
 */
export function unfold1d(x: tf.Tensor, kernelSize: number, stride: number, padding: number): tf.Tensor {
  return tf.tidy(() => {
    const [b, l, c] = x.shape;
    const xp =
      padding > 0
        ? tf.pad(x, [
            [0, 0],
            [padding, padding],
            [0, 0],
          ])
        : x;
    const lp = l + 2 * padding;
    const lout = Math.floor((lp - kernelSize) / stride) + 1;
    if (lout < 1)
      throw new Error(`conv1d: input length ${l} too short for kernel ${kernelSize} (padding ${padding})`);
    const views: tf.Tensor[] = [];
    for (let j = 0; j < kernelSize; j++) {
      if (stride === 1) {
        views.push(tf.slice(xp, [0, j, 0], [b, lout, c]));
      } else {
        // Take stride * lout steps from j (padding the end if they run past it), keep every stride-th.
        const need = j + stride * lout;
        const src =
          need > lp
            ? tf.pad(xp, [
                [0, 0],
                [0, need - lp],
                [0, 0],
              ])
            : xp;
        const window = tf.slice(src, [0, j, 0], [b, stride * lout, c]);
        views.push(
          tf.reshape(tf.slice(tf.reshape(window, [b, lout, stride, c]), [0, 0, 0, 0], [b, lout, 1, c]), [
            b,
            lout,
            c,
          ]),
        );
      }
    }
    return kernelSize === 1 ? views[0] : tf.concat(views, 2);
  });
}

/**
 * 1-D convolution on channels-last sequences `[B, L, Cin] -> [B, Lout, Cout]`, written as
 * unfold + matMul: `y = unfold(x) W + b`, `W: [k Cin, Cout]` (variable `kernel`, row `j Cin + c`
 * is tap j of input channel c; PyTorch's weight `[Cout, Cin, k]` maps to it by
 * `W[j Cin + c, o] = w[o, c, j]`). Cross-correlation, as PyTorch's `nn.Conv1d`.
 * `Lout = floor((L + 2 padding - k) / stride) + 1`.
 *
 * Dual: linear in x, `dy = unfold(dx) W`.
 */
export class Conv1d extends AffineLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly kernel: tf.Variable;
  override readonly bias: tf.Variable | null;

  constructor(
    scope: VariableScope,
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const init = options.init ?? 'kaiming-uniform';
    const fanIn = inChannels * kernelSize;
    this.kernel = scope.variable(
      'kernel',
      tf.tensor(initWeightValues(init, fanIn, outChannels, scope.rng()), [fanIn, outChannels]),
    );
    this.bias = AffineLayer.createBias(scope, options, fanIn, outChannels);
  }

  protected linear(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.inChannels) {
      throw new Error(`Conv1d expects [B, L, ${this.inChannels}], got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const cols = unfold1d(x, this.kernelSize, this.stride, this.padding);
      const [b, lout, kc] = cols.shape;
      const y = tf.matMul(tf.reshape(cols, [b * lout, kc]) as tf.Tensor2D, this.kernel as tf.Tensor2D);
      return tf.reshape(y, [b, lout, this.outChannels]);
    });
  }
}

/**
 * Transposed 1-D convolution `[B, L, Cin] -> [B, Lout, Cout]` (PyTorch `nn.ConvTranspose1d`),
 * `Lout = (L - 1) stride - 2 padding + k`, as matMul + overlap-add:
 *   z = x W  (W: [Cin, k Cout], variable `kernel`; `W[c, j Cout + o] = w[c, o, j]` of PyTorch's
 *   weight `[Cin, Cout, k]`), then `full[i stride + j] += z[i, j]`, crop `padding` from both ends.
 * The overlap-add is zero-interleaving (pad + reshape) and shifted pads, all with gradients on wasm.
 *
 * Dual: linear in x, `dy = convT(dx)` without the bias.
 */
export class ConvTranspose1d extends AffineLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly kernel: tf.Variable;
  override readonly bias: tf.Variable | null;

  constructor(
    scope: VariableScope,
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const init = options.init ?? 'kaiming-uniform';
    // PyTorch computes the fan-in of ConvTranspose1d's weight [Cin, Cout, k] as Cout * k.
    const fanIn = outChannels * kernelSize;
    const values = initWeightValues(init, fanIn, inChannels, scope.rng());
    // values is [fanIn, Cin] for orthogonal/xavier symmetry purposes; store as [Cin, k Cout].
    const w = tf.tidy(() => tf.transpose(tf.tensor(values, [fanIn, inChannels])));
    this.kernel = scope.variable('kernel', w);
    this.bias = AffineLayer.createBias(scope, options, fanIn, outChannels);
  }

  protected linear(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.inChannels) {
      throw new Error(`ConvTranspose1d expects [B, L, ${this.inChannels}], got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const [b, l] = x.shape;
      const k = this.kernelSize;
      const s = this.stride;
      const co = this.outChannels;
      const z = tf.reshape(
        tf.matMul(tf.reshape(x, [b * l, this.inChannels]) as tf.Tensor2D, this.kernel as tf.Tensor2D),
        [b, l, k, co],
      );
      const full = (l - 1) * s + k;
      let acc: tf.Tensor | null = null;
      for (let j = 0; j < k; j++) {
        let zj = tf.reshape(tf.slice(z, [0, 0, j, 0], [b, l, 1, co]), [b, l, 1, co]);
        if (s > 1)
          zj = tf.pad(zj, [
            [0, 0],
            [0, 0],
            [0, s - 1],
            [0, 0],
          ]);
        // Interleaved: position i s holds z[i, j]; length l s, of which (l - 1) s + 1 are used.
        const spread = tf.slice(tf.reshape(zj, [b, l * s, co]), [0, 0, 0], [b, (l - 1) * s + 1, co]);
        const placed = tf.pad(spread, [
          [0, 0],
          [j, full - j - ((l - 1) * s + 1)],
          [0, 0],
        ]);
        acc = acc ? tf.add(acc, placed) : placed;
      }
      const lout = full - 2 * this.padding;
      if (lout < 1) throw new Error(`ConvTranspose1d: padding ${this.padding} leaves no output`);
      return this.padding > 0 ? tf.slice(acc!, [0, this.padding, 0], [b, lout, co]) : acc!;
    });
  }
}
