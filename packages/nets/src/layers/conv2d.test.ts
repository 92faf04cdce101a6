import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFastWasmKernels } from '../wasm-kernels.js';
import { Conv2d, conv2dPadded, conv2dValid } from './conv2d.js';
import { VariableStore } from './module.js';

/** One convolution case: input [N, H, W, Cin], kernel k, stride, padding, Cout. */
interface Case {
  name: string;
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: number;
}

// The ResNet-18 shapes in miniature: the 7x7 stride-2 stem, 3x3 at stride 1 and 2 (odd and even
// sizes, so the strided windows skip a last row), the 1x1 stride-2 downsample, a non-square image.
const CASES: Case[] = [
  { name: '7x7 s2 p3 (stem)', n: 2, h: 11, w: 11, ci: 3, co: 4, k: 7, stride: 2, pad: 3 },
  { name: '3x3 s1 p1', n: 2, h: 6, w: 5, ci: 3, co: 5, k: 3, stride: 1, pad: 1 },
  { name: '3x3 s2 p1, even size', n: 2, h: 8, w: 8, ci: 4, co: 3, k: 3, stride: 2, pad: 1 },
  { name: '3x3 s2 p1, odd size', n: 1, h: 7, w: 9, ci: 2, co: 3, k: 3, stride: 2, pad: 1 },
  { name: '1x1 s2 p0 (downsample)', n: 2, h: 7, w: 6, ci: 4, co: 6, k: 1, stride: 2, pad: 0 },
  { name: '3x3 s3 p0', n: 1, h: 10, w: 10, ci: 2, co: 2, k: 3, stride: 3, pad: 0 },
];

function inputs(c: Case) {
  const x = tf.randomNormal([c.n, c.h, c.w, c.ci], 0, 1, 'float32', 11) as tf.Tensor4D;
  const wt = tf.randomNormal([c.k, c.k, c.ci, c.co], 0, 0.5, 'float32', 12) as tf.Tensor4D;
  const ho = Math.floor((c.h + 2 * c.pad - c.k) / c.stride) + 1;
  const wo = Math.floor((c.w + 2 * c.pad - c.k) / c.stride) + 1;
  const probe = tf.randomNormal([c.n, ho, wo, c.co], 0, 1, 'float32', 13) as tf.Tensor4D;
  return { x, wt, probe };
}

const pad4 = (x: tf.Tensor4D, p: number) =>
  p > 0
    ? (tf.pad(x, [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]) as tf.Tensor4D)
    : x;

/**
 * The convolution three ways: ours on an input padded beforehand ('valid': conv2dValid, whose dx
 * is the padded input's, sliced by tf.pad's gradient), ours with the padding folded in
 * ('padded': conv2dPadded, dx of the unpadded input directly), or the stock tf.conv2d.
 */
type Mode = 'valid' | 'padded' | 'stock';

function conv(mode: Mode, c: Case, a: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  const [x, w] = [a as tf.Tensor4D, b as tf.Tensor4D];
  if (mode === 'valid') return conv2dValid(pad4(x, c.pad), w, c.stride);
  if (mode === 'padded') return conv2dPadded(x, w, c.stride, c.pad);
  return tf.conv2d(x, w, c.stride, c.pad);
}

/** L = sum(probe * conv(x, w)) and its gradients. */
function gradsOf(c: Case, mode: Mode | boolean) {
  const m: Mode = mode === true ? 'valid' : mode === false ? 'stock' : mode;
  return tf.tidy(() => {
    const { x, wt, probe } = inputs(c);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(m, c, a, b), probe));
    const [dx, dw] = tf.grads(f)([x, wt]);
    const y = conv(m, c, x, wt);
    return { y: y.arraySync(), dx: dx!.dataSync(), dw: dw!.dataSync(), shape: y.shape };
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('conv2dValid: an explicit conv2d gradient (im2col + matMul for dW, a forward conv for dx)', () => {
  const cpu = new Map<string, ReturnType<typeof gradsOf>>();

  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of CASES) cpu.set(c.name, gradsOf(c, false));
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'cpu, %s: value and both gradients equal the stock conv2d and its gradients',
    async (_, c) => {
      await tf.setBackend('cpu');
      const ours = gradsOf(c, true);
      const stock = cpu.get(c.name)!;
      expect(ours.shape).toEqual(tf.tidy(() => tf.conv2d(inputs(c).x, inputs(c).wt, c.stride, c.pad).shape));
      expect(maxAbsDiff(ours.y.flat(3), stock.y.flat(3))).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours.dx, stock.dx)).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours.dw, stock.dw)).toBeLessThan(1e-4);
    },
  );

  it.each(CASES.map((c) => [c.name, c] as const))(
    'cpu, %s: conv2dPadded (padding folded in, dx by phases) equals the stock conv2d and its gradients',
    async (_, c) => {
      await tf.setBackend('cpu');
      const ours = gradsOf(c, 'padded');
      const stock = cpu.get(c.name)!;
      expect(ours.shape).toEqual(stock.shape);
      expect(maxAbsDiff(ours.y.flat(3), stock.y.flat(3))).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours.dx, stock.dx)).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours.dw, stock.dw)).toBeLessThan(1e-4);
    },
  );

  it('cpu: phases of every stride and padding up to the kernel size agree with the stock gradients', async () => {
    await tf.setBackend('cpu');
    // Odd and even sizes, strides 1-4, padding 0 .. k - 1: phases with no tap (k < s), crops (large
    // padding), windows that skip the last rows; one case per combination, small and fast.
    for (const k of [1, 2, 3, 5]) {
      for (const stride of [1, 2, 3, 4]) {
        for (let pad = 0; pad < k; pad++) {
          for (const [h, w] of [
            [7, 8],
            [9, 6],
          ] as const) {
            if (h + 2 * pad < k || w + 2 * pad < k) continue;
            const c: Case = {
              name: `k${k} s${stride} p${pad} ${h}x${w}`,
              n: 1,
              h,
              w,
              ci: 2,
              co: 3,
              k,
              stride,
              pad,
            };
            const ours = gradsOf(c, 'padded');
            const stock = gradsOf(c, 'stock');
            expect(ours.shape, c.name).toEqual(stock.shape);
            expect(maxAbsDiff(ours.dx, stock.dx), c.name).toBeLessThan(1e-5);
            expect(maxAbsDiff(ours.dw, stock.dw), c.name).toBeLessThan(1e-4);
          }
        }
      }
    }
  });

  it('cpu: the gradients match central finite differences (float64-free check along random directions)', async () => {
    await tf.setBackend('cpu');
    for (const mode of ['valid', 'padded'] as const) {
      const c = CASES[3]!;
      const { x, wt, probe } = inputs(c);
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D) =>
        tf.tidy(() => tf.sum(tf.mul(conv(mode, c, a, b), probe)).dataSync()[0]!);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(mode, c, a, b), probe)))([
        x,
        wt,
      ]);
      const h = 1e-2; // the loss is linear in each argument: central differences are exact up to rounding
      for (const [arg, grad, seed] of [
        [x, dx!, 21],
        [wt, dw!, 22],
      ] as const) {
        const v = tf.randomNormal(arg.shape, 0, 1, 'float32', seed) as tf.Tensor4D;
        const plus = arg === x ? loss(tf.add(x, tf.mul(v, h)), wt) : loss(x, tf.add(wt, tf.mul(v, h)));
        const minus = arg === x ? loss(tf.sub(x, tf.mul(v, h)), wt) : loss(x, tf.sub(wt, tf.mul(v, h)));
        const fd = (plus - minus) / (2 * h);
        const analytic = tf.sum(tf.mul(grad, v)).dataSync()[0]!;
        expect(Math.abs(fd - analytic), mode).toBeLessThan(2e-3 * Math.max(1, Math.abs(analytic)));
      }
    }
  });

  it('wasm has no Conv2DBackpropFilter kernel: the stock gradient throws there, ours matches cpu', async () => {
    await tf.setBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const c = CASES[2]!;
    expect(() => gradsOf(c, false)).toThrow(/Conv2DBackpropFilter/);
    for (const c of CASES) {
      for (const mode of ['valid', 'padded'] as const) {
        const ours = gradsOf(c, mode);
        const stock = cpu.get(c.name)!;
        expect(maxAbsDiff(ours.y.flat(3), stock.y.flat(3)), `${c.name} ${mode}`).toBeLessThan(1e-4);
        expect(maxAbsDiff(ours.dx, stock.dx), `${c.name} ${mode}`).toBeLessThan(1e-4);
        expect(maxAbsDiff(ours.dw, stock.dw), `${c.name} ${mode}`).toBeLessThan(1e-4);
      }
    }
  });

  it('wasm with installFastWasmKernels (the filter gradient gathers its patches in one kernel): same gradients', async () => {
    await tf.setBackend('wasm');
    expect(installFastWasmKernels()).toBe(true);
    for (const c of CASES) {
      const ours = gradsOf(c, 'padded');
      const stock = cpu.get(c.name)!;
      expect(maxAbsDiff(ours.dx, stock.dx), c.name).toBeLessThan(1e-4);
      expect(maxAbsDiff(ours.dw, stock.dw), c.name).toBeLessThan(1e-4);
    }
    // 625 output pixels per image and 128 channels: the filter gradient sums three groups of one
    // image each (conv2dFilterGradient's ~1024-pixel groups).
    const big: Case = { name: 'grouped', n: 3, h: 25, w: 25, ci: 2, co: 128, k: 3, stride: 1, pad: 1 };
    const ours = gradsOf(big, 'padded');
    await tf.setBackend('cpu');
    const stock = gradsOf(big, 'stock');
    expect(maxAbsDiff(ours.dx, stock.dx)).toBeLessThan(1e-4);
    expect(maxAbsDiff(ours.dw, stock.dw)).toBeLessThan(1e-3);
  });

  it('inputGradient false gives a zero dx and the same dW', async () => {
    await tf.setBackend('cpu');
    const c = CASES[0]!;
    const { x, wt, probe } = inputs(c);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(conv2dValid(pad4(a as tf.Tensor4D, c.pad), b as tf.Tensor4D, c.stride, false), probe)),
    )([x, wt]);
    expect(tf.max(tf.abs(dx!)).dataSync()[0]).toBe(0);
    expect(maxAbsDiff(dw!.dataSync(), cpu.get(c.name)!.dw)).toBeLessThan(1e-4);
  });

  it('Conv2d: PyTorch output size, kaiming-normal fan-out init, gradients reach the kernel variable', async () => {
    await tf.setBackend('cpu');
    const store = new VariableStore(3);
    const conv = new Conv2d(store.root().child('conv'), 3, 8, 3, { stride: 2, padding: 1, bias: true });
    expect(store.namedVariables.map((v) => v.name)).toEqual(['conv/kernel', 'conv/bias']);
    const x = tf.randomNormal([2, 9, 10, 3], 0, 1, 'float32', 5);
    expect(conv.apply(x).shape).toEqual([2, 5, 5, 8]);
    const big = new Conv2d(store.root().child('big'), 64, 128, 3);
    const values = Array.from(big.kernel.dataSync());
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (128 * 9)), 3);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(conv.apply(x))) as tf.Scalar,
      [conv.kernel, conv.bias!],
    );
    expect(Object.keys(grads).sort()).toEqual([conv.bias!.name, conv.kernel.name].sort());
    expect(tf.max(tf.abs(grads[conv.kernel.name]!)).dataSync()[0]).toBeGreaterThan(0);
    expect(() => conv.apply(tf.zeros([1, 4, 4, 2]))).toThrow(/Conv2d expects \[N, H, W, 3\]/);
    store.dispose();
  });
});
