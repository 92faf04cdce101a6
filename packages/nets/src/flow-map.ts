import * as tf from '@tensorflow/tfjs-core';
import { jvpByDoubleVjp } from './double-vjp.js';
import { drawSeed } from './layers/module.js';
import type { ApplyOptions, InputTangent, Network } from './network.js';

/** A map value and a derivative of it (or the network output used to build it). */
export interface MapWithTangent {
  /** $X_{s,t}(x)$. */
  map: tf.Tensor3D;
  /** The requested derivative of $X_{s,t}(x)$. */
  tangent: tf.Tensor3D;
}

/** How the FlowMap computes JVPs. */
export type JvpMode = 'auto' | 'forward' | 'double-vjp';

/** Options of {@link FlowMap}. */
export interface FlowMapOptions {
  /**
   * `'forward'` uses the network's forward-mode pass (fast, exact); `'double-vjp'` the generic
   * reverse-over-reverse identity (exact, slower, the oracle); `'auto'` (default) picks forward
   * when the network has it.
   */
  jvpMode?: JvpMode;
}

/**
 * The flow map of a network f (reference `mip/flow_map.py`):
 *
 * $$
 * \begin{aligned}
 * X_{s,t}(x) &= x + (t - s)\, f(x, s, t, c) && \text{(a jump from time } s \text{ to time } t\text{)} \\
 * b_t(x) &= f(x, t, t, c) && \text{(the velocity: the map's slope at } s = t\text{)}
 * \end{aligned}
 * $$
 *
 * and its exact derivatives, per sample:
 *
 * $$
 * \partial_t X = f + (t - s)\, \partial_t f, \qquad
 * \partial_s X = -f + (t - s)\, \partial_s f, \qquad
 * J_x X \cdot v = v + (t - s)\, J_x f \cdot v.
 * $$
 *
 * Shapes: `x: [B, H, A]`, `s, t: [B]`, `cond: [B, To, E] | null`.
 */
export class FlowMap {
  readonly net: Network;
  readonly jvpMode: Exclude<JvpMode, 'auto'>;

  constructor(net: Network, { jvpMode = 'auto' }: FlowMapOptions = {}) {
    this.net = net;
    if (jvpMode === 'forward' && !net.applyWithTangent) {
      throw new Error(`jvpMode 'forward' needs a network with applyWithTangent; '${net.kind}' has none`);
    }
    this.jvpMode = jvpMode === 'auto' ? (net.applyWithTangent ? 'forward' : 'double-vjp') : jvpMode;
  }

  /** $X_{s,t}(x) = x + (t - s)\, f(x, s, t, c)$. */
  map(
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    x: tf.Tensor3D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): tf.Tensor3D {
    const opts = withCallSeed(options);
    return tf.tidy(() => jump(s, t, x, this.net.apply(x, s, t, cond, opts)));
  }

  /** b_t(x) = f(x, t, t, c). */
  velocity(t: tf.Tensor1D, x: tf.Tensor3D, cond: tf.Tensor3D | null, options?: ApplyOptions): tf.Tensor3D {
    return this.net.apply(x, t, t, cond, withCallSeed(options));
  }

  /** Both $X_{s,t}(x)$ and $f(x, s, t, c)$ from one network call. */
  mapAndVelocity(
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    x: tf.Tensor3D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): { map: tf.Tensor3D; velocity: tf.Tensor3D } {
    const opts = withCallSeed(options);
    return tf.tidy(() => {
      const f = this.net.apply(x, s, t, cond, opts);
      return { map: jump(s, t, x, f), velocity: f };
    });
  }

  /**
   * $X_{s,t}(x)$ and its directional derivative along `(dx, ds, dt)` (missing entries are zero):
   *
   * $$
   * dX = dx + (dt - ds)\, f + (t - s)\, J f \cdot (dx, ds, dt).
   * $$
   *
   * One network pass for any combination of directions: the esd residual
   * $\partial_s X + J_x X \cdot v$ is a single call with `{ s: 1, x: v }`.
   */
  jvp(
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    x: tf.Tensor3D,
    cond: tf.Tensor3D | null,
    direction: InputTangent,
    options?: ApplyOptions,
  ): MapWithTangent {
    return tf.tidy(() => {
      const { f, df } = this.netTangent(x, s, t, cond, direction, options);
      let tangent = scaleByGap(s, t, df) as tf.Tensor;
      if (direction.x) tangent = tf.add(tangent, direction.x);
      if (direction.t || direction.s) {
        const dTime =
          direction.t && direction.s
            ? tf.sub(direction.t, direction.s)
            : (direction.t ?? tf.neg(direction.s!));
        tangent = tf.add(tangent, tf.mul(tf.reshape(dTime, [-1, 1, 1]), f));
      }
      return { map: jump(s, t, x, f), tangent: tangent as tf.Tensor3D };
    });
  }

  /** $X_{s,t}(x)$ and $\partial_t X = f + (t - s)\, \partial_t f$. */
  jvpT(
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    x: tf.Tensor3D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): MapWithTangent {
    return this.jvpAlongTime('t', s, t, x, cond, options);
  }

  /** $X_{s,t}(x)$ and $\partial_s X = -f + (t - s)\, \partial_s f$. */
  jvpS(
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    x: tf.Tensor3D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): MapWithTangent {
    return this.jvpAlongTime('s', s, t, x, cond, options);
  }

  /** $X_{s,t}(x)$ and $J_x X \cdot v = v + (t - s)\, J_x f \cdot v$. */
  jvpX(
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    x: tf.Tensor3D,
    v: tf.Tensor3D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): MapWithTangent {
    return this.jvp(s, t, x, cond, { x: v }, options);
  }

  /** {@link jvp} along a unit step of one time input (`ds = 1` or `dt = 1`). */
  private jvpAlongTime(
    which: 's' | 't',
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    x: tf.Tensor3D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): MapWithTangent {
    const ones = tf.onesLike(s);
    const out = this.jvp(s, t, x, cond, { [which]: ones }, options);
    ones.dispose();
    return out;
  }

  /** f and its directional derivative along `tangent`, by the configured mode. */
  private netTangent(
    x: tf.Tensor3D,
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    cond: tf.Tensor3D | null,
    tangent: InputTangent,
    options?: ApplyOptions,
  ): { f: tf.Tensor3D; df: tf.Tensor3D } {
    // One dropout seed per call: the map and its tangent (or the double-VJP replays) share masks.
    options = withCallSeed(options);
    if (this.jvpMode === 'forward') {
      const { y, dy } = this.net.applyWithTangent!(x, s, t, cond, tangent, options);
      return { f: y, df: dy };
    }
    const f = this.net.apply(x, s, t, cond, options);
    // J f · (dx, ds, dt) = J_x f dx + J_s f ds + J_t f dt: one double-VJP per input direction.
    // Each is the partial in its argument alone, also where the caller made the other inputs from
    // it (x = I_s from s): jvpByDoubleVjp differentiates a tape copy of the argument.
    const parts: tf.Tensor[] = [];
    if (tangent.x) {
      parts.push(
        jvpByDoubleVjp((u) => this.net.apply(u as tf.Tensor3D, s, t, cond, options), x, tangent.x, f.shape),
      );
    }
    if (tangent.s) {
      parts.push(
        jvpByDoubleVjp((u) => this.net.apply(x, u as tf.Tensor1D, t, cond, options), s, tangent.s, f.shape),
      );
    }
    if (tangent.t) {
      parts.push(
        jvpByDoubleVjp((u) => this.net.apply(x, s, u as tf.Tensor1D, cond, options), t, tangent.t, f.shape),
      );
    }
    const df = (
      parts.length === 0 ? tf.zerosLike(f) : parts.length === 1 ? parts[0] : tf.addN(parts)
    ) as tf.Tensor3D;
    return { f, df };
  }
}

/**
 * In training mode without a `dropoutSeed`, draws one for this call, so every evaluation of the
 * network inside the call sees the same dropout masks (the reference's `randomness="same"`).
 */
function withCallSeed(options?: ApplyOptions): ApplyOptions | undefined {
  if (!options?.training || options.dropoutSeed !== undefined) return options;
  return { ...options, dropoutSeed: drawSeed() };
}

/** x + (t - s) f with per-sample times broadcast over [B, H, A]. */
function jump(s: tf.Tensor1D, t: tf.Tensor1D, x: tf.Tensor3D, f: tf.Tensor3D): tf.Tensor3D {
  return tf.add(x, scaleByGap(s, t, f)) as tf.Tensor3D;
}

function scaleByGap(s: tf.Tensor1D, t: tf.Tensor1D, y: tf.Tensor3D): tf.Tensor3D {
  return tf.mul(tf.reshape(tf.sub(t, s), [-1, 1, 1]), y) as tf.Tensor3D;
}
