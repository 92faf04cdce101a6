import { describe, expect, it } from 'vitest';
import {
  absoluteToRelativeActions,
  eefPosesFromObs,
  eefPosesFromObsBatch,
  fitRelativeActionNormalizer,
  relativeActionsOwnTimestep,
  relativeChunksToAbsolute,
  relativeToAbsoluteActions,
} from './relative-actions.js';
import { createRng } from './rng.js';
import { axisAngleToQuaternion, axisAngleToRotation6d } from './rotation.js';

const rng = createRng(5);
function randomPose() {
  const aa = [rng.normal(), rng.normal(), rng.normal()];
  return { pos: [rng.normal(), rng.normal(), rng.normal()], quat: Array.from(axisAngleToQuaternion(aa)) };
}
function randomAction(): number[] {
  const aa = [rng.normal(), rng.normal(), rng.normal()];
  return [
    rng.normal(),
    rng.normal(),
    rng.normal(),
    ...axisAngleToRotation6d(aa),
    rng.uniform() > 0.5 ? 1 : -1,
  ];
}
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(atol);
}

describe('relative actions', () => {
  it('abs -> rel -> abs round trip for one action and an 8-step chunk (1e-5)', () => {
    const pose = randomPose();
    const one = Float32Array.from(randomAction());
    expectClose(relativeToAbsoluteActions(absoluteToRelativeActions(one, [pose]), [pose]), one, 1e-5);
    const chunk = Float32Array.from(Array.from({ length: 8 }, randomAction).flat());
    const rel = absoluteToRelativeActions(chunk, [pose]);
    expect(rel.length).toBe(80);
    expectClose(relativeToAbsoluteActions(rel, [pose]), chunk, 1e-5);
  });

  it('relativeChunksToAbsolute: a batch of Lift-shaped windows (obs 19-D, To 2, H 16) made relative to their latest pose comes back (1e-5)', () => {
    // Observation [object 10, eef_pos 3, eef_quat 4, gripper 2] per step, as Lift's low-dim keys.
    const [B, To, H, D] = [3, 2, 16, 19];
    const obs = new Float32Array(B * To * D);
    const chunks = new Float32Array(B * H * 10);
    const rel = new Float32Array(B * H * 10);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < To; t++) {
        const { pos, quat } = randomPose();
        obs.set(
          [...Array.from({ length: 10 }, () => rng.normal()), ...pos, ...quat, 0.04, -0.04],
          (b * To + t) * D,
        );
      }
      const chunk = Float32Array.from(Array.from({ length: H }, randomAction).flat());
      chunks.set(chunk, b * H * 10);
      const latest = eefPosesFromObs(obs.subarray((b * To + To - 1) * D, (b * To + To) * D), {
        objectDim: 10,
      });
      rel.set(absoluteToRelativeActions(chunk, latest), b * H * 10);
    }
    const shape = { horizon: H, obsSteps: To, actDim: 10, obsDim: D };
    expectClose(relativeChunksToAbsolute(rel, obs, shape, { objectDim: 10 }), chunks, 1e-5);
    expect(() => relativeChunksToAbsolute(rel, obs.subarray(D), shape, { objectDim: 10 })).toThrow(
      /3 chunks but .* observation windows/,
    );
  });

  it('leaves the gripper unchanged', () => {
    const chunk = Float32Array.from(Array.from({ length: 8 }, randomAction).flat());
    const rel = absoluteToRelativeActions(chunk, [randomPose()]);
    for (let t = 0; t < 8; t++) expect(rel[t * 10 + 9]).toBe(chunk[t * 10 + 9]);
  });

  it('identity EEF pose gives rel == abs', () => {
    const chunk = Float32Array.from(Array.from({ length: 4 }, randomAction).flat());
    expectClose(absoluteToRelativeActions(chunk, [{ pos: [0, 0, 0], quat: [0, 0, 0, 1] }]), chunk, 1e-6);
  });

  it('a target near the EEF pose gives a small rel position and rot6d close to identity', () => {
    const pose = randomPose();
    // Target = the EEF pose composed with a tiny rotation (R_target = R_pose · R_small) and a 3.7 mm offset.
    const small = Float32Array.from([0, 0, 0, ...axisAngleToRotation6d([1e-3, -2e-3, 1e-3]), 0]);
    const rotTarget = relativeToAbsoluteActions(small, [pose]).subarray(3, 9);
    const targetPos = pose.pos.map((v, i) => v + [0.003, -0.002, 0.001][i]!);
    const rel0 = absoluteToRelativeActions(Float32Array.from([...targetPos, ...rotTarget, 0.5]), [pose]);
    expect(Math.hypot(rel0[0]!, rel0[1]!, rel0[2]!)).toBeLessThan(0.01);
    expectClose(rel0.subarray(3, 9), [1, 0, 0, 0, 1, 0], 0.03);
    expect(rel0[9]).toBe(0.5);
  });

  it('is R^T R_target with rows (not the reference code’s column reading)', () => {
    // EEF rotated 90 degrees about z, target rotated 180 degrees about z: relative = 90 degrees about z.
    const pose = { pos: [1, 2, 3], quat: Array.from(axisAngleToQuaternion([0, 0, Math.PI / 2])) };
    const target = Float32Array.from([1, 3, 3, ...axisAngleToRotation6d([0, 0, Math.PI]), 0]);
    const rel = absoluteToRelativeActions(target, [pose]);
    expectClose(rel.subarray(3, 9), axisAngleToRotation6d([0, 0, Math.PI / 2]), 1e-6);
    // World offset +y seen from a frame turned +90 degrees about z is +x.
    expectClose(rel.subarray(0, 3), [1, 0, 0], 1e-6);
  });

  it('dual-arm actions use each arm’s own EEF pose', () => {
    const poses = [randomPose(), randomPose()];
    const chunk = Float32Array.from(
      Array.from({ length: 3 }, () => [...randomAction(), ...randomAction()]).flat(),
    );
    const rel = absoluteToRelativeActions(chunk, poses);
    const arm1Only = Float32Array.from(
      Array.from({ length: 3 }, (_, t) => Array.from(chunk.subarray(t * 20 + 10, t * 20 + 20))).flat(),
    );
    const rel1 = absoluteToRelativeActions(arm1Only, [poses[1]!]);
    for (let t = 0; t < 3; t++)
      expectClose(rel.subarray(t * 20 + 10, t * 20 + 20), rel1.subarray(t * 10, t * 10 + 10), 1e-7);
    expectClose(relativeToAbsoluteActions(rel, poses), chunk, 1e-5);
  });

  it('extracts EEF pos / quat after the object features (single and batch of 5, 23-D obs)', () => {
    const obs = Float32Array.from({ length: 23 }, (_, i) => i);
    const [pose] = eefPosesFromObs(obs);
    expect(Array.from(pose!.pos)).toEqual([14, 15, 16]);
    expect(Array.from(pose!.quat)).toEqual([17, 18, 19, 20]);
    const batch = Float32Array.from({ length: 5 * 23 }, (_, i) => i);
    const poses = eefPosesFromObsBatch(batch, 23);
    expect(poses.length).toBe(5);
    expect(Array.from(poses[4]![0]!.pos)).toEqual([4 * 23 + 14, 4 * 23 + 15, 4 * 23 + 16]);
    const dual = eefPosesFromObs(
      Float32Array.from({ length: 59 }, (_, i) => i),
      { objectDim: 41, arms: 2 },
    );
    expect(Array.from(dual[1]!.pos)).toEqual([50, 51, 52]);
    expect(() => eefPosesFromObs(new Float32Array(20))).toThrow(/width 20/);
  });

  it('fits MinMax on pos and gripper, identity on rot6d', () => {
    const chunk = Float32Array.from(Array.from({ length: 16 }, randomAction).flat());
    const n = fitRelativeActionNormalizer(chunk);
    const y = n.normalize(chunk);
    for (let t = 0; t < 16; t++) {
      for (let k = 3; k < 9; k++) expect(y[t * 10 + k]).toBe(chunk[t * 10 + k]);
      for (const k of [0, 1, 2]) expect(Math.abs(y[t * 10 + k]!)).toBeLessThanOrEqual(1 + 1e-6);
    }
    expect(Math.max(...Array.from({ length: 16 }, (_, t) => y[t * 10]!))).toBeCloseTo(1, 6);
  });

  it('relativeActionsOwnTimestep uses each row’s own EEF pose', () => {
    const poses = [randomPose(), randomPose(), randomPose()];
    const obs = Float32Array.from(
      poses.flatMap((p) => [...new Array(14).fill(0), ...p.pos, ...p.quat, 0.01, 0.02]),
    );
    const actions = Float32Array.from(Array.from({ length: 3 }, randomAction).flat());
    const rel = relativeActionsOwnTimestep(actions, 10, obs, 23);
    for (let t = 0; t < 3; t++) {
      const pose = eefPosesFromObs(obs.subarray(t * 23, (t + 1) * 23));
      expectClose(
        rel.subarray(t * 10, (t + 1) * 10),
        absoluteToRelativeActions(actions.subarray(t * 10, (t + 1) * 10), pose),
        0,
      );
    }
    expect(() => relativeActionsOwnTimestep(actions, 10, obs.subarray(0, 46), 23)).toThrow(
      /3 actions but 2 observations/,
    );
  });
});
