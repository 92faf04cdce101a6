export { countParameters } from './count-parameters.js';
export {
  checkNetworkOptions,
  createNetwork,
  NETWORK_KINDS,
  NETWORK_OPTIONS_SCHEMAS,
  type NetworkKind,
  type NetworkOptionsByKind,
} from './create-network.js';
export { jvpByDoubleVjp } from './double-vjp.js';
export { Ema } from './ema.js';
export {
  createTimeEmbedding,
  FourierEmbedding,
  positionalEmbedding,
  SinCosFeatures,
  sinusoidalEmbedding,
  TIME_EMBEDDING_TYPES,
  type TimeEmbedding,
  type TimeEmbeddingType,
  uniformFrequencyEmbedding,
  untrainableFourierEmbedding,
} from './embeddings.js';
export { checkEncoderOptions, ENCODER_OPTIONS_SCHEMAS } from './encoder-options-schema.js';
export {
  createEncoder,
  ENCODER_KINDS,
  type EncodeOptions,
  type EncoderKind,
  type EncoderOptions,
  IdentityEncoder,
  MlpEncoder,
  type ObsEncoder,
} from './encoders.js';
export { FlowMap, type FlowMapOptions, type JvpMode, type MapWithTangent } from './flow-map.js';
export { installFastMatMulGradient, installHigherOrderGradientFix } from './gradient-fixes.js';
export { type ImageEncoderOptions, MultiImageObsEncoder, PUSHT_IMAGE_ENCODER } from './image-encoder.js';
export * from './layers/index.js';
export type { ApplyOptions, InputTangent, Network, OutputWithTangent } from './network.js';
export { type ChiTransformerOptions, createChiTransformer } from './networks/chitransformer.js';
export { type ChiUNetOptions, createChiUNet } from './networks/chiunet.js';
export {
  COMMON_NETWORK_OPTIONS_SCHEMA,
  type CommonNetworkOptions,
  flattenCond,
  type NetworkShape,
  validateInputs,
} from './networks/common.js';
export { createJannerUNet, type JannerNorm, type JannerUNetOptions } from './networks/jannerunet.js';
export { createMlp, Mlp, type MlpConfig, type MlpOptions } from './networks/mlp.js';
export { createRnn, createVanillaRnn, Rnn, type RnnConfig, type RnnOptions } from './networks/rnn.js';
export { createSudeepDiT, type SudeepDiTOptions } from './networks/sudeepdit.js';
export {
  createVanillaMlp,
  VanillaMlp,
  type VanillaMlpConfig,
  type VanillaMlpOptions,
} from './networks/vanilla-mlp.js';
export {
  assertOptions,
  checkOptions,
  type OptionSpec,
  OptionsError,
  type OptionsSchema,
} from './options-schema.js';
export { RESNET18_BLOCKS, RESNET18_WIDTHS, ResNet, type ResNetOptions } from './resnet.js';
export { stopGradient } from './stop-gradient.js';
export { installFastWasmKernels } from './wasm-kernels.js';
export {
  assignWeights,
  DATA_FILE,
  deserializeWeights,
  loadWeights,
  loadWeightsInto,
  MANIFEST_FILE,
  type NetworkFactories,
  saveWeights,
  serializeWeights,
  serializeWeightsAsync,
  variableNames,
  verifyWeightsChecksum,
  type WeightEntry,
  WeightsError,
  type WeightsManifest,
  weightsChecksum,
} from './weights-io.js';
