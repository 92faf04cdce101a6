/**
 * Narrow-phase collision of Chipmunk 7.0.3 (`src/cpCollision.c`) for the shape pairs of the
 * PushT scene: circle-poly (agent against a box of the T) and segment-poly (wall against a
 * box), both through GJK (and EPA when the cores overlap), then Chipmunk's contact clipping.
 * Ported operation by operation in float64 so that contact points agree with the C library to
 * the last bits.
 */

/** Shape kinds in Chipmunk's order (`CP_CIRCLE_SHAPE`, `CP_SEGMENT_SHAPE`, `CP_POLY_SHAPE`). */
export const CIRCLE = 0;
export const SEGMENT = 1;
export const POLY = 2;

/** A shape in world coordinates (Chipmunk's cached `tc`, `ta`/`tb`/`tn` or `planes`). */
export interface Shape {
  readonly kind: number;
  /** Chipmunk's `hashid` (order of addition to the space). */
  readonly hashid: number;
  r: number;
  /** Bounding box l, b, r, t. */
  bbl: number;
  bbb: number;
  bbr: number;
  bbt: number;
  /** Circle centre, or segment end a. */
  ax: number;
  ay: number;
  /** Segment end b. */
  bx: number;
  by: number;
  /** Segment normal. */
  nx: number;
  ny: number;
  /** Poly planes in world coordinates: vertex v0 and normal n of the edge ending at v0. */
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  readonly pnx: Float64Array;
  readonly pny: Float64Array;
  readonly count: number;
}

export function makeShape(kind: number, hashid: number, r: number, count = 0): Shape {
  return {
    kind,
    hashid,
    r,
    bbl: 0,
    bbb: 0,
    bbr: 0,
    bbt: 0,
    ax: 0,
    ay: 0,
    bx: 0,
    by: 0,
    nx: 0,
    ny: 0,
    vx: new Float64Array(count),
    vy: new Float64Array(count),
    pnx: new Float64Array(count),
    pny: new Float64Array(count),
    count,
  };
}

const DBL_MIN = 2.2250738585072014e-308;

// Chipmunk's cpfmax/cpfmin/cpfclamp (ternaries: differ from Math.max/min on -0 and NaN).
export function fmax(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Chipmunk's ternary, not Math.max (-0, NaN)
  return a > b ? a : b;
}
export function fmin(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Chipmunk's ternary, not Math.min (-0, NaN)
  return a < b ? a : b;
}
function fclamp(f: number, lo: number, hi: number): number {
  return fmin(fmax(f, lo), hi);
}
function fclamp01(f: number): number {
  return fmax(0, fmin(f, 1));
}

/** One contact as cpCollide produces it: absolute points on each surface and a hash. */
export interface RawContact {
  r1x: number;
  r1y: number;
  r2x: number;
  r2y: number;
  hash: number;
}

/** Output of one collision test (Chipmunk's `cpCollisionInfo`). */
export interface CollisionInfo {
  nx: number;
  ny: number;
  count: number;
  readonly arr: [RawContact, RawContact];
}

export function makeCollisionInfo(): CollisionInfo {
  const c = (): RawContact => ({ r1x: 0, r1y: 0, r2x: 0, r2y: 0, hash: 0 });
  return { nx: 0, ny: 0, count: 0, arr: [c(), c()] };
}

function pushContact(
  info: CollisionInfo,
  p1x: number,
  p1y: number,
  p2x: number,
  p2y: number,
  hash: number,
): void {
  const con = info.arr[info.count]!;
  con.r1x = p1x;
  con.r1y = p1y;
  con.r2x = p2x;
  con.r2y = p2y;
  con.hash = hash;
  info.count++;
}

// Chipmunk hashes (shape hashid, vertex index) pairs with CP_HASH_PAIR, a symmetric mix; the
// solver only compares hashes for equality, so an injective symmetric code gives the same matches.
function hashPoint(hashid: number, i: number): number {
  return hashid * 4 + i + 1;
}
function hashPair(a: number, b: number): number {
  return a < b ? a * 4096 + b : b * 4096 + a;
}

// --- Support points -------------------------------------------------------------------------

interface MinkowskiPoint {
  ax: number;
  ay: number;
  bx: number;
  by: number;
  abx: number;
  aby: number;
  id: number;
}

function polySupportIndex(s: Shape, nx: number, ny: number): number {
  let max = Number.NEGATIVE_INFINITY;
  let index = 0;
  for (let i = 0; i < s.count; i++) {
    const d = s.vx[i]! * nx + s.vy[i]! * ny;
    if (d > max) {
      max = d;
      index = i;
    }
  }
  return index;
}

/** Support point of shape 1 along -n and of shape 2 (a poly) along n, as a Minkowski point. */
function support(s1: Shape, s2: Shape, nx: number, ny: number): MinkowskiPoint {
  let ax: number;
  let ay: number;
  let ia: number;
  if (s1.kind === CIRCLE) {
    ax = s1.ax;
    ay = s1.ay;
    ia = 0;
  } else {
    // SegmentSupportPoint(seg, -n)
    const mx = -nx;
    const my = -ny;
    if (s1.ax * mx + s1.ay * my > s1.bx * mx + s1.by * my) {
      ax = s1.ax;
      ay = s1.ay;
      ia = 0;
    } else {
      ax = s1.bx;
      ay = s1.by;
      ia = 1;
    }
  }
  const ib = polySupportIndex(s2, nx, ny);
  const bx = s2.vx[ib]!;
  const by = s2.vy[ib]!;
  return { ax, ay, bx, by, abx: bx - ax, aby: by - ay, id: ((ia & 0xff) << 8) | (ib & 0xff) };
}

// --- GJK / EPA --------------------------------------------------------------------------------

interface ClosestPoints {
  ax: number;
  ay: number;
  bx: number;
  by: number;
  nx: number;
  ny: number;
  d: number;
  id: number;
}

// ClosestT: t in [-1, 1] of the point of segment (a, b) closest to the origin.
function closestT(ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  return -fclamp((dx * (ax + bx) + dy * (ay + by)) / (dx * dx + dy * dy), -1, 1);
}

function closestDist(ax: number, ay: number, bx: number, by: number): number {
  const t = closestT(ax, ay, bx, by);
  const ht = 0.5 * t;
  const px = ax * (0.5 - ht) + bx * (0.5 + ht);
  const py = ay * (0.5 - ht) + by * (0.5 + ht);
  return px * px + py * py;
}

// CheckArea(v1, v2): v1 x v2 > 0, written as Chipmunk does.
function checkArea(v1x: number, v1y: number, v2x: number, v2y: number): boolean {
  return v1x * v2y > v1y * v2x;
}

function closestPointsNew(v0: MinkowskiPoint, v1: MinkowskiPoint): ClosestPoints {
  const t = closestT(v0.abx, v0.aby, v1.abx, v1.aby);
  const ht = 0.5 * t;
  const w0 = 0.5 - ht;
  const w1 = 0.5 + ht;
  const px = v0.abx * w0 + v1.abx * w1;
  const py = v0.aby * w0 + v1.aby * w1;
  const pax = v0.ax * w0 + v1.ax * w1;
  const pay = v0.ay * w0 + v1.ay * w1;
  const pbx = v0.bx * w0 + v1.bx * w1;
  const pby = v0.by * w0 + v1.by * w1;
  const id = ((v0.id & 0xffff) << 16) | (v1.id & 0xffff);
  // n = normalize(rperp(v1.ab - v0.ab))
  const dx = v1.abx - v0.abx;
  const dy = v1.aby - v0.aby;
  const rx = dy;
  const ry = -dx;
  const inv = 1 / (Math.sqrt(rx * rx + ry * ry) + DBL_MIN);
  const nx = rx * inv;
  const ny = ry * inv;
  const d = nx * px + ny * py;
  if (d <= 0 || (-1 < t && t < 1)) {
    return { ax: pax, ay: pay, bx: pbx, by: pby, nx, ny, d, id };
  }
  const d2 = Math.sqrt(px * px + py * py);
  const k = 1 / (d2 + DBL_MIN);
  return { ax: pax, ay: pay, bx: pbx, by: pby, nx: px * k, ny: py * k, d: d2, id };
}

const MAX_GJK_ITERATIONS = 30;
const MAX_EPA_ITERATIONS = 30;

function epaRecurse(
  s1: Shape,
  s2: Shape,
  count: number,
  hull: MinkowskiPoint[],
  iteration: number,
): ClosestPoints {
  let mini = 0;
  let minDist = Number.POSITIVE_INFINITY;
  for (let j = 0, i = count - 1; j < count; i = j, j++) {
    const d = closestDist(hull[i]!.abx, hull[i]!.aby, hull[j]!.abx, hull[j]!.aby);
    if (d < minDist) {
      minDist = d;
      mini = i;
    }
  }
  const v0 = hull[mini]!;
  const v1 = hull[(mini + 1) % count]!;
  // Support(ctx, perp(v1.ab - v0.ab)); cpvperp(v) = (-v.y, v.x)
  const ex = v1.abx - v0.abx;
  const ey = v1.aby - v0.aby;
  const p = support(s1, s2, -ey, ex);
  if (
    checkArea(ex, ey, p.abx - v0.abx + (p.abx - v1.abx), p.aby - v0.aby + (p.aby - v1.aby)) &&
    iteration < MAX_EPA_ITERATIONS
  ) {
    const hull2: MinkowskiPoint[] = [p];
    let count2 = 1;
    for (let i = 0; i < count; i++) {
      const index = (mini + 1 + i) % count;
      const h0 = hull2[count2 - 1]!;
      const h1 = hull[index]!;
      const h2 = i + 1 < count ? hull[(index + 1) % count]! : p;
      if (
        checkArea(
          h2.abx - h0.abx,
          h2.aby - h0.aby,
          h1.abx - h0.abx + (h1.abx - h2.abx),
          h1.aby - h0.aby + (h1.aby - h2.aby),
        )
      ) {
        hull2[count2] = h1;
        count2++;
      }
    }
    return epaRecurse(s1, s2, count2, hull2, iteration + 1);
  }
  return closestPointsNew(v0, v1);
}

function gjkRecurse(
  s1: Shape,
  s2: Shape,
  v0: MinkowskiPoint,
  v1: MinkowskiPoint,
  iteration: number,
): ClosestPoints {
  for (;;) {
    if (iteration > MAX_GJK_ITERATIONS) return closestPointsNew(v0, v1);
    const dx = v1.abx - v0.abx;
    const dy = v1.aby - v0.aby;
    if (checkArea(dx, dy, v0.abx + v1.abx, v0.aby + v1.aby)) {
      // Origin is behind the axis: flip and try again.
      const tmp = v0;
      v0 = v1;
      v1 = tmp;
      continue;
    }
    const t = closestT(v0.abx, v0.aby, v1.abx, v1.aby);
    let nx: number;
    let ny: number;
    if (-1 < t && t < 1) {
      nx = -dy;
      ny = dx;
    } else {
      const ht = 0.5 * t;
      nx = -(v0.abx * (0.5 - ht) + v1.abx * (0.5 + ht));
      ny = -(v0.aby * (0.5 - ht) + v1.aby * (0.5 + ht));
    }
    const p = support(s1, s2, nx, ny);
    if (
      checkArea(v1.abx - p.abx, v1.aby - p.aby, v1.abx + p.abx, v1.aby + p.aby) &&
      checkArea(v0.abx + p.abx, v0.aby + p.aby, v0.abx - p.abx, v0.aby - p.aby)
    ) {
      // The triangle v0, p, v1 contains the origin: EPA finds the minimum separating axis.
      return epaRecurse(s1, s2, 3, [v0, p, v1], 1);
    }
    if (p.abx * nx + p.aby * ny <= fmax(v0.abx * nx + v0.aby * ny, v1.abx * nx + v1.aby * ny)) {
      return closestPointsNew(v0, v1);
    }
    if (closestDist(v0.abx, v0.aby, p.abx, p.aby) < closestDist(p.abx, p.aby, v1.abx, v1.aby)) {
      v1 = p;
    } else {
      v0 = p;
    }
    iteration++;
  }
}

/**
 * GJK without the per-pair cached start (Chipmunk seeds it from the spatial index's pair cache;
 * for these convex shapes the closest feature, hence the result, does not depend on the start).
 */
function gjk(s1: Shape, s2: Shape): ClosestPoints {
  // axis = perp(center(bb1) - center(bb2)); cpBBCenter = lerp((l, b), (r, t), 0.5)
  const c1x = s1.bbl * (1 - 0.5) + s1.bbr * 0.5;
  const c1y = s1.bbb * (1 - 0.5) + s1.bbt * 0.5;
  const c2x = s2.bbl * (1 - 0.5) + s2.bbr * 0.5;
  const c2y = s2.bbb * (1 - 0.5) + s2.bbt * 0.5;
  const dx = c1x - c2x;
  const dy = c1y - c2y;
  const axx = -dy;
  const axy = dx;
  const v0 = support(s1, s2, axx, axy);
  const v1 = support(s1, s2, -axx, -axy);
  return gjkRecurse(s1, s2, v0, v1, 1);
}

// --- Contact clipping ---------------------------------------------------------------------------

interface Edge {
  ax: number;
  ay: number;
  ahash: number;
  bx: number;
  by: number;
  bhash: number;
  r: number;
  nx: number;
  ny: number;
}

function supportEdgeForPoly(poly: Shape, nx: number, ny: number): Edge {
  const count = poly.count;
  const i1 = polySupportIndex(poly, nx, ny);
  const i0 = (i1 - 1 + count) % count;
  const i2 = (i1 + 1) % count;
  // The edge from the support vertex to whichever neighbour's edge normal points more along n.
  const [a, b] =
    nx * poly.pnx[i1]! + ny * poly.pny[i1]! > nx * poly.pnx[i2]! + ny * poly.pny[i2]! ? [i0, i1] : [i1, i2];
  const h = poly.hashid;
  return {
    ax: poly.vx[a]!,
    ay: poly.vy[a]!,
    ahash: hashPoint(h, a),
    bx: poly.vx[b]!,
    by: poly.vy[b]!,
    bhash: hashPoint(h, b),
    r: poly.r,
    nx: poly.pnx[b]!,
    ny: poly.pny[b]!,
  };
}

function supportEdgeForSegment(seg: Shape, nx: number, ny: number): Edge {
  const h = seg.hashid;
  if (seg.nx * nx + seg.ny * ny > 0) {
    return {
      ax: seg.ax,
      ay: seg.ay,
      ahash: hashPoint(h, 0),
      bx: seg.bx,
      by: seg.by,
      bhash: hashPoint(h, 1),
      r: seg.r,
      nx: seg.nx,
      ny: seg.ny,
    };
  }
  return {
    ax: seg.bx,
    ay: seg.by,
    ahash: hashPoint(h, 1),
    bx: seg.ax,
    by: seg.ay,
    bhash: hashPoint(h, 0),
    r: seg.r,
    nx: -seg.nx,
    ny: -seg.ny,
  };
}

function contactPoints(e1: Edge, e2: Edge, points: ClosestPoints, info: CollisionInfo): void {
  const mindist = e1.r + e2.r;
  if (!(points.d <= mindist)) return;
  const nx = points.nx;
  const ny = points.ny;
  info.nx = nx;
  info.ny = ny;
  // cpvcross(p, n) = p.x*n.y - p.y*n.x
  const d_e1_a = e1.ax * ny - e1.ay * nx;
  const d_e1_b = e1.bx * ny - e1.by * nx;
  const d_e2_a = e2.ax * ny - e2.ay * nx;
  const d_e2_b = e2.bx * ny - e2.by * nx;
  const e1_denom = 1 / (d_e1_b - d_e1_a);
  const e2_denom = 1 / (d_e2_b - d_e2_a);
  {
    const t1 = fclamp01((d_e2_b - d_e1_a) * e1_denom);
    const t2 = fclamp01((d_e1_a - d_e2_a) * e2_denom);
    const p1x = nx * e1.r + (e1.ax * (1 - t1) + e1.bx * t1);
    const p1y = ny * e1.r + (e1.ay * (1 - t1) + e1.by * t1);
    const p2x = nx * -e2.r + (e2.ax * (1 - t2) + e2.bx * t2);
    const p2y = ny * -e2.r + (e2.ay * (1 - t2) + e2.by * t2);
    const dist = (p2x - p1x) * nx + (p2y - p1y) * ny;
    if (dist <= 0) pushContact(info, p1x, p1y, p2x, p2y, hashPair(e1.ahash, e2.bhash));
  }
  {
    const t1 = fclamp01((d_e2_a - d_e1_a) * e1_denom);
    const t2 = fclamp01((d_e1_b - d_e2_a) * e2_denom);
    const p1x = nx * e1.r + (e1.ax * (1 - t1) + e1.bx * t1);
    const p1y = ny * e1.r + (e1.ay * (1 - t1) + e1.by * t1);
    const p2x = nx * -e2.r + (e2.ax * (1 - t2) + e2.bx * t2);
    const p2y = ny * -e2.r + (e2.ay * (1 - t2) + e2.by * t2);
    const dist = (p2x - p1x) * nx + (p2y - p1y) * ny;
    if (dist <= 0) pushContact(info, p1x, p1y, p2x, p2y, hashPair(e1.bhash, e2.ahash));
  }
}

/** Chipmunk's CircleToPoly: one contact at most, hash 0. */
export function circleToPoly(circle: Shape, poly: Shape, info: CollisionInfo): void {
  info.count = 0;
  const points = gjk(circle, poly);
  if (points.d <= circle.r + poly.r) {
    const nx = points.nx;
    const ny = points.ny;
    info.nx = nx;
    info.ny = ny;
    pushContact(
      info,
      points.ax + nx * circle.r,
      points.ay + ny * circle.r,
      points.bx + nx * poly.r,
      points.by + ny * poly.r,
      0,
    );
  }
}

/** Chipmunk's SegmentToPoly (segments without neighbour tangents: no end-cap rejection). */
export function segmentToPoly(seg: Shape, poly: Shape, info: CollisionInfo): void {
  info.count = 0;
  const points = gjk(seg, poly);
  const nx = points.nx;
  const ny = points.ny;
  if (points.d - seg.r - poly.r <= 0) {
    contactPoints(supportEdgeForSegment(seg, nx, ny), supportEdgeForPoly(poly, -nx, -ny), points, info);
  }
}
