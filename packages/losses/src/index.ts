export { CTM_LOSS_OPTIONS_SCHEMA, type CtmLossOptions, ctmLoss } from './ctm.js';
export { ESD_LOSS_OPTIONS_SCHEMA, type EsdLossOptions, esdLoss } from './esd.js';
export { FLOW_LOSS_OPTIONS_SCHEMA, type FlowLossOptions, flowLoss } from './flow.js';
export { DEFAULT_DISCRETE_DT, DEFAULT_LOSS_SCALE, DEFAULT_T_STAR } from './internal.js';
export { LMD_LOSS_OPTIONS_SCHEMA, type LmdLossOptions, lmdLoss } from './lmd.js';
export type {
  BaseLossOptions,
  LossBatch,
  LossContext,
  LossDraws,
  LossFn,
  LossResult,
} from './loss.js';
export { BASE_LOSS_OPTIONS_SCHEMA } from './loss-options-schema.js';
export { LSD_LOSS_OPTIONS_SCHEMA, type LsdLossOptions, lsdLoss } from './lsd.js';
export { MF_LOSS_OPTIONS_SCHEMA, type MfLossOptions, mfLoss } from './mf.js';
export { MIP_LOSS_OPTIONS_SCHEMA, type MipLossOptions, mipLoss } from './mip.js';
export {
  MIP_ONE_STEP_INTEGRATE_LOSS_OPTIONS_SCHEMA,
  type MipOneStepIntegrateLossOptions,
  mipOneStepIntegrateLoss,
} from './mip-one-step-integrate.js';
export { MIP_ORIGIN_LOSS_OPTIONS_SCHEMA, type MipOriginLossOptions, mipOriginLoss } from './mip-origin.js';
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
export { PSD_LOSS_OPTIONS_SCHEMA, type PsdLossOptions, psdLoss } from './psd.js';
export { REGRESSION_LOSS_OPTIONS_SCHEMA, type RegressionLossOptions, regressionLoss } from './regression.js';
export {
  STRAIGHT_FLOW_LOSS_OPTIONS_SCHEMA,
  type StraightFlowLossOptions,
  straightFlowLoss,
} from './straight-flow.js';
export { TSD_LOSS_OPTIONS_SCHEMA, type TsdLossOptions, tsdLoss } from './tsd.js';
