import { describe, expect, it } from 'vitest';
import {
  checkerboardCellCoverage,
  checkerboardSupportFraction,
  histogram2d,
  histogramTotalVariation,
  inCheckerboardSupport,
  sampleCheckerboard,
} from './checkerboard.js';
import { bimodalMetrics, bimodalModeCenter, sampleConditionalBimodal } from './conditional-bimodal.js';
import { createRng } from './rng.js';

describe('checkerboard', () => {
  it('keeps 8 of 16 cells with 4 cells per side', () => {
    let kept = 0;
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) if (inCheckerboardSupport(-0.75 + 0.5 * i, -0.75 + 0.5 * j)) kept++;
    expect(kept).toBe(8);
    expect(inCheckerboardSupport(-0.9, -0.9)).toBe(true);
    expect(inCheckerboardSupport(-0.9, -0.4)).toBe(false);
    expect(inCheckerboardSupport(1, 1)).toBe(true);
    expect(inCheckerboardSupport(1.01, 0)).toBe(false);
    expect(inCheckerboardSupport(-0.9, -0.4, 2)).toBe(true);
  });

  it('samples on the support, seeded, covering every cell about equally', () => {
    const a = sampleCheckerboard(4000, { seed: 1 });
    expect(a.shape).toEqual([4000, 2]);
    expect(Array.from(a.data)).toEqual(Array.from(sampleCheckerboard(4000, { seed: 1 }).data));
    expect(Array.from(a.data)).not.toEqual(Array.from(sampleCheckerboard(4000, { seed: 2 }).data));
    expect(checkerboardSupportFraction(a.data)).toBe(1);
    expect(checkerboardCellCoverage(a.data, { minCount: 400 })).toBe(1);
    const h = histogram2d(a.data, { bins: 4 });
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const c = h.counts[i * 4 + j]!;
        if ((i + j) % 2 === 0) expect(Math.abs(c - 500)).toBeLessThan(100);
        else expect(c).toBe(0);
      }
    }
    const eight = sampleCheckerboard(500, { seed: 3, cellsPerSide: 8 });
    expect(checkerboardSupportFraction(eight.data, 8)).toBe(1);
    expect(checkerboardSupportFraction(eight.data, 4)).toBeLessThan(0.8);
  });

  it('uniform points on the square are half on the support; histograms compare by total variation', () => {
    const rng = createRng(9);
    const square = Float32Array.from({ length: 8000 }, () => 2 * rng.uniform() - 1);
    expect(Math.abs(checkerboardSupportFraction(square) - 0.5)).toBeLessThan(0.03);
    const board = sampleCheckerboard(4000, { seed: 4 });
    const tv = histogramTotalVariation(
      histogram2d(square, { bins: 8 }),
      histogram2d(board.data, { bins: 8 }),
    );
    expect(tv).toBeGreaterThan(0.45);
    expect(tv).toBeLessThan(0.55);
    const same = histogramTotalVariation(
      histogram2d(board.data, { bins: 8 }),
      histogram2d(sampleCheckerboard(4000, { seed: 5 }).data, { bins: 8 }),
    );
    expect(same).toBeLessThan(0.08);
    expect(histogram2d([3, 0, 0, 0]).outside).toBe(1);
    // One cell only: coverage 1/8.
    expect(checkerboardCellCoverage([-0.9, -0.9])).toBe(1 / 8);
  });
});

describe('conditional bimodal', () => {
  it('draws seeded samples on two modes chosen by a fair coin', () => {
    const s = sampleConditionalBimodal(2000, { seed: 3 });
    expect(s.condition.shape).toEqual([2000, 1]);
    expect(s.action.shape).toEqual([2000, 2]);
    expect(Array.from(s.action.data)).toEqual(
      Array.from(sampleConditionalBimodal(2000, { seed: 3 }).action.data),
    );
    const m = bimodalMetrics(s.condition.data, s.action.data);
    expect(m.meanNearestModeDistance).toBeLessThan(0.08);
    expect(Math.abs(m.positiveModeFraction - 0.5)).toBeLessThan(0.05);
    for (let i = 0; i < 2000; i++) expect(Math.sign(s.action.data[2 * i + 1]!)).toBe(s.mode[i]);
    expect(s.condition.data.every((c) => c >= -1 && c <= 1)).toBe(true);
  });

  it('scores the mean prediction and a collapsed policy as bad', () => {
    const s = sampleConditionalBimodal(500, { seed: 4 });
    const mean = Float32Array.from(Array.from(s.condition.data, (c) => [0.5 * c, 0]).flat());
    expect(bimodalMetrics(s.condition.data, mean).meanNearestModeDistance).toBeGreaterThan(0.25);
    const collapsed = Float32Array.from(Array.from(s.condition.data, (c) => bimodalModeCenter(c, 1)).flat());
    const m = bimodalMetrics(s.condition.data, collapsed);
    expect(m.meanNearestModeDistance).toBeLessThan(1e-6);
    expect(m.positiveModeFraction).toBe(1);
  });
});
