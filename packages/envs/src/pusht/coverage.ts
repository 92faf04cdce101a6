import { GOAL_POSE, SUCCESS_THRESHOLD, T_AREA, T_BOXES_LOCAL, toWorld } from './geometry.js';

// Scratch buffers of the clipper (a convex polygon clipped by a convex n-gon has at most
// subject + n vertices; 64 covers every use here and grows on demand).
let bufA = new Float64Array(64);
let bufB = new Float64Array(64);

/**
 * Area of the intersection of two convex polygons (flat `[x0, y0, ...]`, either orientation) by
 * Sutherland-Hodgman: clip `subject` by each edge of `clip` (keeping the points on the inner side
 * `sign * cross(b - a, p - a) >= 0` and the edge crossings `p + t (q - p)`,
 * `t = s_p / (s_p - s_q)`), then take the shoelace area.
 */
export function convexIntersectionArea(subject: ArrayLike<number>, clip: ArrayLike<number>): number {
  const cap = 2 * (subject.length + clip.length);
  if (bufA.length < cap) {
    bufA = new Float64Array(cap);
    bufB = new Float64Array(cap);
  }
  let cur = bufA;
  let nxt = bufB;
  let m = subject.length / 2;
  for (let i = 0; i < subject.length; i++) cur[i] = subject[i]!;
  const n = clip.length / 2;
  // Orientation of the clip polygon, so that "inside" is the same side for both windings.
  let orient = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    orient += clip[2 * i]! * clip[2 * j + 1]! - clip[2 * j]! * clip[2 * i + 1]!;
  }
  const sign = orient >= 0 ? 1 : -1;
  for (let e = 0; e < n && m >= 3; e++) {
    const ax = clip[2 * e]!;
    const ay = clip[2 * e + 1]!;
    const ex = clip[2 * ((e + 1) % n)]! - ax;
    const ey = clip[2 * ((e + 1) % n) + 1]! - ay;
    let k = 0;
    let px = cur[2 * (m - 1)]!;
    let py = cur[2 * (m - 1) + 1]!;
    let sp = sign * (ex * (py - ay) - ey * (px - ax));
    for (let i = 0; i < m; i++) {
      const qx = cur[2 * i]!;
      const qy = cur[2 * i + 1]!;
      const sq = sign * (ex * (qy - ay) - ey * (qx - ax));
      if (sp >= 0 !== sq >= 0) {
        const t = sp / (sp - sq);
        nxt[k++] = px + t * (qx - px);
        nxt[k++] = py + t * (qy - py);
      }
      if (sq >= 0) {
        nxt[k++] = qx;
        nxt[k++] = qy;
      }
      px = qx;
      py = qy;
      sp = sq;
    }
    const tmp = cur;
    cur = nxt;
    nxt = tmp;
    m = k / 2;
  }
  if (m < 3) return 0;
  let a = 0;
  for (let i = 0; i < m; i++) {
    const j = i + 1 === m ? 0 : i + 1;
    a += cur[2 * i]! * cur[2 * j + 1]! - cur[2 * j]! * cur[2 * i + 1]!;
  }
  return Math.abs(a) / 2;
}

/** Absolute shoelace area of a polygon, flat `[x0, y0, ...]`. */
export function polygonArea(poly: ArrayLike<number>): number {
  const m = poly.length / 2;
  if (m < 3) return 0;
  let a = 0;
  for (let i = 0; i < m; i++) {
    const j = (i + 1) % m;
    a += poly[2 * i]! * poly[2 * j + 1]! - poly[2 * j]! * poly[2 * i + 1]!;
  }
  return Math.abs(a) / 2;
}

const goalBoxes = T_BOXES_LOCAL.map((b) => toWorld(b, GOAL_POSE[0], GOAL_POSE[1], GOAL_POSE[2]));
// Centre and circumradius of each box (local), for a quick rejection of far-apart pairs.
const boxCircles = T_BOXES_LOCAL.map((b) => {
  const cx = (b[0]! + b[2]! + b[4]! + b[6]!) / 4;
  const cy = (b[1]! + b[3]! + b[5]! + b[7]!) / 4;
  return [cx, cy, Math.hypot(b[0]! - cx, b[1]! - cy)] as const;
});
const goalCircles = boxCircles.map(([cx, cy, r]) => {
  const [w] = [toWorld([cx, cy], GOAL_POSE[0], GOAL_POSE[1], GOAL_POSE[2])];
  return [w[0]!, w[1]!, r] as const;
});
const boxScratch = [new Float64Array(8), new Float64Array(8)];

/**
 * Exact coverage of the goal by the T at block pose `(x, y, angle)`:
 *
 *   coverage = area(T(x, y, angle) ∩ T_goal) / area(T_goal),   area(T_goal) = 6300.
 *
 * Each T is the union of two boxes that only share an edge, so the intersection area is the sum of
 * the 2 x 2 convex box-box intersections (what shapely's `MultiPolygon.intersection(...).area`
 * gives in `pusht_env.py`).
 *
 * @example
 * ```ts
 * pushTCoverage(256, 256, Math.PI / 4); // 1
 * ```
 */
export function pushTCoverage(x: number, y: number, angle: number): number {
  let area = 0;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let i = 0; i < 2; i++) {
    const [lx, ly, r] = boxCircles[i]!;
    const wx = x + c * lx - s * ly;
    const wy = y + s * lx + c * ly;
    let box: Float64Array | null = null;
    for (let j = 0; j < 2; j++) {
      const [gx, gy, gr] = goalCircles[j]!;
      if (Math.hypot(wx - gx, wy - gy) >= r + gr) continue; // disjoint circumcircles
      box ??= toWorld(T_BOXES_LOCAL[i]!, x, y, angle, boxScratch[i]);
      area += convexIntersectionArea(box, goalBoxes[j]!);
    }
  }
  return area / T_AREA;
}

/** Reward of a coverage: `clip(coverage / 0.95, 0, 1)`. */
export function pushTReward(coverage: number): number {
  return Math.min(1, Math.max(0, coverage / SUCCESS_THRESHOLD));
}

/** Success (and termination) test: `coverage > 0.95`. */
export function pushTSuccess(coverage: number): boolean {
  return coverage > SUCCESS_THRESHOLD;
}
