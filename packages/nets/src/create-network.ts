import type { Network } from './network.js';
import {
  CHI_TRANSFORMER_OPTIONS_SCHEMA,
  type ChiTransformerOptions,
  createChiTransformer,
} from './networks/chitransformer.js';
import { CHI_UNET_OPTIONS_SCHEMA, type ChiUNetOptions, createChiUNet } from './networks/chiunet.js';
import {
  createJannerUNet,
  JANNER_UNET_OPTIONS_SCHEMA,
  type JannerUNetOptions,
} from './networks/jannerunet.js';
import { createMlp, MLP_OPTIONS_SCHEMA, type MlpOptions } from './networks/mlp.js';
import {
  createRnn,
  createVanillaRnn,
  RNN_OPTIONS_SCHEMA,
  type RnnOptions,
  VANILLA_RNN_OPTIONS_SCHEMA,
} from './networks/rnn.js';
import { createSudeepDiT, SUDEEP_DIT_OPTIONS_SCHEMA, type SudeepDiTOptions } from './networks/sudeepdit.js';
import {
  createVanillaMlp,
  VANILLA_MLP_OPTIONS_SCHEMA,
  type VanillaMlpOptions,
} from './networks/vanilla-mlp.js';
import { checkOptions, type OptionsSchema } from './options-schema.js';

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

/**
 * The options a user may set for each network kind (next to each network as `<KIND>_OPTIONS_SCHEMA`);
 * the shape keys and the seed are the caller's ({@link COMMON_NETWORK_OPTIONS_SCHEMA}).
 */
export const NETWORK_OPTIONS_SCHEMAS: { readonly [K in NetworkKind]: OptionsSchema } = {
  mlp: MLP_OPTIONS_SCHEMA,
  vanilla_mlp: VANILLA_MLP_OPTIONS_SCHEMA,
  rnn: RNN_OPTIONS_SCHEMA,
  vanilla_rnn: VANILLA_RNN_OPTIONS_SCHEMA,
  chiunet: CHI_UNET_OPTIONS_SCHEMA,
  jannerunet: JANNER_UNET_OPTIONS_SCHEMA,
  chitransformer: CHI_TRANSFORMER_OPTIONS_SCHEMA,
  sudeepdit: SUDEEP_DIT_OPTIONS_SCHEMA,
};

/**
 * The problems of a user's options for a network kind (unknown keys, wrong types), one line each;
 * empty when they fit. An unknown kind is one problem that lists the kinds.
 *
 * ```ts
 * checkNetworkOptions('mlp', { embDimm: 64 }); // ["unknown key 'embDimm'; valid keys: embDim, ..."]
 * ```
 */
export function checkNetworkOptions(kind: string, options: unknown): string[] {
  const schema = (NETWORK_OPTIONS_SCHEMAS as Record<string, OptionsSchema | undefined>)[kind];
  if (!schema) return [`unknown network kind '${kind}'; valid: ${NETWORK_KINDS.join(', ')}`];
  return checkOptions(schema, options);
}
