import { describe, expect, it } from 'vitest';
import { WarmupAnnealing } from './warmup-annealing.js';

describe('WarmupAnnealing (reference scheduler_test.py)', () => {
  const schedule = new WarmupAnnealing({ maxSteps: 1000, warmupRatio: 0.1, rampupRatio: 0.8 });

  it('holds minValue through warm-up', () => {
    for (const step of [0, 50, 99]) expect(schedule.value(step)).toBe(0);
  });

  it('ramps linearly: 0 at 100, 0.5 at 500, 799/800 at 899', () => {
    expect(schedule.value(100)).toBe(0);
    expect(schedule.value(500)).toBe(0.5);
    expect(schedule.value(899)).toBeCloseTo(799 / 800, 12);
  });

  it('holds maxValue after the ramp', () => {
    for (const step of [900, 1000, 1500]) expect(schedule.value(step)).toBe(1);
  });

  it('YAML defaults (0.2 / 0.5) over 300000 steps: 0 until 60000, 1 from 210000', () => {
    const yaml = new WarmupAnnealing({ maxSteps: 300_000 });
    expect(yaml.value(59_999)).toBe(0);
    expect(yaml.value(60_000)).toBe(0);
    expect(yaml.value(135_000)).toBe(0.5);
    expect(yaml.value(210_000)).toBe(1);
  });

  it('floors the step counts like int() in the reference', () => {
    const odd = new WarmupAnnealing({
      maxSteps: 7,
      warmupRatio: 0.5,
      rampupRatio: 0.5,
      minValue: 2,
      maxValue: 4,
    });
    expect(odd.warmupSteps).toBe(3);
    expect(odd.rampupSteps).toBe(3);
    expect(odd.value(2)).toBe(2);
    expect(odd.value(4)).toBeCloseTo(2 + 2 / 3, 12);
    expect(odd.value(6)).toBe(4);
  });

  it('rejects bad options with the field name', () => {
    expect(() => new WarmupAnnealing({ maxSteps: -1 })).toThrow('maxSteps must be an integer >= 0');
    expect(() => new WarmupAnnealing({ maxSteps: 10, warmupRatio: 1.5 })).toThrow(
      'warmupRatio must be in [0, 1]',
    );
    expect(() => new WarmupAnnealing({ maxSteps: 10, rampupRatio: Number.NaN })).toThrow('rampupRatio');
  });
});
