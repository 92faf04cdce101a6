// run/eval-every.ts: closed-loop evaluation during training (`evalEvery`), the trainer's hook for tasks with an environment.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Normalizer, parseNormalizers } from '@mipjs/data/normalizers';
import { Policy, type PolicyManifest, resolveSampler } from '@mipjs/policy';
import { writePolicyManifest } from '@mipjs/policy/node';
import type { Algorithm } from '../algorithms/algorithm.js';
import { loadedSchedules } from '../algorithms/schedules.js';
import { ConfigError, type RunConfig } from '../config/config.js';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, environmentForTask } from '../evaluate/closed-loop.js';
import type { Model } from '../model/model.js';
import { NORMALIZERS_FILE } from '../tasks/dataset-task.js';
import type { Task } from '../tasks/task.js';
import type { EvaluateEvery } from '../train/trainer.js';
import { policyManifestFor } from './policy-manifest.js';

/** The tasks that have an environment to evaluate in (pusht). */
export function tasksWithEnvironment(): string[] {
  return ENVIRONMENT_NAMES.flatMap((name) => [...ENVIRONMENTS[name].tasks]);
}

/**
 * `evalEvery > 0` needs a task with an environment and at least one episode: a one-line
 * {@link ConfigError} naming the field otherwise.
 */
export function checkEvalEvery(config: RunConfig): void {
  if (config.evalEvery === 0) return;
  if (!environmentForTask(config.task)) {
    throw new ConfigError(
      `evalEvery: task '${config.task}' has no environment to evaluate in during training; ` +
        `tasks with one: ${tasksWithEnvironment().join(', ')} (set evalEvery to 0 or drop --eval-every)`,
    );
  }
  if (config.evalEpisodes < 1) {
    throw new ConfigError(
      `evalEvery: evaluation during training needs evalEpisodes >= 1 (--episodes), got ${config.evalEpisodes}`,
    );
  }
}

/**
 * The trainer's {@link EvaluateEvery} hook of a run, or null when `evalEvery` is 0. Every
 * `evalEvery` steps the in-memory EMA model is wrapped as a {@link Policy} (the run's
 * `policy.json` manifest, the task's normalizers from the run folder, the algorithm's sampler;
 * built with `ownsWeights: false`, so disposing it leaves the EMA weights alone) and evaluated in
 * the task's environment at the run's first NFE over `evalEpisodes` episodes (Diffusion Policy's
 * test seeds). The score is the mean max reward. A new best goes to `checkpoint-best/` with its own
 * `policy.json` (weights `network/`, `encoder/`) and a copy of `normalizers.json`, so
 * `loadPolicyFromRun('RUN/checkpoint-best')` loads it.
 */
export function evaluateEveryFor(
  dir: string,
  config: RunConfig,
  algorithm: Algorithm,
  task: Task,
  artifacts: readonly string[],
  log: (line: string) => void = () => {},
): EvaluateEvery | null {
  checkEvalEvery(config);
  if (config.evalEvery === 0) return null;
  const env = environmentForTask(config.task)!;
  const manifest = policyManifestFor(config, algorithm, task, artifacts);
  if (!manifest) {
    throw new ConfigError(
      `evalEvery: algorithm '${config.algorithm}' declares no sampler name, so it cannot act as a policy in ${env}`,
    );
  }
  const normalizersPath = manifest.normalizers ? join(dir, manifest.normalizers) : null;
  let normalizers: { obs?: Normalizer; action: Normalizer } | null = null;
  const normalizersOf = () => {
    if (!normalizersPath) return null;
    if (!normalizers) {
      const all = parseNormalizers(readFileSync(normalizersPath, 'utf8'), normalizersPath);
      if (!all.action) throw new ConfigError(`${normalizersPath} holds no 'action' normalizer`);
      normalizers = manifest.obsSteps > 0 ? { obs: all.obs, action: all.action } : { action: all.action };
    }
    return normalizers;
  };
  const sampler = resolveSampler(manifest.sampler);
  const nfe = manifest.fixedNfe ?? manifest.defaultNfe;
  const best: PolicyManifest = {
    ...manifest,
    network: { ...manifest.network, weights: 'network' },
    encoder: manifest.encoder ? { ...manifest.encoder, weights: 'encoder' } : null,
    normalizers: manifest.normalizers ? NORMALIZERS_FILE : null,
  };
  return {
    every: config.evalEvery,
    evaluate: async (step: number, ema: Model) => {
      const policy = new Policy({
        manifest,
        network: ema.network,
        encoder: ema.encoder,
        normalizers: normalizersOf(),
        sampler,
        schedules: loadedSchedules(),
        ownsWeights: false,
      });
      try {
        const r = await ENVIRONMENTS[env].evaluate(policy, { nfe, episodes: config.evalEpisodes });
        log(
          `step ${step}: ${env} NFE ${r.nfe} mean max reward ${r.meanMaxReward.toFixed(3)}, ` +
            `success ${(r.successRate * 100).toFixed(0)}% over ${r.episodes} episodes (${r.wallSeconds.toFixed(1)} s)`,
        );
        return {
          meanMaxReward: r.meanMaxReward,
          successRate: r.successRate,
          meanFinalCoverage: r.meanFinalCoverage,
          episodes: r.episodes,
          nfe: r.nfe,
        };
      } finally {
        policy.dispose();
      }
    },
    score: (metrics) => metrics.meanMaxReward ?? Number.NaN,
    writeBestFiles: async (tmp: string) => {
      await writePolicyManifest(tmp, best);
      if (normalizersPath && existsSync(normalizersPath))
        copyFileSync(normalizersPath, join(tmp, NORMALIZERS_FILE));
    },
  };
}
