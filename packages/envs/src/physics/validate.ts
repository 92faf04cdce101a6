import { controlStep, PUSHT_PHYSICS, PushTWorld } from './world.js';

/** Recorded PushT demonstrations as flat arrays (e.g. the zarr's `data/state`, `data/action`). */
export interface PushTRecording {
  /** `[T, 5]`: agent x, agent y, block x, block y, block angle. */
  readonly states: ArrayLike<number>;
  /** `[T, 2]`: the agent's target. */
  readonly actions: ArrayLike<number>;
  /** Exclusive cumulative episode ends. */
  readonly episodeEnds: readonly number[];
}

export interface ErrorStats {
  median: number;
  p95: number;
  max: number;
  count: number;
}

/** What {@link measurePhysics} reports. */
export interface PhysicsMeasurement {
  episodes: number;
  transitions: number;
  /** Agent replayed with the PD rule from each episode's start vs the recorded positions (f32). */
  agentReplayMaxErrorPx: number;
  /**
   * One control step from the recorded state, warmed up on the previous transition, over the
   * transitions where the recorded block moves.
   */
  oneStep: {
    transitions: number;
    positionErrorPx: ErrorStats;
    angleErrorRad: ErrorStats;
    /** Position error over the recorded displacement. */
    relativePositionError: ErrorStats;
  };
  /** Each episode replayed open loop from its first state (angle, then position). */
  openLoop: {
    /** Block position error at the last recorded state of each episode. */
    finalPositionErrorPx: ErrorStats;
    finalAngleErrorRad: ErrorStats;
    /** Over every step of every episode. */
    stepPositionErrorPx: ErrorStats;
  };
}

export function errorStats(values: number[]): ErrorStats {
  const s = Float64Array.from(values).sort();
  const q = (p: number): number =>
    s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : Number.NaN;
  return { median: q(0.5), p95: q(0.95), max: s.length ? s[s.length - 1]! : Number.NaN, count: s.length };
}

function angleDiff(a: number, b: number): number {
  let d = (a - b) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d < -Math.PI) d += 2 * Math.PI;
  return Math.abs(d);
}

/**
 * The agent's velocity before each recorded step, from the PD rule replayed from rest at each
 * episode's first recorded position (`[T, 2]`), and the largest deviation of the replayed
 * positions from the recorded ones (after rounding to float32, the recording's precision).
 */
export function replayAgent(rec: PushTRecording): { velocities: Float64Array; maxErrorPx: number } {
  const { states, actions, episodeEnds } = rec;
  const T = episodeEnds[episodeEnds.length - 1] ?? 0;
  const vel = new Float64Array(2 * T);
  const P = PUSHT_PHYSICS;
  let maxErr = 0;
  let start = 0;
  for (const end of episodeEnds) {
    let px = states[5 * start]!;
    let py = states[5 * start + 1]!;
    let vx = 0;
    let vy = 0;
    for (let t = start; t < end; t++) {
      maxErr = Math.max(
        maxErr,
        Math.abs(Math.fround(px) - states[5 * t]!),
        Math.abs(Math.fround(py) - states[5 * t + 1]!),
      );
      vel[2 * t] = vx;
      vel[2 * t + 1] = vy;
      const ax = actions[2 * t]!;
      const ay = actions[2 * t + 1]!;
      for (let i = 0; i < P.subSteps; i++) {
        const accx = P.kp * (ax - px) + P.kv * (0 - vx);
        const accy = P.kp * (ay - py) + P.kv * (0 - vy);
        vx = vx + accx * P.dt;
        vy = vy + accy * P.dt;
        px = px + (vx + 0) * P.dt;
        py = py + (vy + 0) * P.dt;
      }
    }
    start = end;
  }
  return { velocities: vel, maxErrorPx: maxErr };
}

/**
 * Replays every episode open loop from its first recorded state; returns the simulated block
 * pose after each action (`[T, 3]`: x, y, angle; row t is the prediction of state t + 1).
 */
export function replayOpenLoop(rec: PushTRecording, world = new PushTWorld()): Float64Array {
  const { states, actions, episodeEnds } = rec;
  const T = episodeEnds[episodeEnds.length - 1] ?? 0;
  const out = new Float64Array(3 * T);
  let start = 0;
  for (const end of episodeEnds) {
    world.clearContacts();
    world.setAgent(states[5 * start]!, states[5 * start + 1]!, 0, 0);
    world.setBlockVelocity(0, 0, 0);
    world.setBlockPose(states[5 * start + 2]!, states[5 * start + 3]!, states[5 * start + 4]!, 'angle-first');
    for (let t = start; t < end; t++) {
      controlStep(world, actions[2 * t]!, actions[2 * t + 1]!);
      out[3 * t] = world.block.x;
      out[3 * t + 1] = world.block.y;
      out[3 * t + 2] = world.block.angle;
    }
    start = end;
  }
  return out;
}

/**
 * Compares the simulator with recorded demonstrations: the agent replay, the one-step error
 * (warmed up on the previous transition, then the poses overwritten with the recorded state) and
 * the open-loop replay. Pure function of the arrays (browser-safe).
 */
export function measurePhysics(rec: PushTRecording): PhysicsMeasurement {
  const { states, actions, episodeEnds } = rec;
  const agent = replayAgent(rec);
  const vel = agent.velocities;
  const world = new PushTWorld();
  const pos: number[] = [];
  const ang: number[] = [];
  const rel: number[] = [];
  let transitions = 0;
  let start = 0;
  const setState = (t: number): void => {
    world.setAgent(states[5 * t]!, states[5 * t + 1]!, vel[2 * t]!, vel[2 * t + 1]!);
    world.setBlockPose(states[5 * t + 2]!, states[5 * t + 3]!, states[5 * t + 4]!, 'angle-first');
  };
  for (const end of episodeEnds) {
    for (let t = start; t + 1 < end; t++) {
      transitions++;
      const dx = states[5 * (t + 1) + 2]! - states[5 * t + 2]!;
      const dy = states[5 * (t + 1) + 3]! - states[5 * t + 3]!;
      const da = angleDiff(states[5 * (t + 1) + 4]!, states[5 * t + 4]!);
      const disp = Math.hypot(dx, dy);
      if (disp === 0 && da === 0) continue;
      world.clearContacts();
      world.setBlockVelocity(0, 0, 0);
      if (t > start) {
        setState(t - 1);
        controlStep(world, actions[2 * (t - 1)]!, actions[2 * (t - 1) + 1]!);
      }
      setState(t);
      controlStep(world, actions[2 * t]!, actions[2 * t + 1]!);
      const e = Math.hypot(
        world.block.x - states[5 * (t + 1) + 2]!,
        world.block.y - states[5 * (t + 1) + 3]!,
      );
      pos.push(e);
      ang.push(angleDiff(world.block.angle, states[5 * (t + 1) + 4]!));
      if (disp > 0) rel.push(e / disp);
    }
    start = end;
  }

  const poses = replayOpenLoop(rec, world);
  const finalPos: number[] = [];
  const finalAng: number[] = [];
  const stepPos: number[] = [];
  start = 0;
  for (const end of episodeEnds) {
    for (let t = start; t + 1 < end; t++) {
      const e = Math.hypot(
        poses[3 * t]! - states[5 * (t + 1) + 2]!,
        poses[3 * t + 1]! - states[5 * (t + 1) + 3]!,
      );
      stepPos.push(e);
      if (t + 2 === end) {
        finalPos.push(e);
        finalAng.push(angleDiff(poses[3 * t + 2]!, states[5 * (t + 1) + 4]!));
      }
    }
    start = end;
  }
  return {
    episodes: episodeEnds.length,
    transitions,
    agentReplayMaxErrorPx: agent.maxErrorPx,
    oneStep: {
      transitions: pos.length,
      positionErrorPx: errorStats(pos),
      angleErrorRad: errorStats(ang),
      relativePositionError: errorStats(rel),
    },
    openLoop: {
      finalPositionErrorPx: errorStats(finalPos),
      finalAngleErrorRad: errorStats(finalAng),
      stepPositionErrorPx: errorStats(stepPos),
    },
  };
}

/**
 * Control steps per second of one world replaying the recording open loop (10 sub-steps each),
 * timed with `now` (e.g. `performance.now`, milliseconds).
 */
export function benchControlSteps(rec: PushTRecording, now: () => number, repeats = 1): number {
  const T = rec.episodeEnds[rec.episodeEnds.length - 1] ?? 0;
  const world = new PushTWorld();
  replayOpenLoop(rec, world); // warm-up
  const t0 = now();
  for (let r = 0; r < repeats; r++) replayOpenLoop(rec, world);
  const seconds = (now() - t0) / 1000;
  return (T * repeats) / seconds;
}
