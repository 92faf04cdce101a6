import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interpolant } from '@mipjs/interpolant';
import * as tf from '@tensorflow/tfjs';
import type { Algorithm } from './algorithm.js';
import type { BackendName } from './backend.js';
import { ConfigError, type RunConfig, validateRunConfig } from './config.js';
import { loadModelWeights, type Model } from './model.js';
import type { ResultRow } from './results.js';
import { algorithmFor } from './run.js';
import { prepareBackend } from './setup.js';
import { mixSeed, type PolicySampler, type Task, type TaskEvaluation } from './task.js';
import { openTask } from './tasks.js';

/** Samples are drawn in batches of at most this many (bounded memory, same results). */
export const EVAL_BATCH = 1024;

/**
 * The policy of a model: encodes observations, runs the algorithm's sampler with `nfe` steps,
 * returns flattened actions. Deterministic for a seed; batches are seeded by their index.
 */
export function policySampler(
  model: Model,
  algorithm: Algorithm,
  task: Task,
  config: RunConfig,
): PolicySampler {
  return (obs, count, nfe, seed) => {
    const out = new Float32Array(count * task.horizon * task.actDim);
    const per = task.horizon * task.actDim;
    const perObs = task.obsSteps * task.obsDim;
    const interpolant = new Interpolant(config.interpolant);
    for (let start = 0, b = 0; start < count; start += EVAL_BATCH, b++) {
      const n = Math.min(EVAL_BATCH, count - start);
      const actions = tf.tidy(() => {
        const o = obs
          ? tf.tensor3d(obs.subarray(start * perObs, (start + n) * perObs), [n, task.obsSteps, task.obsDim])
          : null;
        const cond = model.encode(o, false);
        // Loss options (tStar, variant) go to the sampler too: mip's t* must match training.
        const ctx = { flowMap: model.flowMap, interpolant, ...config.lossOptions };
        return algorithm.sampler(ctx, cond, {
          ...config.lossOptions,
          steps: nfe,
          start: config.sampleStart === 'auto' ? (algorithm.defaultStart ?? 'noise') : config.sampleStart,
          seed: mixSeed(seed, b, 0xe7a1),
          batch: n,
          horizon: task.horizon,
          actDim: task.actDim,
        });
      });
      out.set(actions.dataSync(), start * per);
      actions.dispose();
    }
    return out;
  };
}

/**
 * The NFE values a run is evaluated at: the requested list (or the algorithm's default steps);
 * an algorithm with a fixed number of calls is evaluated once, at that number.
 */
export function nfeList(algorithm: Algorithm, requested: readonly number[]): number[] {
  if (algorithm.fixedNfe) return [algorithm.fixedNfe];
  return [...(requested.length > 0 ? requested : algorithm.defaultSteps)];
}

/** Evaluates a model (its EMA copy) at one NFE with the task's metrics. */
export async function evaluateModel(
  model: Model,
  algorithm: Algorithm,
  task: Task,
  config: RunConfig,
  nfe: number,
): Promise<TaskEvaluation> {
  return task.evaluate(
    policySampler(model, algorithm, task, config),
    nfe,
    mixSeed(config.seed, nfe, 0xe5a1),
    config.evalSamples,
  );
}

/** Options of {@link evaluateCheckpoint}. */
export interface EvaluateCheckpointOptions {
  nfe?: number[];
  evalSamples?: number;
  backend: BackendName;
  data?: string;
  packages?: string[];
  log?: (line: string) => void;
}

/** `mipjs eval`: loads a run folder's EMA weights and evaluates them at each NFE. */
export async function evaluateCheckpoint(runDir: string, o: EvaluateCheckpointOptions): Promise<ResultRow[]> {
  const configPath = join(runDir, 'config.json');
  const ck = join(runDir, 'checkpoint');
  if (!existsSync(configPath) || !existsSync(ck)) {
    throw new ConfigError(
      `cannot evaluate ${runDir}: not a run folder with a checkpoint (config.json + checkpoint/)`,
    );
  }
  const saved = JSON.parse(readFileSync(configPath, 'utf8'));
  const config = validateRunConfig({
    ...saved,
    ...(o.data ? { data: o.data } : {}),
    ...(o.evalSamples ? { evalSamples: o.evalSamples } : {}),
    ...(o.packages?.length ? { algorithmPackages: o.packages } : {}),
  });
  await prepareBackend(o.backend, o.log);
  const algorithm = await algorithmFor(config);
  const task = await openTask(config);
  const state = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as {
    step: number;
    trainSeconds: number;
  };
  const model = loadModelWeights(join(ck, 'ema-weights'), config, task);
  try {
    const rows: ResultRow[] = [];
    for (const nfe of nfeList(algorithm, o.nfe ?? config.evalNfe)) {
      const ev = await evaluateModel(model, algorithm, task, config, nfe);
      rows.push({
        algorithm: config.algorithm,
        network: config.network,
        task: config.task,
        seed: config.seed,
        nfe,
        metrics: ev.metrics,
        trainSeconds: state.trainSeconds,
        steps: state.step,
      });
    }
    return rows;
  } finally {
    model.dispose();
    task.close?.();
  }
}
