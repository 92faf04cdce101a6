export { flowMapSampler } from './flow-map.js';
export { eulerSampler, heunSampler, midpointSampler } from './ode.js';
export { oneStepSampler } from './one-step.js';
export type { SampleOptions, Sampler, SamplerContext, SampleStart } from './sampler.js';
export {
  DEFAULT_STEPS,
  FLOW_DEFAULT_STEPS,
  ONE_STEP_DEFAULT_STEPS,
  type SamplerFamily,
  uniformGrid,
} from './steps.js';
export {
  mipReferenceSampler,
  mipSampler,
  type TwoStepOptions,
  tsdSampler,
  twoStepSampler,
} from './two-step.js';
