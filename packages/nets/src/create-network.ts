import type { Network } from './network.js';
import { type ChiTransformerOptions, createChiTransformer } from './networks/chitransformer.js';
import { type ChiUNetOptions, createChiUNet } from './networks/chiunet.js';
import { createJannerUNet, type JannerUNetOptions } from './networks/jannerunet.js';
import { createMlp, type MlpOptions } from './networks/mlp.js';
import { createRnn, createVanillaRnn, type RnnOptions } from './networks/rnn.js';
import { createSudeepDiT, type SudeepDiTOptions } from './networks/sudeepdit.js';
import { createVanillaMlp, type VanillaMlpOptions } from './networks/vanilla-mlp.js';

/** Options of each network kind. */
export interface NetworkOptionsByKind {
  mlp: MlpOptions;
  vanilla_mlp: VanillaMlpOptions;
  rnn: RnnOptions;
  vanilla_rnn: RnnOptions;
  chiunet: ChiUNetOptions;
  jannerunet: JannerUNetOptions;
  chitransformer: ChiTransformerOptions;
  sudeepdit: SudeepDiTOptions;
}

/** Constructors by kind (the reference's `get_network` type map). */
const FACTORIES: { [K in keyof NetworkOptionsByKind]: (options: NetworkOptionsByKind[K]) => Network } = {
  mlp: createMlp,
  vanilla_mlp: createVanillaMlp,
  rnn: createRnn,
  vanilla_rnn: createVanillaRnn,
  chiunet: createChiUNet,
  jannerunet: createJannerUNet,
  chitransformer: createChiTransformer,
  sudeepdit: createSudeepDiT,
};

export type NetworkKind = keyof NetworkOptionsByKind;

/** The kinds {@link createNetwork} can build. */
export const NETWORK_KINDS = Object.keys(FACTORIES) as NetworkKind[];

/**
 * Builds a network of the given kind. `options` may carry a `kind` entry (as a network's
 * `config` does), so `createNetwork(net.config.kind, net.config)` rebuilds an architecture.
 */
export function createNetwork<K extends NetworkKind>(
  kind: K,
  options: NetworkOptionsByKind[K] & { kind?: string },
): Network;
export function createNetwork(kind: string, options: Record<string, unknown>): Network;
export function createNetwork(kind: string, options: Record<string, unknown>): Network {
  const factory = (FACTORIES as Record<string, ((o: unknown) => Network) | undefined>)[kind];
  if (!factory) throw new Error(`unknown network kind '${kind}'; valid: ${NETWORK_KINDS.join(', ')}`);
  if (options.kind !== undefined && options.kind !== kind) {
    throw new Error(`createNetwork: options.kind '${String(options.kind)}' does not match kind '${kind}'`);
  }
  return factory(options);
}
