export { jvpByDoubleVjp } from './double-vjp.js';
export { FlowMap, type FlowMapOptions, type JvpMode, type MapWithTangent } from './flow-map.js';
export type { ApplyOptions, InputTangent, Network, OutputWithTangent } from './network.js';
export { stopGradient } from './stop-gradient.js';
export * from './layers/index.js';
export { installFastMatMulGradient, installHigherOrderGradientFix } from './gradient-fixes.js';
export { type ChiUNetOptions, createChiUNet } from './networks/chiunet.js';
export { createJannerUNet, type JannerNorm, type JannerUNetOptions } from './networks/jannerunet.js';
