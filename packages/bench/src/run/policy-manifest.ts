// run/policy-manifest.ts: the run's policy.json, what @mipjs/policy's loadPolicy reads.
import { basename } from 'node:path';
import { type PolicyManifest, writePolicyManifest } from '@mipjs/policy/node';
import type { Algorithm } from '../algorithms/algorithm.js';
import { callsPerStep } from '../algorithms/samplers.js';
import type { RunConfig } from '../config/config.js';
import { nfeList } from '../evaluate/evaluate.js';
import { MODEL_PARTS } from '../model/model.js';
import { NORMALIZERS_FILE } from '../tasks/dataset-task.js';
import type { Task } from '../tasks/task.js';
import { CHECKPOINT_FILES, RUN_FILES } from '../train/trainer.js';

/** The sampler name of an algorithm under the run's loss options (null: the algorithm declares none). */
export function policySamplerName(algorithm: Algorithm, lossOptions: Record<string, unknown>): string | null {
  const s = algorithm.samplerName;
  if (s === undefined) return null;
  if (typeof s === 'string') return s;
  return lossOptions.variant === 'reference' ? s.reference : s.page;
}

/**
 * The `policy.json` of a run: the sampler the algorithm declares for the run's loss variant, the
 * sampling start and t* the evaluation uses, the NFE list, the task's shapes, the EMA weights
 * folders and the normalizer file (when the task wrote one). Null for an algorithm without a
 * `samplerName` (an external package that does not declare one).
 */
export function policyManifestFor(
  config: RunConfig,
  algorithm: Algorithm,
  task: Task,
  artifacts: readonly string[] = [],
): PolicyManifest | null {
  const name = policySamplerName(algorithm, config.lossOptions);
  if (!name) return null;
  const start = config.sampleStart === 'auto' ? (algorithm.defaultStart ?? 'noise') : config.sampleStart;
  const tStar = config.lossOptions.tStar;
  const nfe = nfeList(algorithm, config.evalNfe);
  const hasObs = task.obsSteps > 0 && task.obsDim > 0;
  const weights = (part: string) => `${RUN_FILES.checkpoint}/${CHECKPOINT_FILES.ema}/${part}`;
  return {
    format: 'mipjs-policy',
    version: 1,
    algorithm: config.algorithm,
    task: config.task,
    sampler: {
      name,
      options: { start, ...(typeof tStar === 'number' ? { tStar } : {}) },
      ...(typeof algorithm.samplerName === 'object'
        ? { variant: config.lossOptions.variant === 'reference' ? 'reference' : 'page' }
        : {}),
      // `--sampler heun`: the loaded policy runs nfe / 2 Heun steps, as the evaluation did.
      ...(callsPerStep(algorithm) !== 1 ? { callsPerStep: callsPerStep(algorithm) } : {}),
    },
    interpolant: config.interpolant,
    defaultNfe: nfe[0]!,
    ...(algorithm.fixedNfe ? { fixedNfe: algorithm.fixedNfe } : {}),
    nfe,
    obsSteps: hasObs ? task.obsSteps : 0,
    horizon: task.horizon,
    // Dataset tasks default to Ta 8 (spec §9); a toy task's chunk is executed whole.
    actionSteps: Math.min(task.horizon, config.actSteps ?? 8),
    obs: { dim: hasObs ? task.obsDim : 0 },
    action: { dim: task.actDim },
    network: { kind: config.network, weights: weights(MODEL_PARTS.network) },
    encoder: hasObs ? { kind: config.encoder, weights: weights(MODEL_PARTS.encoder) } : null,
    normalizers: artifacts.some((p) => basename(p) === NORMALIZERS_FILE) ? NORMALIZERS_FILE : null,
    // robomimic `relative`: the policy maps its chunks back to absolute with the latest EEF pose.
    ...(task.actionFrame ? { actionFrame: task.actionFrame } : {}),
    createdBy: '@mipjs/bench',
  };
}

/** Writes the run's `policy.json` (atomic) when its algorithm declares a sampler name. */
export async function writeRunPolicyManifest(
  dir: string,
  config: RunConfig,
  algorithm: Algorithm,
  task: Task,
  artifacts: readonly string[],
): Promise<void> {
  const manifest = policyManifestFor(config, algorithm, task, artifacts);
  if (manifest) await writePolicyManifest(dir, manifest);
}
