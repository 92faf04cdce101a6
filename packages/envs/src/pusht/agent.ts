/**
 * The agent's PD rule alone (it is kinematic: contacts never move it). Per control step, 10
 * sub-steps of dt = 0.01 in float64, in `pusht_env.py`'s order:
 *
 *   acc = 100 (target - p) + 20 (0 - v);   v = v + acc dt;   p = p + v dt
 *
 * (the last line is Chipmunk's position update of a kinematic body). From a recorded start at
 * rest this reproduces the recorded agent positions exactly, which gives the agent velocity at
 * every recorded step.
 */
export function agentControlStep(p: Float64Array, targetX: number, targetY: number): void {
  let x = p[0]!;
  let y = p[1]!;
  let vx = p[2]!;
  let vy = p[3]!;
  for (let i = 0; i < 10; i++) {
    const ax = 100 * (targetX - x) + 20 * (0 - vx);
    const ay = 100 * (targetY - y) + 20 * (0 - vy);
    vx = vx + ax * 0.01;
    vy = vy + ay * 0.01;
    x = x + vx * 0.01;
    y = y + vy * 0.01;
  }
  p[0] = x;
  p[1] = y;
  p[2] = vx;
  p[3] = vy;
}

/**
 * Replays the agent of one episode from `(x0, y0)` at rest through `actions` (`[T, 2]` flat):
 * returns `[T + 1, 4]` flat `(x, y, vx, vy)`, row t being the agent before action t.
 *
 * @example
 * ```ts
 * const traj = agentTrajectory(state[0], state[1], actions); // traj[4 * t] ~ state[5 * t]
 * ```
 */
export function agentTrajectory(x0: number, y0: number, actions: ArrayLike<number>): Float64Array {
  const T = Math.floor(actions.length / 2);
  const out = new Float64Array((T + 1) * 4);
  const p = new Float64Array([x0, y0, 0, 0]);
  out.set(p, 0);
  for (let t = 0; t < T; t++) {
    agentControlStep(p, actions[2 * t]!, actions[2 * t + 1]!);
    out.set(p, 4 * (t + 1));
  }
  return out;
}
