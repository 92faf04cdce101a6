import * as tf from '@tensorflow/tfjs-core';
import { normalizeDual } from './layer-norm.js';
import type { Dual, VariableScope } from './module.js';

/** The reference's `GroupNorm1d(dim, 8, 4)` group count: `min(8, dim // 4)` (at least 1). */
export function defaultGroupCount(channels: number, maxGroups = 8, minChannelsPerGroup = 4): number {
  return Math.max(1, Math.min(maxGroups, Math.floor(channels / minChannelsPerGroup)));
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  /** Number of groups (default {@link defaultGroupCount}); must divide the channel count. */
  groups?: number;
  /** Variance epsilon (default 1e-5). */
  eps?: number;
  /** Per-channel `gamma` (ones) and `beta` (zeros); default true. */
  affine?: boolean;
}

/**
 * Group normalisation of a channels-last sequence `x: [B, L, C]` (PyTorch `nn.GroupNorm` on
 * `[B, C, L]`): channels split into G groups of C/G; each (sample, group) is normalised over its
 * L x C/G values, then a per-channel affine map.
 *
 * Dual: the layer-norm formula ({@link normalizeDual}) over the group's axes, then `dy = gamma dxhat`.
 */
export class GroupNorm {
  readonly channels: number;
  readonly groups: number;
  readonly eps: number;
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;

  constructor(scope: VariableScope, channels: number, options: GroupNormOptions = {}) {
    this.channels = channels;
    this.groups = options.groups ?? defaultGroupCount(channels);
    if (channels % this.groups !== 0) {
      throw new Error(`GroupNorm: ${this.groups} groups do not divide ${channels} channels`);
    }
    this.eps = options.eps ?? 1e-5;
    if (options.affine ?? true) {
      this.gamma = scope.variable('gamma', tf.ones([channels]));
      this.beta = scope.variable('beta', tf.zeros([channels]));
    } else {
      this.gamma = null;
      this.beta = null;
    }
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.affine(this.normalize(x, null).xhat));
  }

  applyDual(x: tf.Tensor, dx: tf.Tensor): Dual {
    return tf.tidy(() => {
      const { xhat, dxhat } = this.normalize(x, dx);
      return [this.affine(xhat), this.gamma ? tf.mul(dxhat!, this.gamma) : dxhat!] as Dual;
    });
  }

  private normalize(x: tf.Tensor, dx: tf.Tensor | null): { xhat: tf.Tensor; dxhat: tf.Tensor | null } {
    if (x.rank !== 3 || x.shape[2] !== this.channels) {
      throw new Error(`GroupNorm expects [B, L, ${this.channels}], got [${x.shape.join(', ')}]`);
    }
    const [b, l, c] = x.shape;
    const grouped = [b, l, this.groups, c / this.groups];
    const { xhat, dxhat } = normalizeDual(
      tf.reshape(x, grouped),
      dx ? tf.reshape(dx, grouped) : null,
      [1, 3],
      this.eps,
    );
    return { xhat: tf.reshape(xhat, x.shape), dxhat: dxhat ? tf.reshape(dxhat, x.shape) : null };
  }

  private affine(xhat: tf.Tensor): tf.Tensor {
    if (!this.gamma || !this.beta) return xhat;
    return tf.add(tf.mul(xhat, this.gamma), this.beta);
  }
}
