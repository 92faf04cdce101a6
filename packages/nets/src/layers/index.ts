export {
  ACTIVATION_NAMES,
  type Activation,
  type ActivationName,
  activationByName,
  gelu,
  geluTanh,
  LEAKY_RELU_SLOPE,
  leakyRelu,
  mish,
  relu,
  sigmoid,
  silu,
  softplus,
  tanh,
} from './activations.js';
export { AffineLayer, type AffineOptions } from './affine.js';
export {
  bandMask,
  causalMask,
  LinearAttention,
  type LinearAttentionOptions,
  MASKED,
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
} from './attention.js';
export { Conv1d, type Conv1dOptions, ConvTranspose1d, unfold1d } from './conv1d.js';
export {
  Conv2d,
  type Conv2dOptions,
  conv2dFilterGradient,
  conv2dInputGradient,
  conv2dPadded,
  conv2dValid,
  im2col2d,
  kaimingNormalFanOut,
} from './conv2d.js';
export { Dense, type DenseOptions } from './dense.js';
export { Dropout } from './dropout.js';
export { defaultGroupCount, GroupNorm, type GroupNormOptions } from './group-norm.js';
export {
  type BiasInit,
  hashString,
  InitRandom,
  initBiasValues,
  initWeightValues,
  mixSeed,
  WEIGHT_INITS,
  type WeightInit,
} from './init.js';
export { LayerNorm, type LayerNormOptions, normalizeDual } from './layer-norm.js';
export {
  type Dual,
  type DualLayer,
  drawSeed,
  EVAL_CONTEXT,
  type ForwardContext,
  forwardContext,
  type NamedVariable,
  VariableScope,
  VariableStore,
} from './module.js';
export { RECURRENT_TYPES, Recurrent, type RecurrentState, type RecurrentType } from './recurrent.js';
