import { EnvError } from '../errors.js';
import { type ErrorStats, measurePhysics, replayOpenLoop } from '../physics/validate.js';
import { pushTCoverage } from '../pusht/coverage.js';
import { PushTEnv } from '../pusht/env.js';
import { keypointErrors } from '../pusht/keypoints.js';
import { meanAbsDiff, renderPushT } from '../pusht/render.js';
import { PushTVectorEnv } from '../vector/vector-env.js';

/** Recorded PushT demonstrations as flat arrays (the replay buffer's `data/*` and `meta/episode_ends`). */
export interface PushTValidationData {
  /** `data/state`, `[T, 5]`. */
  state: ArrayLike<number>;
  /** `data/action`, `[T, 2]`. */
  action: ArrayLike<number>;
  /** `data/keypoint`, `[T, 9, 2]` (optional: no keypoint row without it). */
  keypoint?: ArrayLike<number>;
  /**
   * `data/img` frame `t` (`96 * 96 * 3` values, HWC, 0-255), or undefined where not loaded. Only
   * the frames of `renderFrames` are asked for.
   */
  img?: (t: number) => ArrayLike<number> | undefined;
  /** `meta/episode_ends`: exclusive cumulative ends. */
  episodeEnds: ArrayLike<number>;
}

/** Options of {@link validatePushT}. */
export interface PushTValidationOptions {
  /** Use only the first `maxEpisodes` episodes (default all). */
  maxEpisodes?: number;
  /** Dataset frames to render and compare (default {@link pushTRenderSample}(T, 1000)). */
  renderFrames?: readonly number[];
  /** Clock in milliseconds for the speed rows (e.g. `performance.now`); no speed rows without it. */
  now?: () => number;
  /** Batch size of the batched speed row, default 50. */
  batchSize?: number;
  /** Control steps per second of the Chipmunk C oracle, measured by the caller, for the ratio. */
  chipmunkStepsPerSecond?: number;
  /** Progress callback (`phase` is 'physics', 'coverage', 'keypoints', 'render' or 'speed'). */
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** One row of the targets table. */
export interface PushTValidationCheck {
  name: string;
  value: number;
  /** `'<= x'` or `'>= x'`. */
  target: string;
  pass: boolean;
}

/** What {@link validatePushT} reports (the `mipjs validate-env --env pusht --json` document). */
export interface PushTValidationReport {
  env: 'pusht';
  episodes: number;
  /** Within-episode transitions (state t -> t + 1). */
  transitions: number;
  /** Agent replayed by the PD rule from each episode's start vs `data/state` (f32), px. */
  agentReplayMaxErrorPx: number;
  oneStep: {
    /** Transitions where the recorded block moves (the ones measured). */
    transitions: number;
    medianPositionErrorPx: number;
    p95PositionErrorPx: number;
    maxPositionErrorPx: number;
    medianAngleErrorRad: number;
    p95AngleErrorRad: number;
    /** Position error over the recorded displacement. */
    medianRelativePositionError: number;
    p95RelativePositionError: number;
  };
  openLoop: {
    episodes: number;
    medianFinalPositionErrorPx: number;
    p95FinalPositionErrorPx: number;
    medianFinalAngleErrorRad: number;
    /** Fraction of episodes whose simulated final coverage is within 0.05 of the recorded one. */
    finalCoverageWithin005: number;
    /** Median over every step of every episode. */
    medianStepPositionErrorPx: number;
  };
  /** Keypoints from `data/state` vs `data/keypoint`, largest coordinate error (px); null without keypoints. */
  keypointMaxError: number | null;
  keypointMedianError: number | null;
  keypointP99Error: number | null;
  /** `renderPushT(state)` vs `data/img`; null without images. */
  render: {
    frames: number;
    meanAbsDiff: number;
    identicalFrames: number;
    worstFrameMeanAbsDiff: number;
  } | null;
  /** Control steps per second; null without a clock. */
  speed: {
    /** One `PushTEnv` (physics, coverage, observation) on this thread. */
    singleStepsPerSecond: number;
    /** A `PushTVectorEnv` of `batchSize` envs, counting every env's step. */
    batchStepsPerSecond: number;
    batchSize: number;
    chipmunkStepsPerSecond: number | null;
    /** `singleStepsPerSecond / chipmunkStepsPerSecond`. */
    ratioToChipmunk: number | null;
  } | null;
  /** The issue's targets, each with its measured value. */
  checks: PushTValidationCheck[];
}

/** `n` frame indices spread evenly over `[0, total)` (all of them when `n >= total`). */
export function pushTRenderSample(total: number, n: number): number[] {
  if (n >= total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * total) / n));
}

/**
 * Validates the PushT simulator against recorded demonstrations (the issue's `validate-env`
 * report): the agent replay; the one-step error from each recorded state (agent position and
 * replayed velocity, block pose), warmed up on the previous transition, over the transitions
 * where the block moves; the open-loop replay of each episode from its first state (final pose
 * error and final coverage); keypoints; render; speed. A pure function of arrays (browser-safe):
 * loading the zarr is the caller's job.
 *
 * @example
 * ```ts
 * const report = validatePushT({ state, action, keypoint, episodeEnds }, { now: () => performance.now() });
 * console.log(formatPushTValidation(report));
 * ```
 */
export function validatePushT(
  data: PushTValidationData,
  options: PushTValidationOptions = {},
): PushTValidationReport {
  const allEnds = Array.from(data.episodeEnds, Number);
  if (allEnds.length === 0) throw new EnvError('validatePushT: no episodes');
  const nEp = Math.min(allEnds.length, options.maxEpisodes ?? allEnds.length);
  const ends = allEnds.slice(0, nEp);
  const T = ends[ends.length - 1]!;
  if (data.state.length < 5 * T || data.action.length < 2 * T) {
    throw new EnvError(`validatePushT: state/action shorter than the episodes (${T} frames)`);
  }
  const progress = options.onProgress ?? (() => {});
  const rec = { states: data.state, actions: data.action, episodeEnds: ends };

  progress('physics', 0, 1);
  const phys = measurePhysics(rec);
  progress('physics', 1, 1);

  // Final coverage of each open-loop replay vs the recorded final state.
  progress('coverage', 0, nEp);
  const poses = replayOpenLoop(rec);
  let within = 0;
  let start = 0;
  for (let e = 0; e < nEp; e++) {
    const end = ends[e]!;
    const last = end - 1;
    const recorded = pushTCoverage(
      data.state[5 * last + 2]!,
      data.state[5 * last + 3]!,
      data.state[5 * last + 4]!,
    );
    // poses row t predicts state t + 1: the last recorded state is predicted by row end - 2.
    const r = end - 2 >= start ? end - 2 : -1;
    const sim = r < 0 ? recorded : pushTCoverage(poses[3 * r]!, poses[3 * r + 1]!, poses[3 * r + 2]!);
    if (Math.abs(sim - recorded) <= 0.05) within++;
    start = end;
    progress('coverage', e + 1, nEp);
  }

  let kp: ReturnType<typeof keypointErrors> | null = null;
  if (data.keypoint) {
    progress('keypoints', 0, 1);
    kp = keypointErrors(
      data.state.length === 5 * T ? data.state : sliceOf(data.state, 5 * T),
      sliceOf(data.keypoint, 18 * T),
    );
    progress('keypoints', 1, 1);
  }

  let render: PushTValidationReport['render'] = null;
  if (data.img) {
    const frames = options.renderFrames ?? pushTRenderSample(T, 1000);
    let sum = 0;
    let n = 0;
    let identical = 0;
    let worst = 0;
    frames.forEach((t, i) => {
      const ref = data.img!(t);
      if (ref) {
        const d = meanAbsDiff(renderPushT(sliceRow(data.state, t)), ref);
        sum += d;
        n++;
        if (d === 0) identical++;
        if (d > worst) worst = d;
      }
      progress('render', i + 1, frames.length);
    });
    if (n > 0)
      render = { frames: n, meanAbsDiff: sum / n, identicalFrames: identical, worstFrameMeanAbsDiff: worst };
  }

  let speed: PushTValidationReport['speed'] = null;
  if (options.now) {
    progress('speed', 0, 2);
    const single = speedSingle(data, ends, options.now);
    progress('speed', 1, 2);
    const batchSize = options.batchSize ?? 50;
    const batch = speedBatch(data, ends, batchSize, options.now);
    progress('speed', 2, 2);
    const chip = options.chipmunkStepsPerSecond ?? null;
    speed = {
      singleStepsPerSecond: single,
      batchStepsPerSecond: batch,
      batchSize,
      chipmunkStepsPerSecond: chip,
      ratioToChipmunk: chip ? single / chip : null,
    };
  }

  const os = phys.oneStep;
  const ol = phys.openLoop;
  const report: PushTValidationReport = {
    env: 'pusht',
    episodes: nEp,
    transitions: phys.transitions,
    agentReplayMaxErrorPx: phys.agentReplayMaxErrorPx,
    oneStep: {
      transitions: os.transitions,
      medianPositionErrorPx: os.positionErrorPx.median,
      p95PositionErrorPx: os.positionErrorPx.p95,
      maxPositionErrorPx: os.positionErrorPx.max,
      medianAngleErrorRad: os.angleErrorRad.median,
      p95AngleErrorRad: os.angleErrorRad.p95,
      medianRelativePositionError: os.relativePositionError.median,
      p95RelativePositionError: os.relativePositionError.p95,
    },
    openLoop: {
      episodes: nEp,
      medianFinalPositionErrorPx: ol.finalPositionErrorPx.median,
      p95FinalPositionErrorPx: ol.finalPositionErrorPx.p95,
      medianFinalAngleErrorRad: ol.finalAngleErrorRad.median,
      finalCoverageWithin005: within / nEp,
      medianStepPositionErrorPx: (ol.stepPositionErrorPx as ErrorStats).median,
    },
    keypointMaxError: kp ? kp.max : null,
    keypointMedianError: kp ? kp.median : null,
    keypointP99Error: kp ? kp.p99 : null,
    render,
    speed,
    checks: [],
  };
  report.checks = pushTChecks(report);
  return report;
}

/** The issue's targets applied to a report (rows whose measurement is absent are left out). */
export function pushTChecks(r: PushTValidationReport): PushTValidationCheck[] {
  const out: PushTValidationCheck[] = [];
  const le = (name: string, value: number, t: number) =>
    out.push({ name, value, target: `<= ${t}`, pass: value <= t });
  const ge = (name: string, value: number, t: number) =>
    out.push({ name, value, target: `>= ${t}`, pass: value >= t });
  le('agentReplayMaxErrorPx', r.agentReplayMaxErrorPx, 1e-6);
  le('oneStep.medianPositionErrorPx', r.oneStep.medianPositionErrorPx, 0.01);
  le('oneStep.p95PositionErrorPx', r.oneStep.p95PositionErrorPx, 0.1);
  le('oneStep.medianAngleErrorRad', r.oneStep.medianAngleErrorRad, 1e-4);
  le('openLoop.medianFinalPositionErrorPx', r.openLoop.medianFinalPositionErrorPx, 0.5);
  ge('openLoop.finalCoverageWithin005', r.openLoop.finalCoverageWithin005, 0.95);
  if (r.render) le('render.meanAbsDiff', r.render.meanAbsDiff, 3);
  if (r.speed) ge('speed.singleStepsPerSecond', r.speed.singleStepsPerSecond, 50000);
  return out;
}

/** A short plain-text table of a report (what `mipjs validate-env` prints). */
export function formatPushTValidation(r: PushTValidationReport): string {
  const fmt = (v: number) =>
    v === 0
      ? '0'
      : Math.abs(v) >= 1000
        ? Math.round(v).toLocaleString('en-US')
        : Math.abs(v) < 1e-3
          ? v.toExponential(2)
          : v.toPrecision(4);
  const rows: [string, string, string, string][] = r.checks.map((c) => [
    c.name,
    fmt(c.value),
    c.target,
    c.pass ? 'ok' : 'MISSED',
  ]);
  if (r.keypointMaxError !== null) rows.push(['keypointMaxError', fmt(r.keypointMaxError), '-', '']);
  if (r.speed) {
    rows.push([`speed.batch${r.speed.batchSize}StepsPerSecond`, fmt(r.speed.batchStepsPerSecond), '-', '']);
    if (r.speed.ratioToChipmunk !== null)
      rows.push(['speed.ratioToChipmunk', fmt(r.speed.ratioToChipmunk), '-', '']);
  }
  const w = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.map((row) => row[i]!.length), ['metric', 'value', 'target', ''][i]!.length),
  );
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  return [
    `PushT: ${r.episodes} episodes, ${r.transitions} transitions (${r.oneStep.transitions} with block motion)`,
    line(['metric', 'value', 'target', '']),
    ...rows.map(line),
  ].join('\n');
}

function sliceOf(a: ArrayLike<number>, n: number): ArrayLike<number> {
  if (a.length === n) return a;
  const s = (a as Float32Array).subarray;
  return typeof s === 'function' ? (a as Float32Array).subarray(0, n) : Array.prototype.slice.call(a, 0, n);
}

function sliceRow(state: ArrayLike<number>, t: number): number[] {
  return [state[5 * t]!, state[5 * t + 1]!, state[5 * t + 2]!, state[5 * t + 3]!, state[5 * t + 4]!];
}

/** One PushTEnv replaying each episode's actions from its first state; control steps / s. */
function speedSingle(data: PushTValidationData, ends: number[], now: () => number): number {
  const env = new PushTEnv({ maxEpisodeSteps: 100000 });
  const pair = [0, 0];
  const run = () => {
    let steps = 0;
    let start = 0;
    for (const end of ends) {
      env.setState(sliceRow(data.state, start));
      for (let t = start; t < end; t++) {
        pair[0] = data.action[2 * t]!;
        pair[1] = data.action[2 * t + 1]!;
        env.step(pair);
        steps++;
      }
      start = end;
    }
    return steps;
  };
  run(); // warm-up (JIT)
  const t0 = now();
  let steps = 0;
  do steps += run();
  while (now() - t0 < 300);
  return steps / ((now() - t0) / 1000);
}

/** A PushTVectorEnv of `n` envs, env i replaying episode i (mod episodes); all env-steps / s. */
function speedBatch(data: PushTValidationData, ends: number[], n: number, now: () => number): number {
  const venv = new PushTVectorEnv(n, { maxEpisodeSteps: 100000 });
  const starts = ends.map((_, i) => (i === 0 ? 0 : ends[i - 1]!));
  const actions = new Float64Array(2 * n);
  const steps = 100;
  const run = () => {
    venv.reset(0);
    for (let i = 0; i < n; i++) venv.envs[i]!.setState(sliceRow(data.state, starts[i % starts.length]!));
    for (let k = 0; k < steps; k++) {
      for (let i = 0; i < n; i++) {
        const e = i % starts.length;
        const t = Math.min(starts[e]! + k, ends[e]! - 1);
        actions[2 * i] = data.action[2 * t]!;
        actions[2 * i + 1] = data.action[2 * t + 1]!;
      }
      venv.step(actions);
    }
    return n * steps;
  };
  run();
  const t0 = now();
  let total = 0;
  do total += run();
  while (now() - t0 < 300);
  return total / ((now() - t0) / 1000);
}
