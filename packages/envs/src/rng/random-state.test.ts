import { describe, expect, it } from 'vitest';
import { RandomState } from './random-state.js';

// Computed once with Debian's python3-numpy 1.24.2:
//   rs = np.random.RandomState(7); [rs.randint(0, 10) for _ in range(10)], ...
describe('RandomState (numpy legacy)', () => {
  it('randint, randn and random_sample match numpy', () => {
    const rs = new RandomState(7);
    expect(Array.from({ length: 10 }, () => rs.randint(0, 10))).toEqual([4, 9, 6, 3, 3, 7, 7, 9, 7, 8]);
    expect(Array.from({ length: 5 }, () => rs.randint(-5, 1000000))).toEqual([
      315732, 127337, 784933, 551637, 177027,
    ]);
    expect([rs.randn(), rs.randn(), rs.randn()]).toEqual([
      2.025771524137035, -0.0013280504761581638, -0.47693169954525966,
    ]);
    expect(rs.randomSample()).toBe(0.06593634690590511);
  });

  it('degenerate and full 32-bit ranges', () => {
    const rs = new RandomState(7);
    expect([rs.randint(5, 6), rs.randint(5, 6), rs.randint(5, 6)]).toEqual([5, 5, 5]);
    expect(rs.randint(0, 2 ** 32)).toBe(327741615);
    expect(rs.randint(0, 2 ** 31)).toBe(976413892);
    const wide = new RandomState(3);
    expect([wide.randint(0, 2 ** 40), wide.randint(0, 2 ** 40), wide.randint(0, 2 ** 40)]).toEqual([
      455570294424, 1073054410371, 790795084744,
    ]);
    expect(wide.randint(10, 10 + 3 * 2 ** 33)).toBe(2445173535);
  });

  it('rejects bad seeds and ranges', () => {
    expect(() => new RandomState(1.5)).toThrow(RangeError);
    expect(() => new RandomState(-1)).toThrow(RangeError);
    expect(() => new RandomState(2 ** 32)).toThrow(RangeError);
    expect(() => new RandomState(0).randint(3, 3)).toThrow(RangeError);
  });
});
