/**
 * `@mipjs/policy`: a trained mip.js policy. Load a run (`loadPolicy` from files in memory or
 * `loadPolicyFromUrl`; in Node `loadPolicyFromRun` of `@mipjs/policy/node`), then
 * `policy.act(observationHistory, { nfe, seed })` -> action chunk `[B, H, A]` in environment units,
 * or step a batch of environments with {@link RecedingHorizon}. Browser-safe: nothing here imports
 * `node:`.
 *
 * ```ts
 * import '@tensorflow/tfjs';
 * import { loadPolicyFromUrl, RecedingHorizon } from '@mipjs/policy';
 * const policy = await loadPolicyFromUrl('/runs/mip-pusht/');
 * const control = new RecedingHorizon(policy, { batch: 1 });
 * const action = control.step([agentX, agentY, blockX, blockY, blockAngle]); // [x, y] target
 * ```
 */
export {
  type LoadPolicyFromUrlOptions,
  type LoadPolicyOptions,
  loadPolicy,
  loadPolicyFromUrl,
  type PolicyExpectation,
  type PolicyFile,
  type PolicyFiles,
  type PolicyReader,
  type PolicySource,
} from './load.js';
export {
  POLICY_FORMAT,
  POLICY_MANIFEST_FILE,
  POLICY_MANIFEST_VERSION,
  type PolicyFeatureSpec,
  type PolicyManifest,
  type PolicySamplerSpec,
  type PolicyWeightsSpec,
  parsePolicyManifest,
} from './manifest.js';
export { type ObservationInput, observationBatch } from './observations.js';
export { type ActionChunk, type ActOptions, Policy, type PolicyParts } from './policy.js';
export { PolicyError, type PolicyErrorCode } from './policy-error.js';
export {
  type ChunkPolicy,
  RecedingHorizon,
  type RecedingHorizonOptions,
  type StepObservation,
} from './receding-horizon.js';
export { POLICY_SAMPLERS, type PolicySampler, resolveSampler } from './sampler-table.js';
