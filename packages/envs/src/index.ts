/**
 * `@mipjs/envs`: simulators for mip.js, PushT first. Typed arrays, no TF.js, no `node:` imports
 * (browser-safe).
 *
 * @example
 * ```ts
 * import { PushTEnv, PushTVectorEnv, renderPushT } from '@mipjs/envs';
 * const env = new PushTEnv();
 * env.reset(100000, { legacy: true });
 * const { observation, reward, terminated, truncated } = env.step([300, 200]);
 * ```
 */
export { assertFiniteVector, EnvError } from './errors.js';
export * from './physics/index.js';
export { agentControlStep, agentTrajectory } from './pusht/agent.js';
export {
  convexIntersectionArea,
  polygonArea,
  pushTCoverage,
  pushTReward,
  pushTSuccess,
} from './pusht/coverage.js';
export {
  IMAGE_OBS_DIM,
  IMAGE_OBS_SIZE,
  observationSize,
  PUSHT_TASK_OBSERVATIONS,
  PushTEnv,
  type PushTEnvOptions,
  type PushTInfo,
  type PushTObservationKind,
  type PushTStepResult,
  pushTInitialState,
  pushTObservationForTask,
  pyMod,
} from './pusht/env.js';
export {
  AGENT_RADIUS,
  GOAL_POSE,
  MAX_EPISODE_STEPS,
  SUCCESS_THRESHOLD,
  T_AREA,
  T_BAR_LOCAL,
  T_BOXES_LOCAL,
  T_COG_LOCAL,
  T_STEM_LOCAL,
  toWorld,
  WALL_RADIUS,
  WALLS,
  WORLD_SIZE,
} from './pusht/geometry.js';
export {
  fitKeypointsLocal,
  KEYPOINT_OBS_DIM,
  type KeypointErrorStats,
  keypointErrors,
  N_KEYPOINTS,
  PUSHT_KEYPOINTS_LOCAL,
  pushTKeypointObservation,
  pushTKeypoints,
} from './pusht/keypoints.js';
export { createImage, type RgbImage, resizeLinear } from './pusht/raster.js';
export {
  AGENT_COLOR,
  BLOCK_COLOR,
  GOAL_COLOR,
  lightColor,
  meanAbsDiff,
  type PushTRenderOptions,
  renderPushT,
  renderPushTCanvas,
  WALL_COLOR,
} from './pusht/render.js';
export { RandomState } from './rng/random-state.js';
export {
  formatPushTValidation,
  type PushTValidationCheck,
  type PushTValidationData,
  type PushTValidationOptions,
  type PushTValidationReport,
  pushTChecks,
  pushTRenderSample,
  validatePushT,
} from './validate/validate-pusht.js';
export {
  PushTVectorEnv,
  type PushTVectorEnvOptions,
  type PushTVectorStepResult,
} from './vector/vector-env.js';
