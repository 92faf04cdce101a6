export { type CtmLossOptions, ctmLoss } from './ctm.js';
export { type EsdLossOptions, esdLoss } from './esd.js';
export { type FlowLossOptions, flowLoss } from './flow.js';
export { DEFAULT_DISCRETE_DT, DEFAULT_LOSS_SCALE, DEFAULT_T_STAR } from './internal.js';
export { type LmdLossOptions, lmdLoss } from './lmd.js';
export type {
  BaseLossOptions,
  LossBatch,
  LossContext,
  LossDraws,
  LossFn,
  LossResult,
} from './loss.js';
export { type LsdLossOptions, lsdLoss } from './lsd.js';
export { type MfLossOptions, mfLoss } from './mf.js';
export { type MipLossOptions, mipLoss } from './mip.js';
export { type MipOriginLossOptions, mipOriginLoss } from './mip-origin.js';
export {
  l1,
  l2,
  meanSquareLoss,
  type NormFn,
  type NormName,
  type NormOption,
  normLoss,
  resolveNorm,
  smoothL1,
} from './norm.js';
export { type PsdLossOptions, psdLoss } from './psd.js';
export { type RegressionLossOptions, regressionLoss } from './regression.js';
export { type StraightFlowLossOptions, straightFlowLoss } from './straight-flow.js';
export { type TsdLossOptions, tsdLoss } from './tsd.js';
