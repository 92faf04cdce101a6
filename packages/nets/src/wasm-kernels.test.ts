import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { im2col2d } from './layers/conv2d.js';
import { IM2COL_T_KERNEL, installFastWasmKernels } from './wasm-kernels.js';

/** A gradient whose tape saves inputs (clones) and whose stock gradients cast float32 to float32. */
function mlpGrads(seed: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([8, 6], 0, 1, 'float32', seed);
    const w1 = tf.randomNormal([6, 5], 0, 1, 'float32', seed + 1);
    const b1 = tf.randomNormal([5], 0, 1, 'float32', seed + 3);
    const w2 = tf.randomNormal([5, 3], 0, 1, 'float32', seed + 2);
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.matMul(tf.tanh(tf.add(tf.matMul(x, a), b)), c)));
    return tf
      .grads(f)([w1, b1, w2])
      .map((g) => g.dataSync() as Float32Array);
  });
}

/** Integer-valued inputs, so that every sum below is exact in float32 whatever the order. */
function ramp(shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Array.from({ length: n }, (_, i) => ((i * 7) % 13) - 6),
    shape,
    dtype,
  );
}

/** The same values computed on the host: sum over the leading k axes of a row-major array. */
function hostLeadingSum(values: number[], shape: number[], k: number): number[] {
  const c = shape.slice(k).reduce((a, b) => a * b, 1);
  const out = new Array(c).fill(0);
  values.forEach((v, i) => {
    out[i % c] += v;
  });
  return out;
}

describe('installFastWasmKernels', () => {
  let before: Float32Array[];

  beforeAll(async () => {
    await tf.setBackend('wasm');
    before = mlpGrads(3);
    expect(installFastWasmKernels()).toBe(true);
  });

  it('makes clone and same-dtype cast share the buffer, and keeps it alive by reference', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const c = tf.clone(x);
    const f = tf.cast(x, 'float32');
    expect(c.dataId).toBe(x.dataId);
    expect(f.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    expect(Array.from(f.dataSync())).toEqual([1, 2, 3]);
    f.dispose();
  });

  it('still converts between dtypes (a new buffer) and clones strings', () => {
    const x = tf.tensor1d([1.7, -2.2, 3]);
    const i = tf.cast(x, 'int32');
    expect(i.dataId).not.toBe(x.dataId);
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    const s = tf.tensor1d(['a', 'b'], 'string');
    expect(tf.clone(s).dataSync()).toEqual(['a', 'b']);
    tf.dispose([x, i, s]);
  });

  it('leaves a variable intact when a clone of it is disposed after assign', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2]);
    saved.dispose();
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    v.dispose();
  });

  it.each([
    [
      [37, 70],
      [1, 0],
    ],
    [
      [1, 5],
      [1, 0],
    ],
    [
      [3, 33, 65],
      [0, 2, 1],
    ],
    [
      [2, 3, 4],
      [2, 0, 1],
    ], // not a matrix transpose: the stock kernel
  ])('transposes %j by %j element for element', (shape, perm) => {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = ramp(shape, dtype);
      const values = Array.from(x.dataSync());
      const y = tf.transpose(x, perm);
      expect(y.shape).toEqual(perm.map((p) => shape[p]));
      const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
      const expected: number[] = [];
      const outShape = perm.map((p) => shape[p]);
      const idx = new Array(outShape.length).fill(0);
      for (let n = 0; n < values.length; n++) {
        expected.push(values[idx.reduce((a, v, d) => a + v * strides[perm[d]], 0)]);
        for (let d = outShape.length - 1; d >= 0; d--) {
          if (++idx[d] < outShape[d]) break;
          idx[d] = 0;
        }
      }
      expect(Array.from(y.dataSync())).toEqual(expected);
      expect(y.dtype).toBe(dtype);
      tf.dispose([x, y]);
    }
  });

  it.each([
    [[256, 70], [0], false],
    [[4, 5, 6], [0, 1], false],
    [[4, 5, 6], [1, 0], true],
    [[4, 5, 6], [-3], true],
  ])('sums %j over leading axes %j (keepDims %s) exactly', (shape, axis, keepDims) => {
    const x = ramp(shape);
    const k = axis.length;
    const y = tf.sum(x, axis, keepDims);
    const rest = shape.slice(k);
    expect(y.shape).toEqual(keepDims ? [...axis.map(() => 1), ...rest] : rest);
    expect(Array.from(y.dataSync())).toEqual(hostLeadingSum(Array.from(x.dataSync()), shape, k));
    tf.dispose([x, y]);
  });

  it('keeps the stock path for other reductions and dtypes', () => {
    const x = ramp([4, 5, 6]);
    expect(Array.from(tf.sum(x, 2).dataSync())).toEqual(
      Array.from(tf.sum(tf.transpose(x, [2, 0, 1]), 0).dataSync()),
    );
    expect(tf.sum(x).dataSync()[0]).toBe(Array.from(x.dataSync()).reduce((a, b) => a + b, 0));
    const i = ramp([3, 4], 'int32');
    const s = tf.sum(i, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual(hostLeadingSum(Array.from(i.dataSync()), [3, 4], 1));
    tf.dispose([x, i, s]);
  });

  it.each([
    [
      [9, 20, 8],
      [3, 0, 0],
      [1, 20, 8],
    ], // a leading block: one contiguous run
    [
      [4, 7, 6, 5],
      [1, 2, 1, 0],
      [2, 3, 4, 5],
    ], // runs of the last partial axis
    [
      [4, 7, 6, 5],
      [0, 1, 1, 2],
      [4, 5, 5, 2],
    ], // innermost axis partial
    [
      [3, 4, 2, 3, 2],
      [1, 0, 1, 1, 0],
      [2, 4, 1, 2, 2],
    ], // rank 5
    [[6], [2], [3]],
    [
      [5, 4],
      [0, 0],
      [0, 4],
    ], // empty
  ])('slices %j at %j, size %j, as a host loop does', (shape, begin, size) => {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = ramp(shape, dtype);
      const values = Array.from(x.dataSync());
      const y = tf.slice(x, begin, size);
      expect(y.shape).toEqual(size);
      const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
      const expected: number[] = [];
      const n = size.reduce((a, b) => a * b, 1);
      const idx = new Array(size.length).fill(0);
      for (let k = 0; k < n; k++) {
        expected.push(values[idx.reduce((a, v, d) => a + (v + begin[d]) * strides[d], 0)]);
        for (let d = size.length - 1; d >= 0; d--) {
          if (++idx[d] < size[d]) break;
          idx[d] = 0;
        }
      }
      expect(Array.from(y.dataSync())).toEqual(expected);
      expect(y.dtype).toBe(dtype);
      tf.dispose([x, y]);
    }
  });

  it('gives the stock gradients (to float32 rounding) and leaks nothing', () => {
    const n0 = tf.memory().numTensors;
    const after = mlpGrads(3);
    expect(tf.memory().numTensors).toBe(n0);
    after.forEach((g, i) => {
      const ref = before[i];
      const scale = Math.max(...ref.map(Math.abs));
      g.forEach((v, j) => expect(Math.abs(v - ref[j])).toBeLessThan(1e-6 * scale));
    });
  });

  it('registers the transposed im2col: the patches [kh kw C, N Ho Wo] of im2col2d + transpose, bitwise', () => {
    expect(tf.getKernel(IM2COL_T_KERNEL, 'wasm')).toBeDefined();
    // Stem-like 7x7 / 2, 3x3 at strides 1-3 on odd sizes (windows skip the last rows), 1x1 / 2.
    for (const [n, h, w, c, k, s] of [
      [2, 11, 11, 3, 7, 2],
      [2, 6, 5, 4, 3, 1],
      [1, 9, 7, 2, 3, 2],
      [1, 10, 10, 5, 3, 3],
      [2, 7, 6, 4, 1, 2],
    ] as const) {
      tf.tidy(() => {
        const x = ramp([n, h, w, c]) as tf.Tensor4D;
        const got = tf.engine().runKernel(IM2COL_T_KERNEL, { x }, { kh: k, kw: k, stride: s }) as tf.Tensor;
        const cols = im2col2d(x, k, k, s);
        const want = tf.reshape(tf.transpose(cols, [0, 2, 1]), [k * k * c, cols.shape[1]]);
        expect(got.shape, `${[n, h, w, c, k, s]}`).toEqual(want.shape);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        // One image's patches are that image's block of columns.
        const m = cols.shape[1] / n;
        const last = tf
          .engine()
          .runKernel(
            IM2COL_T_KERNEL,
            { x },
            { kh: k, kw: k, stride: s, first: n - 1, count: 1 },
          ) as tf.Tensor;
        expect(Array.from(last.dataSync())).toEqual(
          Array.from(tf.slice(want, [0, (n - 1) * m], [-1, m]).dataSync()),
        );
      });
    }
    expect(() =>
      tf
        .engine()
        .runKernel(
          IM2COL_T_KERNEL,
          { x: tf.zeros([2, 4, 4, 1]) },
          { kh: 3, kw: 3, stride: 1, first: 1, count: 2 },
        ),
    ).toThrow(/and images 1 \.\. 2 of N, got float32 \[2,4,4,1\]/);
    expect(() =>
      tf.engine().runKernel(IM2COL_T_KERNEL, { x: tf.zeros([1, 2, 2, 1]) }, { kh: 3, kw: 3, stride: 1 }),
    ).toThrow(/MipIm2colTransposed: expected float32 \[N, H, W, C\] at least 3 x 3/);
  });
});
