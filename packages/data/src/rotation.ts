/**
 * Rotation representations and conversions, one rotation at a time (loaders loop over frames).
 *
 * Conventions (spec §7.4, §12.14):
 * - matrices are row-major length-9 arrays `[r00, r01, r02, r10, ...]`;
 * - quaternions are **xyzw** (robomimic's `robot0_eef_quat` order), returned with `w >= 0`;
 * - axis-angle is `angle · unit axis` (3 numbers);
 * - rotation 6D is the first two **rows** of the matrix (pytorch3d's `matrix_to_rotation_6d`, used
 *   by the reference for datasets and the env), and decoding applies Gram-Schmidt to those rows.
 *   The 6D form is continuous, which is why networks predict it instead of axis-angle.
 */

/** 3x3 rotation matrix in row-major order. */
export type Matrix3 = Float64Array;

/** Product `a · b` of row-major 3x3 matrices. */
export function matMul3(a: ArrayLike<number>, b: ArrayLike<number>): Matrix3 {
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
    }
  }
  return out;
}

/** Transpose (= inverse for a rotation). */
export function transpose3(a: ArrayLike<number>): Matrix3 {
  return Float64Array.from([a[0]!, a[3]!, a[6]!, a[1]!, a[4]!, a[7]!, a[2]!, a[5]!, a[8]!]);
}

/** `a · v` for a row-major 3x3 `a`. */
export function matVec3(a: ArrayLike<number>, v: ArrayLike<number>): Float64Array {
  return Float64Array.from(
    [0, 1, 2],
    (i) => a[i * 3]! * v[0]! + a[i * 3 + 1]! * v[1]! + a[i * 3 + 2]! * v[2]!,
  );
}

/** Rodrigues' formula; a zero vector gives the identity. */
export function axisAngleToMatrix(aa: ArrayLike<number>): Matrix3 {
  const [x, y, z] = [aa[0]!, aa[1]!, aa[2]!];
  const angle = Math.hypot(x, y, z);
  if (angle < 1e-12) {
    // First-order expansion I + [aa]x keeps tiny rotations differentiable-looking and exact enough.
    return Float64Array.from([1, -z, y, z, 1, -x, -y, x, 1]);
  }
  const [kx, ky, kz] = [x / angle, y / angle, z / angle];
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return Float64Array.from([
    c + kx * kx * t,
    kx * ky * t - kz * s,
    kx * kz * t + ky * s,
    ky * kx * t + kz * s,
    c + ky * ky * t,
    ky * kz * t - kx * s,
    kz * kx * t - ky * s,
    kz * ky * t + kx * s,
    c + kz * kz * t,
  ]);
}

/** Unit quaternion (xyzw) to matrix; the quaternion is normalised first. */
export function quaternionToMatrix(q: ArrayLike<number>): Matrix3 {
  const n = Math.hypot(q[0]!, q[1]!, q[2]!, q[3]!);
  if (n === 0) throw new RangeError('quaternionToMatrix: zero quaternion');
  const [x, y, z, w] = [q[0]! / n, q[1]! / n, q[2]! / n, q[3]! / n];
  return Float64Array.from([
    1 - 2 * (y * y + z * z),
    2 * (x * y - z * w),
    2 * (x * z + y * w),
    2 * (x * y + z * w),
    1 - 2 * (x * x + z * z),
    2 * (y * z - x * w),
    2 * (x * z - y * w),
    2 * (y * z + x * w),
    1 - 2 * (x * x + y * y),
  ]);
}

/**
 * Matrix to unit quaternion (xyzw, `w >= 0`), by Shepperd's method: it picks the largest of the four
 * diagonal combinations so no square root of a near-zero number is taken.
 */
export function matrixToQuaternion(m: ArrayLike<number>): Float64Array {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = Array.from({ length: 9 }, (_, i) => m[i]!);
  const tr = m00! + m11! + m22!;
  let x: number;
  let y: number;
  let z: number;
  let w: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = 0.25 * s;
    x = (m21! - m12!) / s;
    y = (m02! - m20!) / s;
    z = (m10! - m01!) / s;
  } else if (m00! > m11! && m00! > m22!) {
    const s = Math.sqrt(1 + m00! - m11! - m22!) * 2;
    w = (m21! - m12!) / s;
    x = 0.25 * s;
    y = (m01! + m10!) / s;
    z = (m02! + m20!) / s;
  } else if (m11! > m22!) {
    const s = Math.sqrt(1 + m11! - m00! - m22!) * 2;
    w = (m02! - m20!) / s;
    x = (m01! + m10!) / s;
    y = 0.25 * s;
    z = (m12! + m21!) / s;
  } else {
    const s = Math.sqrt(1 + m22! - m00! - m11!) * 2;
    w = (m10! - m01!) / s;
    x = (m02! + m20!) / s;
    y = (m12! + m21!) / s;
    z = 0.25 * s;
  }
  const sign = w < 0 ? -1 : 1;
  const n = Math.hypot(x, y, z, w) * sign;
  return Float64Array.from([x / n, y / n, z / n, w / n]);
}

/** Unit quaternion (xyzw) to axis-angle with angle in [0, π]. */
export function quaternionToAxisAngle(q: ArrayLike<number>): Float64Array {
  let [x, y, z, w] = [q[0]!, q[1]!, q[2]!, q[3]!];
  if (w < 0) [x, y, z, w] = [-x, -y, -z, -w];
  const s = Math.hypot(x, y, z);
  const angle = 2 * Math.atan2(s, w);
  // sin(angle/2)/ (angle/2) -> 1 as angle -> 0, so the small-angle limit is 2·v.
  const k = s < 1e-12 ? 2 : angle / s;
  return Float64Array.from([x * k, y * k, z * k]);
}

/** Axis-angle to unit quaternion (xyzw). */
export function axisAngleToQuaternion(aa: ArrayLike<number>): Float64Array {
  const angle = Math.hypot(aa[0]!, aa[1]!, aa[2]!);
  const half = angle / 2;
  const k = angle < 1e-12 ? 0.5 : Math.sin(half) / angle;
  return Float64Array.from([aa[0]! * k, aa[1]! * k, aa[2]! * k, Math.cos(half)]);
}

/** Matrix to axis-angle (via the quaternion, which is stable near angle π). */
export function matrixToAxisAngle(m: ArrayLike<number>): Float64Array {
  return quaternionToAxisAngle(matrixToQuaternion(m));
}

/** First two rows of the matrix: `[r00, r01, r02, r10, r11, r12]`. */
export function matrixToRotation6d(m: ArrayLike<number>): Float64Array {
  return Float64Array.from([m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!]);
}

/**
 * 6D to matrix by Gram-Schmidt on rows (pytorch3d `rotation_6d_to_matrix`): `b1 = a1/|a1|`,
 * `b2 = normalise(a2 - (b1·a2) b1)`, `b3 = b1 × b2`; rows `[b1; b2; b3]`. Any 6D vector with
 * independent halves decodes to a proper rotation, so network outputs never need projecting.
 */
export function rotation6dToMatrix(d6: ArrayLike<number>): Matrix3 {
  const a1 = [d6[0]!, d6[1]!, d6[2]!];
  const a2 = [d6[3]!, d6[4]!, d6[5]!];
  const n1 = Math.hypot(a1[0]!, a1[1]!, a1[2]!);
  if (n1 === 0) throw new RangeError('rotation6dToMatrix: first row is zero');
  const b1 = a1.map((v) => v / n1);
  const dot = b1[0]! * a2[0]! + b1[1]! * a2[1]! + b1[2]! * a2[2]!;
  const u2 = a2.map((v, i) => v - dot * b1[i]!);
  const n2 = Math.hypot(u2[0]!, u2[1]!, u2[2]!);
  if (n2 === 0) throw new RangeError('rotation6dToMatrix: rows are parallel');
  const b2 = u2.map((v) => v / n2);
  const b3 = [
    b1[1]! * b2[2]! - b1[2]! * b2[1]!,
    b1[2]! * b2[0]! - b1[0]! * b2[2]!,
    b1[0]! * b2[1]! - b1[1]! * b2[0]!,
  ];
  return Float64Array.from([...b1, ...b2, ...b3]);
}

export function axisAngleToRotation6d(aa: ArrayLike<number>): Float64Array {
  return matrixToRotation6d(axisAngleToMatrix(aa));
}

export function rotation6dToAxisAngle(d6: ArrayLike<number>): Float64Array {
  return matrixToAxisAngle(rotation6dToMatrix(d6));
}

export function quaternionToRotation6d(q: ArrayLike<number>): Float64Array {
  return matrixToRotation6d(quaternionToMatrix(q));
}

export function rotation6dToQuaternion(d6: ArrayLike<number>): Float64Array {
  return matrixToQuaternion(rotation6dToMatrix(d6));
}

/**
 * Converts robot actions `[..., pos3, axisAngle3, grip1]` (7 per arm) to `[pos3, rot6d, grip1]`
 * (10 per arm), the reference's `RotationTransformer` step for absolute actions. `arms` is inferred
 * from the width (7 -> 1, 14 -> 2) by the callers.
 */
export function axisAngleActionsToRotation6d(actions: Float32Array, arms: number): Float32Array {
  const inW = 7 * arms;
  const outW = 10 * arms;
  const rows = actions.length / inW;
  const out = new Float32Array(rows * outW);
  for (let r = 0; r < rows; r++) {
    for (let a = 0; a < arms; a++) {
      const i = r * inW + a * 7;
      const o = r * outW + a * 10;
      out[o] = actions[i]!;
      out[o + 1] = actions[i + 1]!;
      out[o + 2] = actions[i + 2]!;
      out.set(axisAngleToRotation6d(actions.subarray(i + 3, i + 6)), o + 3);
      out[o + 9] = actions[i + 6]!;
    }
  }
  return out;
}

/** Inverse of {@link axisAngleActionsToRotation6d}: `[pos3, rot6d, grip1]` per arm back to 7-D. */
export function rotation6dActionsToAxisAngle(actions: Float32Array, arms: number): Float32Array {
  const inW = 10 * arms;
  const outW = 7 * arms;
  const rows = actions.length / inW;
  const out = new Float32Array(rows * outW);
  for (let r = 0; r < rows; r++) {
    for (let a = 0; a < arms; a++) {
      const i = r * inW + a * 10;
      const o = r * outW + a * 7;
      out[o] = actions[i]!;
      out[o + 1] = actions[i + 1]!;
      out[o + 2] = actions[i + 2]!;
      out.set(rotation6dToAxisAngle(actions.subarray(i + 3, i + 9)), o + 3);
      out[o + 6] = actions[i + 9]!;
    }
  }
  return out;
}
