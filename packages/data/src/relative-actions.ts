import { CompositeNormalizer, type NormalizerSlice } from './composite-normalizer.js';
import { IdentityNormalizer } from './identity-normalizer.js';
import { MinMaxNormalizer } from './minmax-normalizer.js';
import {
  matMul3,
  matrixToRotation6d,
  matVec3,
  quaternionToMatrix,
  rotation6dToMatrix,
  transpose3,
} from './rotation.js';

/** End-effector pose of one arm: position and xyzw quaternion (robomimic's `robot0_eef_*`). */
export interface EefPose {
  pos: ArrayLike<number>;
  quat: ArrayLike<number>;
}

/** Width of one arm's action in the 6D action space: pos 3 + rot6d 6 + gripper 1. */
export const ARM_ACTION_DIM = 10;

function armsOf(poses: readonly EefPose[], fn: string): number {
  if (poses.length < 1) throw new RangeError(`${fn}: need one EEF pose per arm, got none`);
  return poses.length;
}

/**
 * Absolute actions `[T, 10·arms]` (`[pos3, rot6d, grip1]` per arm, 6D = first two rows) to actions
 * relative to the current EEF pose of each arm (spec §7.4):
 * `Δp = Rᵀ (p_target − p)`, `R_rel = Rᵀ R_target`, gripper unchanged.
 *
 * This is the formula the reference documents. Its code reads the 6D vector as columns while the
 * datasets store rows, so it actually computes `Rᵀ R_targetᵀ` (spec §12.14); here rows are used
 * throughout, which makes `R_rel` the true relative rotation. The round trip is exact either way.
 */
export function absoluteToRelativeActions(actions: Float32Array, poses: readonly EefPose[]): Float32Array {
  const arms = armsOf(poses, 'absoluteToRelativeActions');
  const width = arms * ARM_ACTION_DIM;
  if (actions.length % width !== 0)
    throw new RangeError(`absoluteToRelativeActions: length ${actions.length} not a multiple of ${width}`);
  const out = new Float32Array(actions.length);
  const frames = poses.map((p) => ({ R: quaternionToMatrix(p.quat), p: p.pos }));
  for (let o = 0; o < actions.length; o += width) {
    for (let a = 0; a < arms; a++) {
      const { R, p } = frames[a]!;
      const base = o + a * ARM_ACTION_DIM;
      const Rt = transpose3(R);
      const dp = matVec3(Rt, [
        actions[base]! - p[0]!,
        actions[base + 1]! - p[1]!,
        actions[base + 2]! - p[2]!,
      ]);
      const Rtarget = rotation6dToMatrix(actions.subarray(base + 3, base + 9));
      out.set(dp, base);
      out.set(matrixToRotation6d(matMul3(Rt, Rtarget)), base + 3);
      out[base + 9] = actions[base + 9]!;
    }
  }
  return out;
}

/** Inverse of {@link absoluteToRelativeActions}: `p_target = p + R Δp`, `R_target = R R_rel`. */
export function relativeToAbsoluteActions(actions: Float32Array, poses: readonly EefPose[]): Float32Array {
  const arms = armsOf(poses, 'relativeToAbsoluteActions');
  const width = arms * ARM_ACTION_DIM;
  if (actions.length % width !== 0)
    throw new RangeError(`relativeToAbsoluteActions: length ${actions.length} not a multiple of ${width}`);
  const out = new Float32Array(actions.length);
  const frames = poses.map((p) => ({ R: quaternionToMatrix(p.quat), p: p.pos }));
  for (let o = 0; o < actions.length; o += width) {
    for (let a = 0; a < arms; a++) {
      const { R, p } = frames[a]!;
      const base = o + a * ARM_ACTION_DIM;
      const dp = matVec3(R, actions.subarray(base, base + 3));
      out[base] = p[0]! + dp[0]!;
      out[base + 1] = p[1]! + dp[1]!;
      out[base + 2] = p[2]! + dp[2]!;
      const Rrel = rotation6dToMatrix(actions.subarray(base + 3, base + 9));
      out.set(matrixToRotation6d(matMul3(R, Rrel)), base + 3);
      out[base + 9] = actions[base + 9]!;
    }
  }
  return out;
}

/**
 * Relative action chunks `[B, H, A]` (unnormalised) back to absolute, each with the EEF poses of
 * its own window's latest observation (index To-1 of the raw `[B, To, D]` observation windows):
 * `p_target = p + R Δp`, `R_target = R R_rel` ({@link relativeToAbsoluteActions}). This is what the
 * reference does with a predicted chunk before it reaches the environment (spec §7.4).
 *
 * ```ts
 * const shape = { horizon: 16, obsSteps: 2, actDim: 10, obsDim: 23 };
 * const absolute = relativeChunksToAbsolute(chunks, rawObs, shape, { objectDim: 14 });
 * ```
 */
export function relativeChunksToAbsolute(
  chunks: Float32Array,
  obs: Float32Array,
  shape: { horizon: number; obsSteps: number; actDim: number; obsDim: number },
  layout: EefObsLayout = {},
): Float32Array {
  const { horizon: H, obsSteps: To, actDim: A, obsDim: D } = shape;
  if (To < 1 || chunks.length % (H * A) !== 0)
    throw new RangeError(
      `relativeChunksToAbsolute: length ${chunks.length} not a multiple of H·A = ${H * A}`,
    );
  const B = chunks.length / (H * A);
  if (obs.length !== B * To * D)
    throw new RangeError(
      `relativeChunksToAbsolute: ${B} chunks but ${obs.length / (To * D)} observation windows`,
    );
  const out = new Float32Array(chunks.length);
  for (let b = 0; b < B; b++) {
    const poses = eefPosesFromObs(obs.subarray((b * To + To - 1) * D, (b * To + To) * D), layout);
    out.set(relativeToAbsoluteActions(chunks.subarray(b * H * A, (b + 1) * H * A), poses), b * H * A);
  }
  return out;
}

/** Layout of a robomimic low-dim observation vector. */
export interface EefObsLayout {
  /** Width of the leading `object` key (Lift 10, Can/Square 14, Transport 41). Default 14. */
  objectDim?: number;
  /** Number of arms (each contributes eef_pos 3, eef_quat 4, gripper_qpos 2, in that order). Default 1. */
  arms?: number;
}

/**
 * EEF poses from one observation vector laid out as the reference's obs keys
 * `[object, robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos, (robot1_...)]`
 * (`get_eef_state_from_obs`). At evaluation the latest observation supplies the pose that
 * relative predictions are re-anchored to.
 */
export function eefPosesFromObs(obs: ArrayLike<number>, layout: EefObsLayout = {}): EefPose[] {
  const objectDim = layout.objectDim ?? 14;
  const arms = layout.arms ?? 1;
  const need = objectDim + 9 * arms;
  if (obs.length < need)
    throw new RangeError(`eefPosesFromObs: observation of width ${obs.length} < ${need} for ${arms} arm(s)`);
  const out: EefPose[] = [];
  for (let a = 0; a < arms; a++) {
    const o = objectDim + 9 * a;
    out.push({
      pos: Array.from({ length: 3 }, (_, i) => obs[o + i]!),
      quat: Array.from({ length: 4 }, (_, i) => obs[o + 3 + i]!),
    });
  }
  return out;
}

/** {@link eefPosesFromObs} for each row of a `[B, D]` batch. */
export function eefPosesFromObsBatch(
  obs: Float32Array,
  width: number,
  layout: EefObsLayout = {},
): EefPose[][] {
  if (width <= 0 || obs.length % width !== 0)
    throw new RangeError(`eefPosesFromObsBatch: length ${obs.length} not a multiple of ${width}`);
  const out: EefPose[][] = [];
  for (let r = 0; r < obs.length; r += width) out.push(eefPosesFromObs(obs.subarray(r, r + width), layout));
  return out;
}

/**
 * The reference's relative-action normalizer: MinMax on positions, identity on rot6d (already in
 * [-1, 1]), MinMax on the gripper, per arm (`[0,3) [3,9) [9,10)`, then `+10` for the second arm).
 * Fit it on relative actions of the training set.
 */
export function fitRelativeActionNormalizer(relActions: Float32Array, arms = 1): CompositeNormalizer {
  const width = arms * ARM_ACTION_DIM;
  const rows = relActions.length / width;
  const column = (start: number, end: number) => {
    const w = end - start;
    const out = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) out.set(relActions.subarray(r * width + start, r * width + end), r * w);
    return out;
  };
  const parts: NormalizerSlice[] = [];
  for (let a = 0; a < arms; a++) {
    const b = a * ARM_ACTION_DIM;
    parts.push({ start: b, end: b + 3, normalizer: MinMaxNormalizer.fit(column(b, b + 3), 3) });
    parts.push({ start: b + 3, end: b + 9, normalizer: new IdentityNormalizer(6) });
    parts.push({ start: b + 9, end: b + 10, normalizer: MinMaxNormalizer.fit(column(b + 9, b + 10), 1) });
  }
  return new CompositeNormalizer(parts);
}

/**
 * Every action of a `[T, A]` array made relative to the EEF pose of its **own** time step, read from
 * the matching row of `[T, D]` observation features. This is what the reference fits the relative
 * action normalizer on (spec §12.15), although training windows use the pose at index `To - 1`;
 * normalised values can therefore leave [-1, 1] slightly.
 */
export function relativeActionsOwnTimestep(
  actions: Float32Array,
  actionDim: number,
  obs: Float32Array,
  obsDim: number,
  layout: EefObsLayout = {},
): Float32Array {
  const T = actions.length / actionDim;
  if (obs.length !== T * obsDim)
    throw new RangeError(`relativeActionsOwnTimestep: ${T} actions but ${obs.length / obsDim} observations`);
  const out = new Float32Array(actions.length);
  for (let t = 0; t < T; t++) {
    const poses = eefPosesFromObs(obs.subarray(t * obsDim, (t + 1) * obsDim), layout);
    out.set(
      absoluteToRelativeActions(actions.subarray(t * actionDim, (t + 1) * actionDim), poses),
      t * actionDim,
    );
  }
  return out;
}
