import { readFileSync } from 'node:fs';

/** One timed sweep of the perf section: its wall time and what each of its runs reported. */
export interface SweepTiming {
  /** Wall seconds from start (or submission, on a queue) to the written report. */
  seconds: number;
  /** Each run's own training seconds (`trainSeconds` of its result row), in any order. */
  trainSeconds: number[];
  /**
   * CPU seconds spent meanwhile by this process and the children it reaped (the local pool's
   * workers); null where that cannot be read (not Linux, or a queue, whose workers are not ours).
   */
  cpuSeconds: number | null;
}

/** Where the speedup of a 2-worker sweep over a 1-worker one went. */
export interface SweepScaling {
  /** wall1 / wall2. */
  speedup: number;
  /** mean(train2) / mean(train1): how much slower one run trains while another trains beside it. */
  runSlowdown: number;
  /** The speedup if runs trained as fast two at once as alone (see {@link sweepScaling}). */
  speedupWithoutSlowdown: number;
  /** mean(train₁), mean(train₂): a run's mean training seconds with 1 and with 2 workers. */
  meanTrainSeconds: [number, number];
  /** Cores kept busy on average: CPU seconds / wall seconds, per sweep (null when not measured). */
  coresBusy: [number | null, number | null];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Splits the 2-vs-1 worker speedup of a sweep into what contention for the cores costs and the
 * rest (start-up, report, uneven split of the runs):
 *
 *   speedup   = wall₁ / wall₂
 *   slowdown  = mean(train₂) / mean(train₁)
 *   wall₂*    = wall₂ − (mean(train₂) − mean(train₁)) · runs / workers₂
 *   speedup*  = wall₁ / wall₂*        (the speedup without that slowdown)
 *
 * `wall₂*` removes each worker's share of the extra training time, runs split evenly. A slowdown
 * well above 1 with both cores busy (`coresBusy` near 2) says the runs compete for CPU: each
 * Node process needs a little more than one core (V8's compiler and GC threads), so two of them
 * on two cores cannot both run at full speed.
 *
 * @example
 * sweepScaling({ seconds: 80, trainSeconds: [19, 19], cpuSeconds: 84 },
 *              { seconds: 46, trainSeconds: [21, 21], cpuSeconds: 90 }, 2);
 * // speedup 1.74, runSlowdown 1.105, speedupWithoutSlowdown 80 / (46 - 2) = 1.82
 */
export function sweepScaling(one: SweepTiming, two: SweepTiming, workers: number): SweepScaling {
  if (one.trainSeconds.length === 0 || two.trainSeconds.length === 0)
    throw new Error('sweepScaling: a sweep with no finished runs');
  const train1 = mean(one.trainSeconds);
  const train2 = mean(two.trainSeconds);
  const extra = train2 - train1;
  const idealWall = two.seconds - (extra * two.trainSeconds.length) / workers;
  const busy = (t: SweepTiming) => (t.cpuSeconds === null ? null : t.cpuSeconds / t.seconds);
  return {
    speedup: one.seconds / two.seconds,
    runSlowdown: train2 / train1,
    speedupWithoutSlowdown: one.seconds / idealWall,
    meanTrainSeconds: [train1, train2],
    coresBusy: [busy(one), busy(two)],
  };
}

/**
 * CPU seconds so far of this process and of the children it has reaped: `utime + stime + cutime +
 * cstime` of /proc/self/stat, in clock ticks of 1/100 s (USER_HZ, 100 on every Linux build
 * that Node supports). Null where there is no /proc (macOS, Windows).
 */
export function processTreeCpuSeconds(): number | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] ... cstime (17) fields[14].
  const ticks = fields.slice(11, 15).reduce((a, b) => a + Number(b), 0);
  return Number.isFinite(ticks) ? ticks / 100 : null;
}

/** Two sweeps of the same tiny runs, `runs[0]` and then `runs[1]` of them, timed in seconds. */
export interface MarginalTiming {
  runs: [number, number];
  seconds: [number, number];
}

/**
 * The extra time one job takes on the queue, against the local pool, in ms: from the marginal
 * wall time of a run, the slope between two sweep sizes, so that everything paid once per sweep
 * (starting workers, connecting, the report) cancels:
 *
 *   slope    = (wall(n₂) − wall(n₁)) / (n₂ − n₁)          seconds of wall per extra run
 *   overhead = (slope_queue − slope_pool) · workers · 1000  ms per job
 *
 * With `workers` taking jobs in parallel a run adds 1/workers of its own time to the wall, hence
 * the factor. Tiny runs keep training noise, which is the same on both, out of the difference.
 *
 * @example
 * queueOverheadPerJobMs({ runs: [4, 12], seconds: [6, 10] }, { runs: [4, 12], seconds: [6.2, 10.4] }, 2);
 * // pool 0.5 s/run, queue 0.525 s/run: (0.525 - 0.5) * 2 * 1000 = 50 ms
 */
export function queueOverheadPerJobMs(pool: MarginalTiming, queue: MarginalTiming, workers: number): number {
  return (secondsPerJob(queue, workers) - secondsPerJob(pool, workers)) * 1000;
}

/** The time one job takes, from the marginal wall time of a run: slope · workers (see above). */
export function secondsPerJob(t: MarginalTiming, workers: number): number {
  if (t.runs[1] <= t.runs[0]) throw new Error('secondsPerJob: the second sweep must have more runs');
  return ((t.seconds[1] - t.seconds[0]) / (t.runs[1] - t.runs[0])) * workers;
}
