import { describe, expect, it } from 'vitest';
import { createRng } from './rng.js';
import {
  axisAngleActionsToRotation6d,
  axisAngleToMatrix,
  axisAngleToQuaternion,
  axisAngleToRotation6d,
  matMul3,
  matrixToAxisAngle,
  matrixToQuaternion,
  matrixToRotation6d,
  quaternionToMatrix,
  rotation6dActionsToAxisAngle,
  rotation6dToAxisAngle,
  rotation6dToMatrix,
  transpose3,
} from './rotation.js';

const rng = createRng(11);
function randomAxisAngle(maxAngle = Math.PI * 0.999): number[] {
  const v = [rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(v[0]!, v[1]!, v[2]!);
  const angle = rng.uniform() * maxAngle;
  return v.map((x) => (x / n) * angle);
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(atol);
}

describe('rotation conversions', () => {
  it('6D is the first two ROWS of the matrix (pytorch3d convention)', () => {
    // 90 degrees about z: rows [0,-1,0], [1,0,0], [0,0,1].
    const R = axisAngleToMatrix([0, 0, Math.PI / 2]);
    expectClose(R, [0, -1, 0, 1, 0, 0, 0, 0, 1], 1e-15);
    expectClose(matrixToRotation6d(R), [0, -1, 0, 1, 0, 0], 1e-15);
  });

  it('rot6d <-> matrix round trip: identity (1e-7), random and a batch of 20 (1e-6)', () => {
    const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    expectClose(rotation6dToMatrix(matrixToRotation6d(I)), I, 1e-7);
    for (let k = 0; k < 20; k++) {
      const R = axisAngleToMatrix(randomAxisAngle());
      expectClose(rotation6dToMatrix(matrixToRotation6d(R)), R, 1e-6);
    }
  });

  it('Gram-Schmidt decoding turns any 6D vector into a proper rotation', () => {
    const R = rotation6dToMatrix([2, 0.3, -1, 0.5, 1.5, 0.2]);
    expectClose(matMul3(R, transpose3(R)), [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-12);
    const det =
      R[0]! * (R[4]! * R[8]! - R[5]! * R[7]!) -
      R[1]! * (R[3]! * R[8]! - R[5]! * R[6]!) +
      R[2]! * (R[3]! * R[7]! - R[4]! * R[6]!);
    expect(det).toBeCloseTo(1, 12);
    // The first row keeps its direction.
    const n = Math.hypot(2, 0.3, -1);
    expectClose(R.subarray(0, 3), [2 / n, 0.3 / n, -1 / n], 1e-12);
  });

  it('axis-angle, quaternion (xyzw) and matrix agree and round trip', () => {
    for (let k = 0; k < 20; k++) {
      const aa = randomAxisAngle();
      const q = axisAngleToQuaternion(aa);
      expectClose(quaternionToMatrix(q), axisAngleToMatrix(aa), 1e-12);
      expectClose(matrixToQuaternion(axisAngleToMatrix(aa)), q[3]! < 0 ? q.map((v) => -v) : q, 1e-9);
      expectClose(matrixToAxisAngle(axisAngleToMatrix(aa)), aa, 1e-9);
      expectClose(rotation6dToAxisAngle(axisAngleToRotation6d(aa)), aa, 1e-9);
    }
    // xyzw: the quaternion of 90 degrees about x is [sin45, 0, 0, cos45].
    expectClose(axisAngleToQuaternion([Math.PI / 2, 0, 0]), [Math.SQRT1_2, 0, 0, Math.SQRT1_2], 1e-15);
    expectClose(matrixToAxisAngle([1, 0, 0, 0, -1, 0, 0, 0, -1]).map(Math.abs), [Math.PI, 0, 0], 1e-12);
  });

  it('converts 7-D / 14-D axis-angle actions to 10-D / 20-D rot6d actions and back', () => {
    const actions = new Float32Array([0.1, 0.2, 0.3, 0.4, -0.2, 0.1, 1, -0.5, 0, 0.5, 0, 0, 1.2, -1]);
    const one = axisAngleActionsToRotation6d(actions, 1);
    expect(one.length).toBe(20);
    expectClose(one.subarray(0, 3), [0.1, 0.2, 0.3].map(Math.fround), 0);
    expect(one[9]).toBe(1);
    expectClose(rotation6dActionsToAxisAngle(one, 1), actions, 1e-6);
    const two = axisAngleActionsToRotation6d(actions, 2);
    expect(two.length).toBe(20);
    expect(two[19]).toBe(-1);
    expectClose(rotation6dActionsToAxisAngle(two, 2), actions, 1e-6);
  });
});
