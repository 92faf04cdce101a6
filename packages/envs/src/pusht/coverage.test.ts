import { describe, expect, it } from 'vitest';
import { convexIntersectionArea, polygonArea, pushTCoverage, pushTReward, pushTSuccess } from './coverage.js';
import { GOAL_POSE, T_AREA, T_BOXES_LOCAL, toWorld } from './geometry.js';

const [gx, gy, ga] = GOAL_POSE;

describe('PushT coverage', () => {
  it('T area is 6300', () => {
    const a = T_BOXES_LOCAL.reduce((s, b) => s + polygonArea(toWorld(b, 3, 4, 1.1)), 0);
    expect(a).toBeCloseTo(T_AREA, 9);
  });

  it('convex intersection of two squares', () => {
    const sq = (x: number, y: number, s: number) => [x, y, x + s, y, x + s, y + s, x, y + s];
    expect(convexIntersectionArea(sq(0, 0, 10), sq(5, 5, 10))).toBeCloseTo(25, 12);
    // Opposite winding of the clip polygon.
    expect(convexIntersectionArea(sq(0, 0, 10), [5, 5, 5, 15, 15, 15, 15, 5])).toBeCloseTo(25, 12);
    expect(convexIntersectionArea(sq(0, 0, 10), sq(20, 20, 3))).toBe(0);
  });

  it('identical pose = 1, disjoint = 0', () => {
    expect(pushTCoverage(gx, gy, ga)).toBeCloseTo(1, 12);
    expect(pushTCoverage(gx, gy, ga + 2 * Math.PI)).toBeCloseTo(1, 12);
    expect(pushTCoverage(60, 450, 0)).toBe(0);
  });

  it('hand-computed shifts in the goal frame', () => {
    const c = Math.cos(ga);
    const s = Math.sin(ga);
    // 10 px along the body x axis: bar (120-10)*30 + stem (30-10)*90 = 5100.
    expect(pushTCoverage(gx + 10 * c, gy + 10 * s, ga)).toBeCloseTo(5100 / 6300, 12);
    // 10 px along the body y axis: bar 120*20 + bar-in-goal-stem 30*10 + stem 30*80 = 5100.
    expect(pushTCoverage(gx - 10 * s, gy + 10 * c, ga)).toBeCloseTo(5100 / 6300, 12);
    // 40 px along x: bar 80*30, stems disjoint = 2400.
    expect(pushTCoverage(gx + 40 * c, gy + 40 * s, ga)).toBeCloseTo(2400 / 6300, 12);
    // Rotated by pi about the origin: bar rows y in [-30, 0] vs [0, 30] touch only; 0.
    expect(pushTCoverage(gx, gy, ga + Math.PI)).toBeCloseTo(0, 12);
  });

  it('reward and success', () => {
    expect(pushTReward(0.5)).toBeCloseTo(0.5 / 0.95, 15);
    expect(pushTReward(0.97)).toBe(1);
    expect(pushTReward(-1)).toBe(0);
    expect(pushTSuccess(0.95)).toBe(false);
    expect(pushTSuccess(0.9500001)).toBe(true);
  });
});
