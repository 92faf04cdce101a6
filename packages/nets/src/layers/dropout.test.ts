import { describe, expect, it } from 'vitest';
import { dropoutMask } from './dropout.js';

describe('dropoutMask', () => {
  it('keeps a 1 - rate fraction, scaled by 1 / (1 - rate), deterministically per seed', () => {
    for (const rate of [0.1, 0.5, 0.9]) {
      const m = dropoutMask(100_000, 12345, rate);
      const kept = m.filter((v) => v !== 0);
      expect(kept.every((v) => v === Math.fround(1 / (1 - rate)))).toBe(true);
      expect(Math.abs(kept.length / m.length - (1 - rate))).toBeLessThan(0.01);
    }
    expect(dropoutMask(1000, 7, 0.3)).toEqual(dropoutMask(1000, 7, 0.3));
    const a = dropoutMask(1000, 7, 0.5);
    const b = dropoutMask(1000, 8, 0.5);
    const same = a.filter((v, i) => v === b[i]).length;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
  });

  it('has no pattern along the index (neighbours are independent)', () => {
    const m = dropoutMask(20_000, 3, 0.5);
    let agree = 0;
    for (let i = 1; i < m.length; i++) if ((m[i] === 0) === (m[i - 1] === 0)) agree++;
    expect(Math.abs(agree / (m.length - 1) - 0.5)).toBeLessThan(0.02);
  });
});
