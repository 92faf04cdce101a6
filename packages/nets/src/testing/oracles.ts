/**
 * Networks whose outputs are known in closed form, for testing losses and samplers against
 * independent truth rather than against their own output: a linear net computable by hand, a
 * linear net with one weight set per call (isolates each branch of a loss for stop-gradient
 * tests), and the exact flow maps of a point mass and of a Gaussian target under the linear
 * interpolant. Exported as `@mipjs/nets/testing`, so algorithm packages can test their losses the
 * same way the built-in ones are tested.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ApplyOptions, InputTangent, Network, OutputWithTangent } from '../network.js';

let counter = 0;
// TF.js variable names are global per process: prefix them so they never collide with a user's.
const uniqueName = (base: string) => `mipjs-testing/${base}_${counter++}`;

/** Shared plumbing of the test networks (cond ignored, To = 1, E = 1). */
export abstract class TinyNet implements Network {
  abstract readonly kind: string;
  readonly config = {};
  readonly obsSteps = 1;
  readonly condDim = 1;
  abstract readonly variables: tf.Variable[];
  applyWithTangent?: Network['applyWithTangent'];
  constructor(
    readonly horizon: number,
    readonly actDim: number,
  ) {}
  abstract apply(
    x: tf.Tensor3D,
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): tf.Tensor3D;
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

const col = (v: tf.Tensor1D) => tf.reshape(v, [-1, 1, 1]);

/** Weights of {@link LinearNet}: f(x, s, t) = w x + a s + b t + c0 (elementwise; cond ignored). */
export interface LinearWeights {
  w: number;
  a: number;
  b: number;
  c0: number;
}

/**
 * f(x, s, t, c) = w x + a s + b t + c0 with scalar tf.variables: every loss is a closed form in
 * plain doubles. `tangent: true` adds the exact forward-mode pass (dy = w dx + a ds + b dt).
 */
export class LinearNet extends TinyNet {
  readonly kind = 'linear-test';
  readonly w: tf.Variable;
  readonly a: tf.Variable;
  readonly b: tf.Variable;
  readonly c0: tf.Variable;
  readonly variables: tf.Variable[];
  calls = 0;

  constructor(
    readonly weights: LinearWeights,
    { horizon = 2, actDim = 2, tangent = false } = {},
  ) {
    super(horizon, actDim);
    this.w = tf.variable(tf.scalar(weights.w), true, uniqueName('w'));
    this.a = tf.variable(tf.scalar(weights.a), true, uniqueName('a'));
    this.b = tf.variable(tf.scalar(weights.b), true, uniqueName('b'));
    this.c0 = tf.variable(tf.scalar(weights.c0), true, uniqueName('c0'));
    this.variables = [this.w, this.a, this.b, this.c0];
    if (tangent) {
      this.applyWithTangent = (x, s, t, cond, tan: InputTangent): OutputWithTangent =>
        tf.tidy(() => {
          const y = this.apply(x, s, t, cond);
          let dy = tf.zerosLike(x) as tf.Tensor;
          if (tan.x) dy = tf.add(dy, tf.mul(this.w, tan.x));
          if (tan.s) dy = tf.add(dy, tf.mul(this.a, col(tan.s)));
          if (tan.t) dy = tf.add(dy, tf.mul(this.b, col(tan.t)));
          return { y, dy: dy as tf.Tensor3D };
        });
    }
  }

  apply(x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, _cond?: tf.Tensor3D | null): tf.Tensor3D {
    this.calls++;
    return tf.tidy(() =>
      tf.add(tf.add(tf.mul(this.w, x), tf.mul(this.a, col(s))), tf.add(tf.mul(this.b, col(t)), this.c0)),
    ) as tf.Tensor3D;
  }
}

/**
 * A linear net with a separate weight set per call (call k uses set k mod K): the gradient
 * w.r.t. set k is the gradient through the k-th network evaluation of a loss, which isolates
 * each branch for the stop-gradient tests. Always has an exact forward-mode pass, so a JVP is
 * one call.
 */
export class TaggedLinearNet extends TinyNet {
  readonly kind = 'tagged-test';
  readonly sets: tf.Variable[][];
  readonly variables: tf.Variable[];
  private call = 0;

  constructor(count: number, { horizon = 2, actDim = 2 } = {}) {
    super(horizon, actDim);
    this.sets = Array.from({ length: count }, (_, k) =>
      [0.6 + 0.05 * k, -0.3 + 0.1 * k, 0.4 - 0.07 * k, 0.2 + 0.03 * k].map((v, j) =>
        tf.variable(tf.scalar(v), true, uniqueName(`set${k}_${j}`)),
      ),
    );
    this.variables = this.sets.flat();
    this.applyWithTangent = (x, s, t, _cond, tan: InputTangent): OutputWithTangent =>
      tf.tidy(() => {
        const set = this.next();
        const [w, a, b] = set;
        const y = this.eval(x, s, t, set);
        let dy = tf.zerosLike(x) as tf.Tensor;
        if (tan.x) dy = tf.add(dy, tf.mul(w, tan.x));
        if (tan.s) dy = tf.add(dy, tf.mul(a, col(tan.s)));
        if (tan.t) dy = tf.add(dy, tf.mul(b, col(tan.t)));
        return { y, dy: dy as tf.Tensor3D };
      });
  }

  reset(): void {
    this.call = 0;
  }

  get calls(): number {
    return this.call;
  }

  private next(): tf.Variable[] {
    return this.sets[this.call++ % this.sets.length];
  }

  private eval(x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, [w, a, b, c0]: tf.Variable[]): tf.Tensor3D {
    return tf.tidy(() =>
      tf.add(tf.add(tf.mul(w, x), tf.mul(a, col(s))), tf.add(tf.mul(b, col(t)), c0)),
    ) as tf.Tensor3D;
  }

  apply(x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, _cond?: tf.Tensor3D | null): tf.Tensor3D {
    return this.eval(x, s, t, this.next());
  }
}

/**
 * The exact flow map of a point-mass target a* under the linear interpolant:
 * b_t(x) = (a* - x)/(1 - t), X_{s,t}(x) = x + (t - s)(a* - x)/(1 - s), so f(x, s, t) = (a* - x)/(1 - s).
 * `eps` perturbs it: f + eps (t x + s) (a variable, 0 = the exact oracle). `tangent: true` adds the
 * exact forward-mode pass; without it the FlowMap uses double-VJP.
 */
export class PointMassOracle extends TinyNet {
  readonly kind = 'point-mass-test';
  readonly target: tf.Tensor3D;
  readonly eps: tf.Variable;
  readonly variables: tf.Variable[];

  constructor(target: number[][], { eps = 0, tangent = false } = {}) {
    super(target.length, target[0].length);
    this.target = tf.tensor3d([target]);
    this.eps = tf.variable(tf.scalar(eps), true, uniqueName('eps'));
    this.variables = [this.eps];
    if (tangent) {
      this.applyWithTangent = (x, s, t, cond, tan: InputTangent): OutputWithTangent =>
        tf.tidy(() => {
          const y = this.apply(x, s, t, cond);
          const oneMinusS = tf.sub(1, col(s));
          let dy = tf.zerosLike(x) as tf.Tensor;
          if (tan.x)
            dy = tf.add(
              dy,
              tf.add(tf.div(tf.neg(tan.x), oneMinusS), tf.mul(this.eps, tf.mul(col(t), tan.x))),
            );
          if (tan.s) {
            const ds = col(tan.s);
            dy = tf.add(
              dy,
              tf.mul(ds, tf.add(tf.div(tf.sub(this.target, x), tf.square(oneMinusS)), this.eps)),
            );
          }
          if (tan.t) dy = tf.add(dy, tf.mul(this.eps, tf.mul(col(tan.t), x)));
          return { y, dy: dy as tf.Tensor3D };
        });
    }
  }

  apply(x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, _cond?: tf.Tensor3D | null): tf.Tensor3D {
    return tf.tidy(() => {
      const exact = tf.div(tf.sub(this.target, x), tf.sub(1, col(s)));
      return tf.add(exact, tf.mul(this.eps, tf.add(tf.mul(col(t), x), col(s))));
    }) as tf.Tensor3D;
  }

  override dispose(): void {
    super.dispose();
    this.target.dispose();
  }
}

/**
 * The exact flow map from N(0, 1) to N(m, sigma^2) (each coordinate independent) under the linear
 * interpolant: mu_t = t m, sigma_t^2 = (1 - t)^2 + sigma^2 t^2, X_{s,t}(x) = mu_t + (sigma_t/sigma_s)(x - mu_s),
 * so f = (X - x)/(t - s) = m + [(t + s - 2) + sigma^2 (t + s)] / (sigma_s (sigma_s + sigma_t)) (x - s m),
 * smooth at s = t where it is the velocity b_t(x) = m + (sigma^2 t - (1 - t))/sigma_t^2 (x - t m).
 * No forward-mode pass (JVPs by double-VJP).
 */
export class GaussianOracle extends TinyNet {
  readonly kind = 'gaussian-test';
  readonly variables: tf.Variable[] = [];

  constructor(
    readonly m: number,
    readonly sigma: number,
    { horizon = 1, actDim = 1 } = {},
  ) {
    super(horizon, actDim);
  }

  std(t: tf.Tensor): tf.Tensor {
    const s2 = this.sigma * this.sigma;
    return tf.sqrt(tf.add(tf.square(tf.sub(1, t)), tf.mul(s2, tf.square(t))));
  }

  apply(x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, _cond?: tf.Tensor3D | null): tf.Tensor3D {
    return tf.tidy(() => {
      const sb = col(s);
      const tb = col(t);
      const s2 = this.sigma * this.sigma;
      const sum = tf.add(sb, tb);
      const num = tf.add(tf.sub(sum, 2), tf.mul(s2, sum));
      const den = tf.mul(this.std(sb), tf.add(this.std(sb), this.std(tb)));
      return tf.add(this.m, tf.mul(tf.div(num, den), tf.sub(x, tf.mul(sb, this.m))));
    }) as tf.Tensor3D;
  }
}
