/**
 * `@mipjs/data`: everything between files on disk and training batches, without TF.js. Arrays are
 * `Float32Array`s with shapes ({@link TensorData}); the application turns them into tensors.
 */
export {
  type CheckerboardOptions,
  checkerboardCell,
  checkerboardCellCoverage,
  checkerboardSupportFraction,
  type Histogram2d,
  histogram2d,
  histogramTotalVariation,
  inCheckerboardSupport,
  sampleCheckerboard,
} from './checkerboard.js';
export { CompositeNormalizer, type NormalizerSlice } from './composite-normalizer.js';
export {
  bimodalMetrics,
  bimodalModeCenter,
  type ConditionalBimodalOptions,
  sampleConditionalBimodal,
} from './conditional-bimodal.js';
export { assertFinite, DataError } from './data-error.js';
export { EpisodeStore, type EpisodeStoreOptions } from './episode-store.js';
export { GaussianNormalizer } from './gaussian-normalizer.js';
export { IdentityNormalizer } from './identity-normalizer.js';
export {
  formatPathTemplate,
  type LeRobotDataset,
  type LeRobotInfo,
  type LeRobotOptions,
  loadLeRobotDataset,
} from './lerobot-parquet.js';
export { MinMaxNormalizer } from './minmax-normalizer.js';
export {
  formatNormalizersJSON,
  NORMALIZERS_FORMAT,
  type Normalizer,
  type NormalizerJSON,
  parseNormalizersJSON,
} from './normalizer.js';
export { loadNormalizers, readNormalizersJSON, saveNormalizers, writeFileAtomic } from './normalizer-io.js';
export { normalizerFromJSON, parseNormalizers } from './normalizer-json.js';
export {
  loadPushTZarr,
  loadZarrReplayBuffer,
  PUSHT_KEYS,
  pushTAgentPos,
  type ZarrReplayBufferOptions,
} from './pusht-zarr.js';
export {
  ARM_ACTION_DIM,
  absoluteToRelativeActions,
  type EefObsLayout,
  type EefPose,
  eefPosesFromObs,
  eefPosesFromObsBatch,
  fitRelativeActionNormalizer,
  relativeActionsOwnTimestep,
  relativeChunksToAbsolute,
  relativeToAbsoluteActions,
} from './relative-actions.js';
export { createRng, type Rng, shuffleInPlace } from './rng.js';
export {
  loadRobomimicHdf5,
  ROBOMIMIC_LOW_DIM_KEYS,
  type RobomimicDataset,
  type RobomimicOptions,
} from './robomimic-hdf5.js';
export {
  axisAngleActionsToRotation6d,
  axisAngleToMatrix,
  axisAngleToQuaternion,
  axisAngleToRotation6d,
  type Matrix3,
  matMul3,
  matrixToAxisAngle,
  matrixToQuaternion,
  matrixToRotation6d,
  matVec3,
  quaternionToAxisAngle,
  quaternionToMatrix,
  quaternionToRotation6d,
  rotation6dActionsToAxisAngle,
  rotation6dToAxisAngle,
  rotation6dToMatrix,
  rotation6dToQuaternion,
  transpose3,
} from './rotation.js';
export { featureSize, sizeOf, type TensorData, tensorData } from './tensor-data.js';
export { createLieTask, type LieTask } from './toy/lie-task.js';
export { NumpyRandomState } from './toy/numpy-random-state.js';
export { firstPrimes, linspace } from './toy/primes.js';
export {
  applyMatrix,
  columnSpaceProjector,
  createProjectionTask,
  PROJECTION_INTERVALS,
  type ProjectionTask,
} from './toy/projection-task.js';
export { createReconTask } from './toy/recon-task.js';
export {
  boundaryPoints,
  intervalPoints,
  type LieMetrics,
  l1Error,
  l2Error,
  lieMetrics,
  outOfSubspaceRatio,
  type ProjectionMetrics,
  projectionMetrics,
  spanProjector,
} from './toy/toy-metrics.js';
export { primeSinusoids, type ToyTask, type ToyWeighting, toyDataset, toyGrid } from './toy/toy-task.js';
export {
  type BatchOptions,
  type WindowBatch,
  WindowDataset,
  type WindowDatasetOptions,
} from './window-dataset.js';
export { copyWindow, createWindowIndices, type WindowIndex, type WindowOptions } from './windows.js';
export { DEFAULT_FRAME_CACHE_BYTES, ZarrFrames, type ZarrFramesOptions } from './zarr-frames.js';
