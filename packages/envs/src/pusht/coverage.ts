import { GOAL_POSE, SUCCESS_THRESHOLD, T_AREA, T_BOXES_LOCAL, toWorld } from './geometry.js';

/**
 * Area of the intersection of two convex polygons (flat `[x0, y0, ...]`, either orientation) by
 * Sutherland-Hodgman: clip `subject` by each edge of `clip`, then take the shoelace area.
 */
export function convexIntersectionArea(subject: ArrayLike<number>, clip: ArrayLike<number>): number {
  let poly: number[] = Array.from(subject);
  const n = clip.length / 2;
  // Orientation of the clip polygon, so that "inside" is the same side for both windings.
  let orient = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    orient += clip[2 * i]! * clip[2 * j + 1]! - clip[2 * j]! * clip[2 * i + 1]!;
  }
  const sign = orient >= 0 ? 1 : -1;
  for (let e = 0; e < n && poly.length >= 6; e++) {
    const ax = clip[2 * e]!;
    const ay = clip[2 * e + 1]!;
    const bx = clip[2 * ((e + 1) % n)]!;
    const by = clip[2 * ((e + 1) % n) + 1]!;
    const ex = bx - ax;
    const ey = by - ay;
    const side = (px: number, py: number) => sign * (ex * (py - ay) - ey * (px - ax));
    const next: number[] = [];
    const m = poly.length / 2;
    for (let i = 0; i < m; i++) {
      const px = poly[2 * i]!;
      const py = poly[2 * i + 1]!;
      const qx = poly[2 * ((i + 1) % m)]!;
      const qy = poly[2 * ((i + 1) % m) + 1]!;
      const sp = side(px, py);
      const sq = side(qx, qy);
      if (sp >= 0) next.push(px, py);
      if (sp >= 0 !== sq >= 0) {
        const t = sp / (sp - sq);
        next.push(px + t * (qx - px), py + t * (qy - py));
      }
    }
    poly = next;
  }
  return polygonArea(poly);
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
  for (const local of T_BOXES_LOCAL) {
    const box = toWorld(local, x, y, angle);
    for (const goal of goalBoxes) area += convexIntersectionArea(box, goal);
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
