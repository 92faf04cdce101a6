import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from '../tensor-store.js';

/** Hyper-parameters of {@link AdamW}; defaults are PyTorch's `torch.optim.AdamW` with the reference's lr / wd. */
export interface AdamWOptions {
  /** Base learning rate (reference YAML 1e-4). The trainer passes the scheduled rate to each step. */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (reference YAML 1e-5). */
  weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter) with decoupled weight decay, exactly as `torch.optim.AdamW`
 * (amsgrad off). For each parameter p with gradient g at step k = 1, 2, ...:
 *
 *   p <- p - lr * wd * p                      (decoupled decay, before the Adam update)
 *   m <- b1 m + (1 - b1) g
 *   v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)
 *
 * TF.js ships Adam only (its decay would be L2 in the gradient, which Adam rescales).
 */
export class AdamW {
  readonly variables: readonly tf.Variable[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly lr: number;
  /** Number of updates applied so far. */
  stepCount = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    variables: readonly tf.Variable[],
    { lr = 1e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 1e-5 }: AdamWOptions = {},
  ) {
    for (const [name, value] of [
      ['lr', lr],
      ['eps', eps],
      ['weightDecay', weightDecay],
    ] as const) {
      if (!(Number.isFinite(value) && value >= 0))
        throw new Error(`AdamW ${name} must be >= 0, got ${value}`);
    }
    for (const [name, value] of [
      ['beta1', beta1],
      ['beta2', beta2],
    ] as const) {
      if (!(value >= 0 && value < 1)) throw new Error(`AdamW ${name} must be in [0, 1), got ${value}`);
    }
    this.variables = variables;
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    // tf.variable shares the initial tensor's data and does not own it: made inside tidy, the
    // zeros tensor is released and the variable alone holds the data (else dispose() leaks 2x params).
    this.m = variables.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false, `${p.name}/adamw_m`)));
    this.v = variables.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false, `${p.name}/adamw_v`)));
  }

  /**
   * Applies one update with gradients `grads[i]` for `variables[i]` at learning rate `lr`. A null
   * gradient (a variable the loss does not reach) skips that variable entirely, decay included,
   * as PyTorch does for parameters whose `.grad` is None.
   */
  step(grads: readonly (tf.Tensor | null)[], lr: number = this.lr): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`AdamW got ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.stepCount += 1;
    const k = this.stepCount;
    const bc1 = 1 - this.beta1 ** k;
    const bc2 = 1 - this.beta2 ** k;
    tf.tidy(() => {
      for (let i = 0; i < this.variables.length; i++) {
        const p = this.variables[i];
        const g = grads[i];
        if (g == null) continue;
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const decayed = this.weightDecay > 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        const denom = tf.add(tf.sqrt(tf.div(v, bc2)), this.eps);
        const update = tf.div(tf.div(m, bc1), denom);
        this.m[i].assign(m);
        this.v[i].assign(v);
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
  }

  /** The optimizer state (moments as named arrays, plus the step count). */
  getState(): { stepCount: number; arrays: NamedArray[] } {
    const arrays: NamedArray[] = [];
    this.variables.forEach((p, i) => {
      arrays.push({ name: `adamw_m/${i}`, shape: p.shape, data: this.m[i].dataSync() as Float32Array });
      arrays.push({ name: `adamw_v/${i}`, shape: p.shape, data: this.v[i].dataSync() as Float32Array });
    });
    return {
      stepCount: this.stepCount,
      arrays: arrays.map((a) => ({ ...a, data: Float32Array.from(a.data) })),
    };
  }

  /** Restores what {@link getState} returned. */
  setState(stepCount: number, arrays: ReadonlyMap<string, NamedArray>): void {
    this.variables.forEach((p, i) => {
      for (const [kind, target] of [
        ['m', this.m[i]],
        ['v', this.v[i]],
      ] as const) {
        const a = arrays.get(`adamw_${kind}/${i}`);
        if (!a || a.data.length !== p.size) {
          throw new Error(`optimizer state is missing or has the wrong size for variable ${i} (${p.name})`);
        }
        const t = tf.tensor(a.data, p.shape);
        target.assign(t);
        t.dispose();
      }
    });
    this.stepCount = stepCount;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
