/**
 * The 9 T-block keypoints of the PushT dataset (`data/keypoint`, Diffusion Policy's
 * `PymunkKeypointManager`), in body coordinates. They were recovered from the demonstrations
 * themselves: for every frame `t` and keypoint `i`, `local = R(-angle_t) (k_ti - p_t)`, then the
 * mean over the frames whose keypoints are within 1e-3 px of the robust (median) fit; see
 * {@link fitKeypointsLocal}. World keypoints are `p + R(angle) local`.
 */
export const PUSHT_KEYPOINTS_LOCAL: readonly number[] = [
  9.26979, 90.04097, -60.98347, -1.18673, 60.91276, -1.39336, -0.2705, 25.54362, -14.06493, 122.81585,
  39.00274, 32.8574, -39.96641, 32.72965, -16.82434, 62.86318, 23.54146, -1.70029,
];

/** Number of keypoints. */
export const N_KEYPOINTS = 9;

/**
 * World keypoints `[x0, y0, ..., x8, y8]` (18 numbers) of the block at `(x, y, angle)`:
 * `k_i = p + R(angle) local_i`, written into `out` from `offset`.
 *
 * @example
 * ```ts
 * const kp = pushTKeypoints(256, 256, Math.PI / 4); // 18 numbers, as data/keypoint
 * ```
 */
export function pushTKeypoints(
  x: number,
  y: number,
  angle: number,
  out: Float64Array | Float32Array = new Float64Array(2 * N_KEYPOINTS),
  offset = 0,
  local: readonly number[] = PUSHT_KEYPOINTS_LOCAL,
): Float64Array | Float32Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let i = 0; i < local.length; i += 2) {
    const lx = local[i]!;
    const ly = local[i + 1]!;
    out[offset + i] = x + c * lx - s * ly;
    out[offset + i + 1] = y + s * lx + c * ly;
  }
  return out;
}

/**
 * Recovers the keypoints' body coordinates from recorded states `[T, 5]` and keypoints
 * `[T, 9, 2]` (flat): per frame `local = R(-angle) (k - p)`; the per-coordinate median over
 * frames, refined by the mean over the frames that it reproduces within `tol` px.
 */
export function fitKeypointsLocal(
  state: ArrayLike<number>,
  keypoint: ArrayLike<number>,
  nKeypoints = N_KEYPOINTS,
  tol = 1e-3,
): Float64Array {
  const T = Math.floor(state.length / 5);
  const w = 2 * nKeypoints;
  const locals = new Float64Array(T * w);
  for (let t = 0; t < T; t++) {
    const px = state[5 * t + 2]!;
    const py = state[5 * t + 3]!;
    const c = Math.cos(state[5 * t + 4]!);
    const s = Math.sin(state[5 * t + 4]!);
    for (let i = 0; i < nKeypoints; i++) {
      const dx = keypoint[t * w + 2 * i]! - px;
      const dy = keypoint[t * w + 2 * i + 1]! - py;
      locals[t * w + 2 * i] = c * dx + s * dy;
      locals[t * w + 2 * i + 1] = -s * dx + c * dy;
    }
  }
  const med = new Float64Array(w);
  const col = new Float64Array(T);
  for (let j = 0; j < w; j++) {
    for (let t = 0; t < T; t++) col[t] = locals[t * w + j]!;
    col.sort();
    med[j] = T % 2 ? col[(T - 1) / 2]! : (col[T / 2 - 1]! + col[T / 2]!) / 2;
  }
  const sum = new Float64Array(w);
  let n = 0;
  const medArr = Array.from(med);
  const pred = new Float64Array(w);
  for (let t = 0; t < T; t++) {
    pushTKeypoints(state[5 * t + 2]!, state[5 * t + 3]!, state[5 * t + 4]!, pred, 0, medArr);
    let err = 0;
    for (let j = 0; j < w; j++) err = Math.max(err, Math.abs(pred[j]! - keypoint[t * w + j]!));
    if (err < tol) {
      n++;
      for (let j = 0; j < w; j++) sum[j]! += locals[t * w + j]!;
    }
  }
  if (n === 0) return med;
  for (let j = 0; j < w; j++) sum[j] = sum[j]! / n;
  return sum;
}

/** Error statistics of keypoints computed from states against recorded keypoints (px). */
export interface KeypointErrorStats {
  /** Largest absolute coordinate error over all frames and keypoints. */
  max: number;
  /** Median over frames of the per-frame largest coordinate error. */
  median: number;
  /** 99th percentile over frames of the per-frame largest coordinate error. */
  p99: number;
}

/** Compares `pushTKeypoints(state[t])` with `keypoint[t]` for every frame. */
export function keypointErrors(
  state: ArrayLike<number>,
  keypoint: ArrayLike<number>,
  local: readonly number[] = PUSHT_KEYPOINTS_LOCAL,
): KeypointErrorStats {
  const T = Math.floor(state.length / 5);
  const w = local.length;
  const per = new Float64Array(T);
  const pred = new Float64Array(w);
  let max = 0;
  for (let t = 0; t < T; t++) {
    pushTKeypoints(state[5 * t + 2]!, state[5 * t + 3]!, state[5 * t + 4]!, pred, 0, local);
    let e = 0;
    for (let j = 0; j < w; j++) e = Math.max(e, Math.abs(pred[j]! - keypoint[t * w + j]!));
    per[t] = e;
    if (e > max) max = e;
  }
  per.sort();
  const q = (p: number) => (T === 0 ? 0 : per[Math.min(T - 1, Math.floor(p * (T - 1)))]!);
  return { max, median: q(0.5), p99: q(0.99) };
}

/** Width of the keypoint observation: 9 keypoints (18 numbers) then the agent position (2). */
export const KEYPOINT_OBS_DIM = 2 * N_KEYPOINTS + 2;

/**
 * The keypoint observation of a batch of states `[N, 5]` (`[agent_x, agent_y, block_x, block_y,
 * block_angle]`): per row `[k_0x, k_0y, …, k_8x, k_8y, agent_x, agent_y]` (20 numbers), the
 * reference's `pusht_keypoint` observation (`data/keypoint` flattened, then `agent_pos =
 * state[:, :2]`). Keypoints are a continuous function of the pose, unlike the angle of the state,
 * which wraps from 2π to 0 right beside the goal's π/4.
 *
 * @example
 * ```ts
 * const obs = pushTKeypointObservation(venv.reset(100000), 50); // Float32Array [50, 20]
 * ```
 */
export function pushTKeypointObservation(states: ArrayLike<number>, n: number): Float32Array {
  if (states.length < n * 5) {
    throw new RangeError(`pushTKeypointObservation: ${n} states need ${n * 5} numbers, got ${states.length}`);
  }
  const out = new Float32Array(n * KEYPOINT_OBS_DIM);
  const kp = new Float64Array(2 * N_KEYPOINTS);
  for (let i = 0; i < n; i++) {
    pushTKeypoints(states[i * 5 + 2]!, states[i * 5 + 3]!, states[i * 5 + 4]!, kp);
    const row = i * KEYPOINT_OBS_DIM;
    out.set(kp, row);
    out[row + 2 * N_KEYPOINTS] = states[i * 5]!;
    out[row + 2 * N_KEYPOINTS + 1] = states[i * 5 + 1]!;
  }
  return out;
}
