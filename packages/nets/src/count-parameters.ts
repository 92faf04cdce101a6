import type { Network } from './network.js';

/** Number of scalar parameters of a network (trainable and fixed variables). */
export function countParameters(net: Pick<Network, 'variables'>, { trainableOnly = false } = {}): number {
  let n = 0;
  for (const v of net.variables) if (!trainableOnly || v.trainable) n += v.size;
  return n;
}
