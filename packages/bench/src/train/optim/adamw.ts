import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from '../tensor-store.js';
import { ADAMW_KERNEL, type AdamWScalars, registerAdamWKernel } from './adamw-kernel.js';

/** Hyper-parameters of {@link AdamW}; defaults are PyTorch's `torch.optim.AdamW` with the reference's lr / wd. */
export interface AdamWOptions {
  /** Base learning rate (reference YAML 1e-4). The trainer passes the scheduled rate to each step. */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (reference YAML 1e-5). */
  weightDecay?: number;
  /**
   * One fused kernel per variable on wasm and cpu (default true); false updates op by op, as
   * on the other backends.
   */
  fused?: boolean;
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
  readonly fused: boolean;
  /** Number of updates applied so far. */
  stepCount = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    variables: readonly tf.Variable[],
    {
      lr = 1e-4,
      beta1 = 0.9,
      beta2 = 0.999,
      eps = 1e-8,
      weightDecay = 1e-5,
      fused = true,
    }: AdamWOptions = {},
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
    this.fused = fused;
    if (fused) registerAdamWKernel();
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
   * Applies one update with gradients `gradScale * grads[i]` for `variables[i]` at learning rate
   * `lr`. A null gradient (a variable the loss does not reach) skips that variable entirely,
   * decay included, as PyTorch does for parameters whose `.grad` is None. On wasm and cpu the
   * update is one fused kernel per variable (`adamwUpdate` in adamw-kernel.ts); elsewhere op by op.
   */
  step(grads: readonly (tf.Tensor | null)[], lr: number = this.lr, gradScale = 1): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`AdamW got ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.stepCount += 1;
    const k = this.stepCount;
    const bc1 = 1 - this.beta1 ** k;
    const bc2 = 1 - this.beta2 ** k;
    if (this.fused && tf.getKernel(ADAMW_KERNEL, tf.getBackend())) {
      const scalars: AdamWScalars = {
        lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        decay: 1 - lr * this.weightDecay,
        bc1,
        bc2,
        gradScale,
      };
      for (let i = 0; i < this.variables.length; i++) {
        const g = grads[i];
        if (g == null) continue;
        const p = this.variables[i];
        const [p2, m2, v2] = tf
          .engine()
          .runKernel(
            ADAMW_KERNEL,
            { p, m: this.m[i], v: this.v[i], g },
            scalars as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
        this.m[i].assign(m2);
        this.v[i].assign(v2);
        p.assign(p2);
        tf.dispose([p2, m2, v2]);
      }
      return;
    }
    tf.tidy(() => {
      for (let i = 0; i < this.variables.length; i++) {
        const p = this.variables[i];
        const g0 = grads[i];
        if (g0 == null) continue;
        const g = gradScale === 1 ? g0 : tf.mul(g0, gradScale);
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

  /**
   * The optimizer state (moments as named arrays, plus the step count), read with `await data()`
   * so that it works on backends without synchronous reads (WebGPU in Node).
   */
  async getState(): Promise<{ stepCount: number; arrays: NamedArray[] }> {
    const stepCount = this.stepCount;
    const moments = await Promise.all(this.variables.flatMap((_, i) => [this.m[i].data(), this.v[i].data()]));
    const arrays: NamedArray[] = this.variables.flatMap((p, i) => [
      { name: `adamw_m/${i}`, shape: p.shape, data: Float32Array.from(moments[2 * i] as Float32Array) },
      { name: `adamw_v/${i}`, shape: p.shape, data: Float32Array.from(moments[2 * i + 1] as Float32Array) },
    ]);
    return { stepCount, arrays };
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
