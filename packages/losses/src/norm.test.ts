import { Interpolant, RandomStream } from '@mipjs/interpolant';
import { FlowMap } from '@mipjs/nets';
import { LinearNet } from '@mipjs/nets/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ctmLoss,
  flowLoss,
  l1,
  l2,
  lmdLoss,
  meanSquareLoss,
  mipLoss,
  normLoss,
  psdLoss,
  resolveNorm,
  smoothL1,
  tsdLoss,
} from './index.js';
import { useCpu, value } from './test-utils/setup.js';

beforeAll(useCpu);

// Residual [1, 2, 2]: rows (3, -4) and (0.5, -2).
const residual = () => tf.tensor3d([3, -4, 0.5, -2], [1, 2, 2]);

describe('norms', () => {
  it('reduce the last axis only, as in the reference', () => {
    const r = residual();
    expect(Array.from(l2(r).dataSync())).toEqual([25, 4.25]);
    expect(Array.from(l1(r).dataSync())).toEqual([7, 2.5]);
    // smooth_l1: |3|-0.5 + |4|-0.5 = 6; 0.5*0.25 + (2-0.5) = 1.625
    expect(Array.from(smoothL1(r).dataSync())).toEqual([6, 1.625]);
    expect(l2(r).shape).toEqual([1, 2]);
    r.dispose();
  });

  it('normLoss = scale * mean over the rest; meanSquareLoss = scale * mean of squares', () => {
    const r = residual();
    expect(value(normLoss(r, l2, 0.1))).toBeCloseTo((0.1 * (25 + 4.25)) / 2, 6);
    expect(value(normLoss(r, resolveNorm('smooth_l1'), 2))).toBeCloseTo((2 * (6 + 1.625)) / 2, 6);
    expect(value(meanSquareLoss(r, 1))).toBeCloseTo((9 + 16 + 0.25 + 4) / 4, 6);
    r.dispose();
  });

  it('accepts a custom norm and rejects an unknown name', () => {
    const max = (x: tf.Tensor) => tf.max(tf.abs(x), -1);
    expect(resolveNorm(max)).toBe(max);
    expect(resolveNorm()).toBe(l2);
    expect(() => resolveNorm('l3' as never)).toThrow(/unknown norm 'l3'.*'l2', 'l1', 'smooth_l1'/);
  });
});

function context(options: Record<string, unknown>, teacher = false) {
  const net = new LinearNet({ w: 0.7, a: -0.3, b: 0.5, c0: 0.2 });
  return {
    flowMap: new FlowMap(net),
    teacher: teacher ? new FlowMap(net) : undefined,
    interpolant: new Interpolant(),
    rng: new RandomStream(11),
    options,
  };
}

describe('lossScale and draws', () => {
  it('lossScale is linear (same seed, same draws)', () => {
    const action = tf.ones([3, 2, 2]) as tf.Tensor3D;
    for (const loss of [flowLoss, mipLoss, tsdLoss, psdLoss] as (typeof flowLoss)[]) {
      const one = value(loss(context({ lossScale: 1 }), { action, cond: null }).loss);
      const hundred = value(loss(context({ lossScale: 100 }), { action, cond: null }).loss);
      expect(hundred).toBeCloseTo(100 * one, 3);
      expect(Math.abs(hundred - 100 * one) / Math.abs(hundred)).toBeLessThan(1e-5);
    }
    action.dispose();
  });

  it('the same rng seed gives the same loss; fresh draws otherwise', () => {
    const action = tf.ones([3, 2, 2]) as tf.Tensor3D;
    const a = value(psdLoss(context({}), { action, cond: null }).loss);
    const b = value(psdLoss(context({}), { action, cond: null }).loss);
    expect(a).toBe(b);
    const ctx = context({});
    const c = value(psdLoss(ctx, { action, cond: null }).loss);
    const d = value(psdLoss(ctx, { action, cond: null }).loss);
    expect(c).not.toBe(d);
    action.dispose();
  });
});

describe('bad input', () => {
  const action = () => tf.ones([2, 3, 2]) as tf.Tensor3D;

  it('draws of the wrong shape name the draw and the expected shape', () => {
    const a = action();
    const z = tf.zeros([2, 3, 1]) as tf.Tensor3D;
    expect(() => flowLoss(context({}), { action: a, cond: null }, { z })).toThrow(
      'flow loss: draws.z has shape [2, 3, 1], expected [B, H, A] = [2, 3, 2]',
    );
    const t = tf.zeros([3]) as tf.Tensor1D;
    expect(() => flowLoss(context({}), { action: a, cond: null }, { t })).toThrow(
      'flow loss: draws.t has shape [3], expected [B] = [2]',
    );
    expect(() => psdLoss(context({}), { action: a, cond: null }, { h: t })).toThrow(
      /draws\.h has shape \[3\]/,
    );
    tf.dispose([a, z, t]);
  });

  it('tStar outside (0, 1), unknown norm, unknown variant, bad lossScale and deltaT', () => {
    const a = action();
    const batch = { action: a, cond: null };
    for (const tStar of [0, 1, -0.5, 1.2, Number.NaN]) {
      expect(() => mipLoss(context({ tStar }), batch)).toThrow(
        `mip loss: tStar must be in (0, 1), got ${tStar}`,
      );
      expect(() => tsdLoss(context({ tStar }), batch)).toThrow(/tsd loss: tStar must be in \(0, 1\)/);
    }
    expect(() => flowLoss(context({ norm: 'l3' }), batch)).toThrow(/unknown norm 'l3'/);
    expect(() => mipLoss(context({ variant: 'paper' }), batch)).toThrow(
      /variant must be 'page' or 'reference'/,
    );
    expect(() => flowLoss(context({ lossScale: Number.NaN }), batch)).toThrow(
      /lossScale must be a finite number/,
    );
    expect(() => psdLoss(context({}), { ...batch, deltaT: -1 })).toThrow(/deltaT must be >= 0/);
    expect(() => ctmLoss(context({ discreteDt: 0 }, true), batch)).toThrow(/discreteDt must be > 0/);
    a.dispose();
  });

  it('ctm and lmd without a teacher', () => {
    const a = action();
    for (const [loss, name] of [
      [ctmLoss, 'ctm'],
      [lmdLoss, 'lmd'],
    ] as const) {
      expect(() => loss(context({}), { action: a, cond: null })).toThrow(
        `${name} loss needs a teacher velocity: set ctx.teacher`,
      );
    }
    a.dispose();
  });

  it('actions and conditions of the wrong rank', () => {
    const a = tf.ones([2, 3]) as unknown as tf.Tensor3D;
    expect(() => flowLoss(context({}), { action: a, cond: null })).toThrow(
      'flow loss: batch.action must have shape [B, H, A], got [2, 3]',
    );
    const b = action();
    const cond = tf.ones([3, 1, 4]) as tf.Tensor3D;
    expect(() => flowLoss(context({}), { action: b, cond })).toThrow(
      /batch.cond must have shape \[2, To, E\]/,
    );
    tf.dispose([a, b, cond]);
  });
});
