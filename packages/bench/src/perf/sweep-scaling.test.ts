import { describe, expect, it } from 'vitest';
import { processTreeCpuSeconds, queueOverheadPerJobMs, sweepScaling } from './sweep-scaling.js';

describe('sweepScaling', () => {
  it('splits the speedup of the measured 2-core sweep (session numbers, worked by hand)', () => {
    // 4 runs: 79.3 s with 1 worker (runs 18.7, 19.9, 19.5, 18.9 s: mean 19.25), 45.75 s with 2
    // (runs 20.9, 21.2, 22.0, 22.2 s: mean 21.575). Extra per run 2.325 s; each of the 2 workers
    // trained 2 runs, so 45.75 - 2 * 2.325 = 41.1 s without the slowdown.
    const s = sweepScaling(
      { seconds: 79.3, trainSeconds: [18.7, 19.9, 19.5, 18.9], cpuSeconds: 84.1 },
      { seconds: 45.75, trainSeconds: [20.9, 21.2, 22.0, 22.2], cpuSeconds: 90.3 },
      2,
    );
    expect(s.speedup).toBeCloseTo(79.3 / 45.75, 12);
    expect(s.runSlowdown).toBeCloseTo(21.575 / 19.25, 12);
    expect(s.meanTrainSeconds[0]).toBeCloseTo(19.25, 12);
    expect(s.meanTrainSeconds[1]).toBeCloseTo(21.575, 12);
    expect(s.speedupWithoutSlowdown).toBeCloseTo(79.3 / 41.1, 12);
    expect(s.coresBusy[0]).toBeCloseTo(84.1 / 79.3, 12);
    expect(s.coresBusy[1]).toBeCloseTo(90.3 / 45.75, 12);
  });

  it('gives the plain speedup when runs train as fast two at once, and null cores without CPU', () => {
    const s = sweepScaling(
      { seconds: 40, trainSeconds: [10, 10], cpuSeconds: null },
      { seconds: 25, trainSeconds: [10, 10], cpuSeconds: null },
      2,
    );
    expect(s.runSlowdown).toBe(1);
    expect(s.speedupWithoutSlowdown).toBe(s.speedup);
    expect(s.coresBusy).toEqual([null, null]);
  });

  it('refuses a sweep without finished runs (a mean of nothing)', () => {
    const none = { seconds: 1, trainSeconds: [], cpuSeconds: null };
    expect(() => sweepScaling(none, none, 2)).toThrow(/no finished runs/);
  });
});

describe('queueOverheadPerJobMs', () => {
  it('is the difference of the marginal wall time per run, times the workers (by hand)', () => {
    // Pool: 6 -> 10 s over 8 more runs = 0.5 s/run; queue: 7 -> 11.4 s = 0.55 s/run (its extra
    // second of start-up cancels). Each of 2 workers pays 2 * 0.05 s = 100 ms more per job.
    const ms = queueOverheadPerJobMs(
      { runs: [4, 12], seconds: [6, 10] },
      { runs: [4, 12], seconds: [7, 11.4] },
      2,
    );
    expect(ms).toBeCloseTo(100, 9);
  });

  it('is negative when the queue is the cheaper one, and refuses sizes that do not grow', () => {
    expect(
      queueOverheadPerJobMs({ runs: [2, 6], seconds: [3, 5] }, { runs: [2, 6], seconds: [3, 4.8] }, 1),
    ).toBeCloseTo(-50, 9);
    expect(() =>
      queueOverheadPerJobMs({ runs: [4, 4], seconds: [1, 1] }, { runs: [4, 12], seconds: [1, 2] }, 2),
    ).toThrow(/second sweep must have more runs/);
  });
});

describe('processTreeCpuSeconds', () => {
  it.runIf(process.platform === 'linux')('grows by the CPU time this process spends', () => {
    const before = processTreeCpuSeconds()!;
    const t0 = process.cpuUsage();
    let x = 0;
    // ~0.3 s of CPU: well above the 10 ms tick of /proc/self/stat.
    while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1e6 < 0.3) x += Math.sqrt(x + 1);
    const after = processTreeCpuSeconds()!;
    expect(x).toBeGreaterThan(0);
    expect(after - before).toBeGreaterThan(0.25);
    expect(after - before).toBeLessThan(1);
  });
});
