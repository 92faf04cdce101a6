import {
  CIRCLE,
  type CollisionInfo,
  circleToPoly,
  fmax,
  fmin,
  makeCollisionInfo,
  makeShape,
  POLY,
  SEGMENT,
  type Shape,
  segmentToPoly,
} from './collision.js';

/**
 * The scene's constants, as diffusion_policy's `pusht_env.py` builds it on pymunk 6.2 /
 * Chipmunk 7.0.3 (all Chipmunk defaults except gravity 0 and damping 0).
 */
export const PUSHT_PHYSICS = {
  /** Physics sub-step (s): 100 Hz. */
  dt: 0.01,
  /** Sub-steps per control step (10 Hz control). */
  subSteps: 10,
  /** PD gains of the agent: `acc = kp * (target - p) + kv * (0 - v)`. */
  kp: 100,
  kv: 20,
  agentRadius: 15,
  wallRadius: 2,
  /** Wall segments (a, b) in pixels. */
  walls: [
    [5, 506, 5, 5],
    [5, 5, 506, 5],
    [506, 5, 506, 506],
    [5, 506, 506, 506],
  ] as const,
  /** The T's two boxes in body coordinates (bar, stem), as passed to `pymunk.Poly`. */
  bar: [-60, 30, 60, 30, 60, 0, -60, 0] as const,
  stem: [-15, 30, -15, 120, 15, 120, 15, 30] as const,
  iterations: 10,
  /** Chipmunk's default `0.1f`: a float literal, 0.10000000149011612 as a double. */
  collisionSlop: Math.fround(0.1),
  /** Chipmunk's default `cpfpow(1.0f - 0.1f, 60.0f)`, computed from the float 0.9f. */
  collisionBias: Math.fround(1 - Math.fround(0.1)) ** 60,
  collisionPersistence: 3,
} as const;

const DBL_MIN = 2.2250738585072014e-308;

class Body {
  // Centre of gravity in world coordinates (Chipmunk's body->p), angle, velocities.
  px = 0;
  py = 0;
  a = 0;
  vx = 0;
  vy = 0;
  w = 0;
  vbx = 0;
  vby = 0;
  wb = 0;
  // Centre of gravity in body coordinates.
  cogx = 0;
  cogy = 0;
  // Transform: world = (ta*x + tc*y + tx, tb*x + td*y + ty).
  ta = 1;
  tb = 0;
  tc = -0;
  td = 1;
  tx = 0;
  ty = 0;
  constructor(
    readonly mInv: number,
    readonly iInv: number,
  ) {}

  // Chipmunk's SetTransform(body, p, a).
  setTransform(): void {
    const rx = Math.cos(this.a);
    const ry = Math.sin(this.a);
    const cx = this.cogx;
    const cy = this.cogy;
    this.ta = rx;
    this.tb = ry;
    this.tc = -ry;
    this.td = rx;
    this.tx = this.px - (cx * rx - cy * ry);
    this.ty = this.py - (cx * ry + cy * rx);
  }

  // cpBodySetPosition: p = transformVect(cog) + position.
  setPosition(x: number, y: number): void {
    this.px = this.ta * this.cogx + this.tc * this.cogy + x;
    this.py = this.tb * this.cogx + this.td * this.cogy + y;
    this.setTransform();
  }

  // cpBodySetAngle: rotates about the centre of gravity.
  setAngle(a: number): void {
    this.a = a;
    this.setTransform();
  }

  // cpBodyUpdatePosition.
  updatePosition(dt: number): void {
    this.px = this.px + (this.vx + this.vbx) * dt;
    this.py = this.py + (this.vy + this.vby) * dt;
    this.a = this.a + (this.w + this.wb) * dt;
    this.setTransform();
    this.vbx = 0;
    this.vby = 0;
    this.wb = 0;
  }
}

interface Contact {
  r1x: number;
  r1y: number;
  r2x: number;
  r2y: number;
  nMass: number;
  bias: number;
  jBias: number;
  jnAcc: number;
  bounce: number;
  hash: number;
}

function makeContact(): Contact {
  return { r1x: 0, r1y: 0, r2x: 0, r2y: 0, nMass: 0, bias: 0, jBias: 0, jnAcc: 0, bounce: 0, hash: 0 };
}

const STATE_FIRST_COLLISION = 0;
const STATE_NORMAL = 1;
const STATE_CACHED = 2;

class Arbiter {
  count = 0;
  contacts: Contact[] = [makeContact(), makeContact()];
  spare: Contact[] = [makeContact(), makeContact()];
  nx = 0;
  ny = 0;
  stamp = 0;
  state = STATE_FIRST_COLLISION;
  constructor(
    readonly a: Shape,
    readonly b: Shape,
    readonly bodyA: Body,
    readonly bodyB: Body,
  ) {}
}

/** Which pair of shapes an arbiter joins, for {@link PushTWorld.contacts}. */
export type PushTPair = 'agent-bar' | 'agent-stem' | `wall${0 | 1 | 2 | 3}-bar` | `wall${0 | 1 | 2 | 3}-stem`;

/** A solver contact as the last step left it (for tests and debugging). */
export interface PushTContact {
  pair: PushTPair;
  /** Contact normal (from the agent or wall towards the block). */
  nx: number;
  ny: number;
  /** Offsets from body A's and body B's centre of gravity. */
  r1x: number;
  r1y: number;
  r2x: number;
  r2y: number;
  /** Accumulated normal impulse. */
  jnAcc: number;
}

/**
 * The PushT scene of diffusion_policy (`pusht_env.py`) simulated with Chipmunk 7.0.3's
 * algorithm, ported to TypeScript in float64: one dynamic body (the T: two boxes, mass 1,
 * moment 2 x the bar's `moment_for_poly` = 3000, centre of gravity (0, 45) in body
 * coordinates), one kinematic circle (the agent, radius 15), four static wall segments
 * (radius 2); gravity 0, damping 0, 10 solver iterations, collision slop 0.1, bias 0.9^60,
 * contact persistence 3 steps, no friction, no restitution.
 *
 * Positions are body origins as pymunk reports them (`body.position`), not centres of gravity.
 * One {@link step} is one `cpSpaceStep(dt)`: integrate positions, detect contacts (keeping the
 * accumulated impulses of persisting contacts), pre-step, integrate velocities (damping 0 zeroes
 * the block's velocity), warm start, 10 impulse iterations, count contact points. Use
 * {@link controlStep} for one 10 Hz control step with the PD rule.
 *
 * Contacts persist between steps as in Chipmunk, so a trajectory depends on the world's history,
 * not only on the current poses. {@link clearContacts} forgets it (a fresh pymunk space).
 */
export class PushTWorld {
  private readonly staticBody = new Body(0, 0);
  private readonly agentBody = new Body(0, 0);
  private readonly blockBody: Body;
  private readonly walls: Shape[] = [];
  private readonly circle: Shape;
  private readonly bar: Shape;
  private readonly stem: Shape;
  // Local (body) planes of the two boxes, in Chipmunk's convex-hull order.
  private readonly local: { vx: Float64Array; vy: Float64Array; nx: Float64Array; ny: Float64Array }[] = [];
  private readonly pairs: { a: Shape; b: Shape; bodyA: Body; name: PushTPair }[] = [];
  private readonly cached: (Arbiter | null)[];
  private readonly active: Arbiter[] = [];
  private readonly info: CollisionInfo = makeCollisionInfo();
  private stamp = 0;
  private currDt = 0;
  private readonly biasBase = PUSHT_PHYSICS.collisionBias;

  /** Agent state: body origin = centre (px) and velocity (px/s). */
  readonly agent = { x: 256, y: 400, vx: 0, vy: 0 };
  /** Block state: body origin (px), angle (rad, not wrapped), velocities. */
  readonly block = { x: 256, y: 300, angle: 0, vx: 0, vy: 0, w: 0 };

  constructor() {
    const P = PUSHT_PHYSICS;
    // Shape hash ids in the order pusht_env.py adds them: walls, agent, bar, stem.
    P.walls.forEach(([ax, ay, bx, by], i) => {
      const s = makeShape(SEGMENT, i, P.wallRadius);
      // cpSegmentShapeInit: n = rperp(normalize(b - a)); the static body's transform is identity.
      const dx = bx - ax;
      const dy = by - ay;
      const inv = 1 / (Math.sqrt(dx * dx + dy * dy) + DBL_MIN);
      const ux = dx * inv;
      const uy = dy * inv;
      s.ax = ax;
      s.ay = ay;
      s.bx = bx;
      s.by = by;
      s.nx = uy;
      s.ny = -ux;
      const r = s.r;
      s.bbl = fmin(ax, bx) - r;
      s.bbr = fmax(ax, bx) + r;
      s.bbb = fmin(ay, by) - r;
      s.bbt = fmax(ay, by) + r;
      this.walls.push(s);
    });
    this.circle = makeShape(CIRCLE, 4, P.agentRadius);
    this.bar = makeShape(POLY, 5, 0, 4);
    this.stem = makeShape(POLY, 6, 0, 4);

    const cogs: [number, number][] = [];
    for (const verts of [P.bar, P.stem]) {
      const hull = convexHull4(verts);
      const vx = new Float64Array(4);
      const vy = new Float64Array(4);
      const nx = new Float64Array(4);
      const ny = new Float64Array(4);
      for (let i = 0; i < 4; i++) {
        const j = (i + 3) % 4;
        const ax = hull[2 * j]!;
        const ay = hull[2 * j + 1]!;
        const bx = hull[2 * i]!;
        const by = hull[2 * i + 1]!;
        // n = normalize(rperp(b - a))
        const rx = by - ay;
        const ry = -(bx - ax);
        const inv = 1 / (Math.sqrt(rx * rx + ry * ry) + DBL_MIN);
        vx[i] = bx;
        vy[i] = by;
        nx[i] = rx * inv;
        ny[i] = ry * inv;
      }
      this.local.push({ vx, vy, nx, ny });
      cogs.push(centroidForPoly(hull));
    }
    const moment = momentForPoly(1, P.bar) + momentForPoly(1, P.bar);
    const block = new Body(1 / 1, 1 / moment);
    block.cogx = (cogs[0]![0] + cogs[1]![0]) / 2;
    block.cogy = (cogs[0]![1] + cogs[1]![1]) / 2;
    this.blockBody = block;
    block.setPosition(256, 300);
    block.setAngle(0);
    this.agentBody.setPosition(256, 400);

    this.pairs.push({ a: this.circle, b: this.bar, bodyA: this.agentBody, name: 'agent-bar' });
    this.pairs.push({ a: this.circle, b: this.stem, bodyA: this.agentBody, name: 'agent-stem' });
    this.walls.forEach((w, i) => {
      this.pairs.push({ a: w, b: this.bar, bodyA: this.staticBody, name: `wall${i as 0}-bar` });
      this.pairs.push({ a: w, b: this.stem, bodyA: this.staticBody, name: `wall${i as 0}-stem` });
    });
    this.cached = this.pairs.map(() => null);
    this.updateShapes();
    this.sync();
  }

  /** Moment of inertia of the T (2 x moment_for_poly of the bar, as in pusht_env.py). */
  get moment(): number {
    return 1 / this.blockBody.iInv;
  }

  /** Centre of gravity of the T in body coordinates. */
  get centerOfGravity(): [number, number] {
    return [this.blockBody.cogx, this.blockBody.cogy];
  }

  /** Sets the agent's position (pymunk `agent.position`) and velocity. */
  setAgent(x: number, y: number, vx = 0, vy = 0): void {
    this.agentBody.setPosition(x, y);
    this.agentBody.vx = vx;
    this.agentBody.vy = vy;
    this.sync();
  }

  /** Sets the agent's velocity only (pymunk `agent.velocity`). */
  setAgentVelocity(vx: number, vy: number): void {
    this.agentBody.vx = vx;
    this.agentBody.vy = vy;
    this.sync();
  }

  /**
   * Sets the block pose with pymunk's setters: `'legacy'` sets `position` then `angle`,
   * `'angle-first'` sets `angle` then `position` (the order the demonstrations were recorded
   * with). Setting the angle rotates about the centre of gravity, so with `'legacy'` the
   * origin ends up elsewhere than `(x, y)`; with `'angle-first'` it is exactly `(x, y)`.
   */
  setBlockPose(x: number, y: number, angle: number, order: 'legacy' | 'angle-first'): void {
    const b = this.blockBody;
    if (order === 'legacy') {
      b.setPosition(x, y);
      b.setAngle(angle);
    } else {
      b.setAngle(angle);
      b.setPosition(x, y);
    }
    this.sync();
  }

  /** Sets the block's velocity (of its centre of gravity) and angular velocity. */
  setBlockVelocity(vx: number, vy: number, w: number): void {
    const b = this.blockBody;
    b.vx = vx;
    b.vy = vy;
    b.w = w;
    this.sync();
  }

  /**
   * Forgets persisted contacts, accumulated impulses and the bias velocities the last solve left
   * on the bodies (Chipmunk's `v_bias`, `w_bias`, integrated at the next step): the state of a
   * fresh pymunk space. Velocities are kept; set them with {@link setBlockVelocity} /
   * {@link setAgent}.
   */
  clearContacts(): void {
    for (const b of [this.agentBody, this.blockBody]) {
      b.vbx = 0;
      b.vby = 0;
      b.wb = 0;
    }
    this.cached.fill(null);
    this.active.length = 0;
    this.stamp = 0;
    this.currDt = 0;
  }

  /** The contacts the solver used in the last step, in solver order. */
  contacts(): PushTContact[] {
    const out: PushTContact[] = [];
    for (const arb of this.active) {
      const name = this.pairs[this.cached.indexOf(arb)]!.name;
      for (let i = 0; i < arb.count; i++) {
        const c = arb.contacts[i]!;
        out.push({
          pair: name,
          nx: arb.nx,
          ny: arb.ny,
          r1x: c.r1x,
          r1y: c.r1y,
          r2x: c.r2x,
          r2y: c.r2y,
          jnAcc: c.jnAcc,
        });
      }
    }
    return out;
  }

  /**
   * One `cpSpaceStep(dt)`. Returns the number of contact points the post-solve callback counts
   * (pusht_env.py sums these over the 10 sub-steps of a control step).
   */
  step(dt: number): number {
    if (dt === 0) return 0;
    this.stamp++;
    const prevDt = this.currDt;
    this.currDt = dt;
    const active = this.active;
    for (const arb of active) arb.state = STATE_NORMAL;
    active.length = 0;

    // Integrate positions (the space's dynamic bodies in the order added: agent, block).
    this.agentBody.updatePosition(dt);
    this.blockBody.updatePosition(dt);
    this.updateShapes();

    // Find colliding pairs.
    const info = this.info;
    const pairs = this.pairs;
    const cached = this.cached;
    for (let k = 0; k < pairs.length; k++) {
      const pair = pairs[k]!;
      const a = pair.a;
      const b = pair.b;
      if (!(a.bbl <= b.bbr && b.bbl <= a.bbr && a.bbb <= b.bbt && b.bbb <= a.bbt)) continue;
      if (a.kind === CIRCLE) circleToPoly(a, b, info);
      else segmentToPoly(a, b, info);
      if (info.count === 0) continue;
      let arb = cached[k];
      if (!arb) {
        arb = new Arbiter(a, b, pair.bodyA, this.blockBody);
        cached[k] = arb;
      }
      this.updateArbiter(arb, info);
      active.push(arb);
      arb.stamp = this.stamp;
    }

    // Drop arbiters unused for collisionPersistence steps.
    for (let k = 0; k < cached.length; k++) {
      const arb = cached[k];
      if (!arb) continue;
      const ticks = this.stamp - arb.stamp;
      if (ticks >= 1 && arb.state !== STATE_CACHED) arb.state = STATE_CACHED;
      if (ticks >= PUSHT_PHYSICS.collisionPersistence) cached[k] = null;
    }

    // Pre-step.
    const slop = PUSHT_PHYSICS.collisionSlop;
    const biasCoef = 1 - this.biasBase ** dt;
    for (const arb of active) preStep(arb, dt, slop, biasCoef);

    // Integrate velocities: the agent is kinematic; damping 0 (0^dt = 0) zeroes the block.
    const damping = 0 ** dt;
    const blk = this.blockBody;
    blk.vx = blk.vx * damping + (0 + 0 * blk.mInv) * dt;
    blk.vy = blk.vy * damping + (0 + 0 * blk.mInv) * dt;
    blk.w = blk.w * damping + 0 * blk.iInv * dt;

    // Warm start.
    const dtCoef = prevDt === 0 ? 0 : dt / prevDt;
    for (const arb of active) applyCachedImpulse(arb, dtCoef);

    // Solver iterations.
    for (let i = 0; i < PUSHT_PHYSICS.iterations; i++) {
      for (let j = 0; j < active.length; j++) applyImpulse(active[j]!);
    }

    let n = 0;
    for (const arb of active) n += arb.count;
    this.sync();
    return n;
  }

  private updateArbiter(arb: Arbiter, info: CollisionInfo): void {
    const old = arb.contacts;
    const fresh = arb.spare;
    const pa = arb.bodyA;
    const pb = arb.bodyB;
    for (let i = 0; i < info.count; i++) {
      const src = info.arr[i]!;
      const con = fresh[i]!;
      con.r1x = src.r1x - pa.px;
      con.r1y = src.r1y - pa.py;
      con.r2x = src.r2x - pb.px;
      con.r2y = src.r2y - pb.py;
      con.hash = src.hash;
      con.jnAcc = 0;
      for (let j = 0; j < arb.count; j++) {
        if (con.hash === old[j]!.hash) con.jnAcc = old[j]!.jnAcc;
      }
    }
    arb.spare = old;
    arb.contacts = fresh;
    arb.count = info.count;
    arb.nx = info.nx;
    arb.ny = info.ny;
    if (arb.state === STATE_CACHED) arb.state = STATE_FIRST_COLLISION;
  }

  private updateShapes(): void {
    const ag = this.agentBody;
    const c = this.circle;
    // cpCircleShapeCacheData: tc = transformPoint(offset 0).
    c.ax = ag.ta * 0 + ag.tc * 0 + ag.tx;
    c.ay = ag.tb * 0 + ag.td * 0 + ag.ty;
    c.bbl = c.ax - c.r;
    c.bbb = c.ay - c.r;
    c.bbr = c.ax + c.r;
    c.bbt = c.ay + c.r;
    const b = this.blockBody;
    for (let k = 0; k < 2; k++) {
      const s = k === 0 ? this.bar : this.stem;
      const src = this.local[k]!;
      let l = Number.POSITIVE_INFINITY;
      let r = Number.NEGATIVE_INFINITY;
      let bot = Number.POSITIVE_INFINITY;
      let t = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < 4; i++) {
        const x = src.vx[i]!;
        const y = src.vy[i]!;
        const vx = b.ta * x + b.tc * y + b.tx;
        const vy = b.tb * x + b.td * y + b.ty;
        const nx = src.nx[i]!;
        const ny = src.ny[i]!;
        s.vx[i] = vx;
        s.vy[i] = vy;
        s.pnx[i] = b.ta * nx + b.tc * ny;
        s.pny[i] = b.tb * nx + b.td * ny;
        l = fmin(l, vx);
        r = fmax(r, vx);
        bot = fmin(bot, vy);
        t = fmax(t, vy);
      }
      const rad = s.r;
      s.bbl = l - rad;
      s.bbb = bot - rad;
      s.bbr = r + rad;
      s.bbt = t + rad;
    }
  }

  private sync(): void {
    const ag = this.agentBody;
    this.agent.x = ag.tx;
    this.agent.y = ag.ty;
    this.agent.vx = ag.vx;
    this.agent.vy = ag.vy;
    const b = this.blockBody;
    this.block.x = b.tx;
    this.block.y = b.ty;
    this.block.angle = b.a;
    this.block.vx = b.vx;
    this.block.vy = b.vy;
    this.block.w = b.w;
  }
}

function preStep(arb: Arbiter, dt: number, slop: number, bias: number): void {
  const a = arb.bodyA;
  const b = arb.bodyB;
  const nx = arb.nx;
  const ny = arb.ny;
  const bdx = b.px - a.px;
  const bdy = b.py - a.py;
  for (let i = 0; i < arb.count; i++) {
    const con = arb.contacts[i]!;
    // k_scalar: sum over both bodies of m_inv + i_inv * (r x n)^2
    const rcn1 = con.r1x * ny - con.r1y * nx;
    const rcn2 = con.r2x * ny - con.r2y * nx;
    const k = a.mInv + a.iInv * rcn1 * rcn1 + (b.mInv + b.iInv * rcn2 * rcn2);
    con.nMass = 1 / k;
    const dist = (con.r2x - con.r1x + bdx) * nx + (con.r2y - con.r1y + bdy) * ny;
    con.bias = (-bias * fmin(0, dist + slop)) / dt;
    con.jBias = 0;
    // bounce = normal relative velocity * e (e = 0)
    const vrx = b.vx + -con.r2y * b.w - (a.vx + -con.r1y * a.w);
    const vry = b.vy + con.r2x * b.w - (a.vy + con.r1x * a.w);
    con.bounce = (vrx * nx + vry * ny) * 0;
  }
}

function applyCachedImpulse(arb: Arbiter, dtCoef: number): void {
  if (arb.state === STATE_FIRST_COLLISION) return;
  const a = arb.bodyA;
  const b = arb.bodyB;
  for (let i = 0; i < arb.count; i++) {
    const con = arb.contacts[i]!;
    // j = rotate(n, (jnAcc, jtAcc = 0)) * dt_coef
    const jx = (arb.nx * con.jnAcc - arb.ny * 0) * dtCoef;
    const jy = (arb.nx * 0 + arb.ny * con.jnAcc) * dtCoef;
    applyImpulses(a, b, con.r1x, con.r1y, con.r2x, con.r2y, jx, jy);
  }
}

function applyImpulses(
  a: Body,
  b: Body,
  r1x: number,
  r1y: number,
  r2x: number,
  r2y: number,
  jx: number,
  jy: number,
): void {
  a.vx = a.vx + -jx * a.mInv;
  a.vy = a.vy + -jy * a.mInv;
  a.w += a.iInv * (r1x * -jy - r1y * -jx);
  b.vx = b.vx + jx * b.mInv;
  b.vy = b.vy + jy * b.mInv;
  b.w += b.iInv * (r2x * jy - r2y * jx);
}

function applyImpulse(arb: Arbiter): void {
  const a = arb.bodyA;
  const b = arb.bodyB;
  const nx = arb.nx;
  const ny = arb.ny;
  for (let i = 0; i < arb.count; i++) {
    const con = arb.contacts[i]!;
    const nMass = con.nMass;
    const r1x = con.r1x;
    const r1y = con.r1y;
    const r2x = con.r2x;
    const r2y = con.r2y;
    // vb = v_bias + perp(r) * w_bias; perp(r) = (-r.y, r.x)
    const vb1x = a.vbx + -r1y * a.wb;
    const vb1y = a.vby + r1x * a.wb;
    const vb2x = b.vbx + -r2y * b.wb;
    const vb2y = b.vby + r2x * b.wb;
    const vrx = b.vx + -r2y * b.w - (a.vx + -r1y * a.w);
    const vry = b.vy + r2x * b.w - (a.vy + r1x * a.w);
    const vbn = (vb2x - vb1x) * nx + (vb2y - vb1y) * ny;
    const vrn = vrx * nx + vry * ny;

    const jbn = (con.bias - vbn) * nMass;
    const jbnOld = con.jBias;
    con.jBias = fmax(jbnOld + jbn, 0);

    const jn = -(con.bounce + vrn) * nMass;
    const jnOld = con.jnAcc;
    con.jnAcc = fmax(jnOld + jn, 0);

    // Bias impulse n * (jBias - jbnOld) on the bias velocities.
    const dbj = con.jBias - jbnOld;
    const bjx = nx * dbj;
    const bjy = ny * dbj;
    a.vbx = a.vbx + -bjx * a.mInv;
    a.vby = a.vby + -bjy * a.mInv;
    a.wb += a.iInv * (r1x * -bjy - r1y * -bjx);
    b.vbx = b.vbx + bjx * b.mInv;
    b.vby = b.vby + bjy * b.mInv;
    b.wb += b.iInv * (r2x * bjy - r2y * bjx);

    // Normal impulse (friction is 0, so the tangential part is 0).
    const djn = con.jnAcc - jnOld;
    applyImpulses(a, b, r1x, r1y, r2x, r2y, nx * djn, ny * djn);
  }
}

/**
 * Chipmunk's cpConvexHull for a 4-vertex convex input with tolerance 0: counter-clockwise,
 * starting at the lowest-x (then lowest-y) vertex. The boxes here are axis-aligned rectangles.
 */
function convexHull4(v: readonly number[]): number[] {
  const n = v.length / 2;
  let start = 0;
  for (let i = 1; i < n; i++) {
    const x = v[2 * i]!;
    const y = v[2 * i + 1]!;
    if (x < v[2 * start]! || (x === v[2 * start]! && y < v[2 * start + 1]!)) start = i;
  }
  // Orientation of the input: reverse clockwise input.
  let area = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    area += v[2 * i]! * v[2 * j + 1]! - v[2 * i + 1]! * v[2 * j]!;
  }
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = area > 0 ? (start + k) % n : (start - k + n) % n;
    out.push(v[2 * i]!, v[2 * i + 1]!);
  }
  return out;
}

// cpCentroidForPoly
function centroidForPoly(v: readonly number[]): [number, number] {
  const n = v.length / 2;
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const x1 = v[2 * i]!;
    const y1 = v[2 * i + 1]!;
    const x2 = v[2 * j]!;
    const y2 = v[2 * j + 1]!;
    const cross = x1 * y2 - y1 * x2;
    sum += cross;
    sx = sx + (x1 + x2) * cross;
    sy = sy + (y1 + y2) * cross;
  }
  const k = 1 / (3 * sum);
  return [sx * k, sy * k];
}

// cpMomentForPoly with offset 0 and radius 0 (about the body origin).
function momentForPoly(m: number, v: readonly number[]): number {
  const n = v.length / 2;
  let sum1 = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const x1 = v[2 * i]! + 0;
    const y1 = v[2 * i + 1]! + 0;
    const x2 = v[2 * j]! + 0;
    const y2 = v[2 * j + 1]! + 0;
    const a = x2 * y1 - y2 * x1;
    const b = x1 * x1 + y1 * y1 + (x1 * x2 + y1 * y2) + (x2 * x2 + y2 * y2);
    sum1 += a * b;
    sum2 += a;
  }
  return (m * sum1) / (6 * sum2);
}

/**
 * One control step of pusht_env.py: 10 sub-steps of the PD rule
 * `v += (kp * (target - p) + kv * (0 - v)) * dt` followed by {@link PushTWorld.step}(0.01).
 * Returns the contact points summed over the sub-steps (pusht's `n_contact_points`; its
 * `info.n_contacts` is `ceil(sum / 10)`).
 */
export function controlStep(world: PushTWorld, targetX: number, targetY: number): number {
  const P = PUSHT_PHYSICS;
  let n = 0;
  const ag = world.agent;
  for (let i = 0; i < P.subSteps; i++) {
    const accx = P.kp * (targetX - ag.x) + P.kv * (0 - ag.vx);
    const accy = P.kp * (targetY - ag.y) + P.kv * (0 - ag.vy);
    world.setAgentVelocity(ag.vx + accx * P.dt, ag.vy + accy * P.dt);
    n += world.step(P.dt);
  }
  return n;
}
