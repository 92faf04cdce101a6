import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jvpByDoubleVjp } from '../double-vjp.js';
import {
  bandMask,
  causalMask,
  MASKED,
  mergeHeads,
  scaledDotProductAttention,
  scaledDotProductAttentionWithTangent,
  softmaxLastAxis,
  splitHeads,
} from './attention-core.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('attention core', () => {
  it('composed softmax equals tf.softmax, even with masked entries', () => {
    tf.tidy(() => {
      const x = tf.add(tf.randomNormal([3, 4, 5], 0, 3, 'float32', 1), bandMask(4, 5, 0));
      expect(maxAbsDiff(softmaxLastAxis(x), tf.softmax(x))).toBeLessThan(1e-6);
    });
  });

  it('masks: causal and offset bands', () => {
    expect(Array.from(causalMask(3).dataSync())).toEqual([0, MASKED, MASKED, 0, 0, MASKED, 0, 0, 0]);
    // ChiTransformer's cross mask: query i sees key j iff i >= j - 1.
    expect(Array.from(bandMask(2, 4, 1).dataSync())).toEqual([0, 0, MASKED, MASKED, 0, 0, 0, MASKED]);
  });

  it('causal attention ignores future keys and values', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([2, 2, 4, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const k = tf.randomNormal([2, 2, 4, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const v = tf.randomNormal([2, 2, 4, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const y = scaledDotProductAttention(q, k, v, causalMask(4));
      // Change the last key/value: only the last query's output may change.
      const k2 = tf.concat(
        [tf.slice(k, [0, 0, 0, 0], [-1, -1, 3, -1]), tf.onesLike(tf.slice(k, [0, 0, 3, 0]))],
        2,
      );
      const v2 = tf.concat(
        [tf.slice(v, [0, 0, 0, 0], [-1, -1, 3, -1]), tf.onesLike(tf.slice(v, [0, 0, 3, 0]))],
        2,
      );
      const y2 = scaledDotProductAttention(q, k2 as tf.Tensor4D, v2 as tf.Tensor4D, causalMask(4));
      expect(
        maxAbsDiff(tf.slice(y, [0, 0, 0, 0], [-1, -1, 3, -1]), tf.slice(y2, [0, 0, 0, 0], [-1, -1, 3, -1])),
      ).toBe(0);
      // The first query sees only the first value.
      expect(
        maxAbsDiff(tf.slice(y, [0, 0, 0, 0], [-1, -1, 1, -1]), tf.slice(v, [0, 0, 0, 0], [-1, -1, 1, -1])),
      ).toBeLessThan(1e-6);
    });
  });

  it('split/merge heads round trip', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 6], 0, 1, 'float32', 5) as tf.Tensor3D;
      const h = splitHeads(x, 3);
      expect(h.shape).toEqual([2, 3, 5, 2]);
      expect(maxAbsDiff(mergeHeads(h), x)).toBe(0);
    });
  });

  it('tangent matches the double-VJP in q, k and v jointly (with a mask and a keep multiplier)', () => {
    tf.tidy(() => {
      const shape: [number, number, number, number] = [2, 2, 4, 3];
      const q = tf.randomNormal(shape, 0, 1, 'float32', 6) as tf.Tensor4D;
      const k = tf.randomNormal(shape, 0, 1, 'float32', 7) as tf.Tensor4D;
      const v = tf.randomNormal(shape, 0, 1, 'float32', 8) as tf.Tensor4D;
      const dq = tf.randomNormal(shape, 0, 1, 'float32', 9) as tf.Tensor4D;
      const dk = tf.randomNormal(shape, 0, 1, 'float32', 10) as tf.Tensor4D;
      const dv = tf.randomNormal(shape, 0, 1, 'float32', 11) as tf.Tensor4D;
      const keep = tf.mul(
        tf.cast(tf.greater(tf.randomUniform([2, 2, 4, 4], 0, 1, 'float32', 12), 0.3), 'float32'),
        1 / 0.7,
      );
      const mask = causalMask(4);
      const { y, dy } = scaledDotProductAttentionWithTangent(q, dq, k, dk, v, dv, mask, keep);
      expect(maxAbsDiff(y, scaledDotProductAttention(q, k, v, mask, keep))).toBeLessThan(1e-6);
      // One joint direction: stack (q, k, v) into one input.
      const packed = tf.stack([q, k, v]);
      const f = (u: tf.Tensor) => {
        const [a, b, c] = tf.unstack(u) as tf.Tensor4D[];
        return scaledDotProductAttention(a, b, c, mask, keep);
      };
      const ref = jvpByDoubleVjp(f, packed, tf.stack([dq, dk, dv]));
      expect(maxAbsDiff(dy, ref)).toBeLessThan(1e-5);
      const partial = scaledDotProductAttentionWithTangent(q, null, k, dk, v, null, null);
      const ref2 = jvpByDoubleVjp((u) => scaledDotProductAttention(q, u as tf.Tensor4D, v, null), k, dk);
      expect(maxAbsDiff(partial.dy, ref2)).toBeLessThan(1e-5);
    });
  });
});
