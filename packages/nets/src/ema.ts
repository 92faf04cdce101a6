import * as tf from '@tensorflow/tfjs-core';
import { createNetwork } from './create-network.js';
import type { Network } from './network.js';

/**
 * Exponential moving average of a network's weights, kept in a second network of the same
 * architecture (`ema.network`, used for evaluation as in the reference):
 *
 * $$
 * p_{\mathrm{ema}} \leftarrow r\, p_{\mathrm{ema}} + (1 - r)\, p \qquad \text{(for every trainable variable)}
 * $$
 *
 * Non-trainable variables (fixed embedding frequencies, say) are copied, not averaged, as the
 * reference averages parameters only: a constant stays bit-identical instead of drifting by
 * rounding.
 */
export class Ema {
  /** The network holding the averaged weights. */
  readonly network: Network;
  readonly source: Network;

  /**
   * @param source the network being trained.
   * @param target where the average lives; default a copy built with
   *   `createNetwork(source.kind, source.config)`. Its weights start as a copy of `source`'s.
   */
  constructor(source: Network, target?: Network) {
    this.source = source;
    this.network = target ?? createNetwork(source.kind, source.config as Record<string, unknown>);
    if (this.network.variables.length !== source.variables.length) {
      throw new Error(
        `EMA target has ${this.network.variables.length} variables, the source ${source.variables.length}`,
      );
    }
    this.network.variables.forEach((v, i) => {
      const p = source.variables[i];
      if (v.shape.length !== p.shape.length || v.shape.some((d, k) => d !== p.shape[k])) {
        throw new Error(
          `EMA target variable ${i} has shape [${v.shape.join(', ')}], the source [${p.shape.join(', ')}]`,
        );
      }
    });
    this.copyFromSource();
  }

  /** $p_{\mathrm{ema}} \leftarrow p$ (a hard copy). */
  copyFromSource(): void {
    tf.tidy(() => {
      this.network.variables.forEach((v, i) => (v as tf.Variable).assign(this.source.variables[i]));
    });
  }

  /** $p_{\mathrm{ema}} \leftarrow \mathrm{rate}\, p_{\mathrm{ema}} + (1 - \mathrm{rate})\, p$ for trainable variables; a copy for the others. */
  update(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`EMA rate must be in [0, 1], got ${rate}`);
    tf.tidy(() => {
      this.network.variables.forEach((v, i) => {
        const p = this.source.variables[i];
        (v as tf.Variable).assign(p.trainable ? tf.add(tf.mul(v, rate), tf.mul(p, 1 - rate)) : p);
      });
    });
  }

  dispose(): void {
    this.network.dispose();
  }
}
