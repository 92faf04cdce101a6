// evaluate/ owns evaluation: sampling a model's policy, metrics at each NFE, validation loss, `mipjs eval`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RandomStream, WarmupAnnealing } from '@mipjs/interpolant';
import { POLICY_MANIFEST_FILE } from '@mipjs/policy';
import * as tf from '@tensorflow/tfjs';
import type { Algorithm } from '../algorithms/algorithm.js';
import { algorithmFor } from '../algorithms/algorithms.js';
import { callsPerStep, nfeList } from '../algorithms/samplers.js';
import { interpolantFor } from '../algorithms/schedules.js';
import type { BackendName } from '../backend/backend.js';
import { prepareBackend } from '../backend/setup.js';
import { ConfigError, type RunConfig, validateRunConfig } from '../config/config.js';
import { readJsonFile } from '../io/io.js';
import { loadModel, loadTeacher, type Model, type Teacher } from '../model/model.js';
import { NORMALIZERS_FILE } from '../tasks/dataset-task.js';
import { mixSeed, type PolicySampler, type Task, type TaskEvaluation } from '../tasks/task.js';
import { openTask } from '../tasks/tasks.js';
import { closedLoopMetrics, environmentForTask, evaluateRunInEnvironment } from './closed-loop.js';
import type { ResultRow } from './results.js';

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
  return async (obs, count, nfe, seed) => {
    const out = new Float32Array(count * task.horizon * task.actDim);
    const per = task.horizon * task.actDim;
    const perObs = task.obsSteps * task.obsDim;
    const interpolant = interpolantFor(config);
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
          // nfe counts network calls: a Heun / midpoint step makes two.
          steps: nfe / callsPerStep(algorithm),
          start: config.sampleStart === 'auto' ? (algorithm.defaultStart ?? 'noise') : config.sampleStart,
          seed: mixSeed(seed, b, 0xe7a1),
          batch: n,
          horizon: task.horizon,
          actDim: task.actDim,
        });
      });
      out.set((await actions.data()) as Float32Array, start * per);
      actions.dispose();
    }
    return out;
  };
}

/** The NFE values a run is evaluated at (defined beside the sampler table). */
export { nfeList } from '../algorithms/samplers.js';

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

/** Windows per forward pass of the validation loss. */
const VALIDATION_CHUNK = 256;

/**
 * The algorithm's own training loss on the task's held-out data (dataset tasks), with the EMA
 * weights in eval mode (no dropout), the delta_t of the last training step, and seeded draws;
 * null when the task has no held-out data or the algorithm needs a teacher that is not given.
 */
export async function validationLoss(
  model: Model,
  algorithm: Algorithm,
  task: Task,
  config: RunConfig,
  teacher?: Teacher,
): Promise<number | null> {
  if (!task.validationBatch || (algorithm.needsTeacher && !teacher)) return null;
  const { batch, count } = task.validationBatch(config.evalSamples);
  if (!batch.obs) return null;
  const interpolant = interpolantFor(config);
  const deltaT = new WarmupAnnealing({
    maxSteps: config.steps,
    warmupRatio: config.warmupRatio,
    rampupRatio: config.rampupRatio,
  }).value(config.steps);
  const [H, A, To, D] = [task.horizon, task.actDim, task.obsSteps, task.obsDim];
  let total = 0;
  for (let start = 0, k = 0; start < count; start += VALIDATION_CHUNK, k++) {
    const n = Math.min(VALIDATION_CHUNK, count - start);
    const loss = tf.tidy(() => {
      const action = tf.tensor3d(batch.action.subarray(start * H * A, (start + n) * H * A), [n, H, A]);
      const obs = tf.tensor3d(batch.obs!.subarray(start * To * D, (start + n) * To * D), [n, To, D]);
      const ctx = {
        flowMap: model.flowMap,
        teacher: teacher?.on(obs),
        interpolant,
        rng: new RandomStream(mixSeed(config.seed, k, 0x7a11)),
        training: false,
        options: config.lossOptions,
      };
      return algorithm.loss(ctx, { action, cond: model.encode(obs, false), deltaT }).loss;
    });
    total += (await loss.data())[0] * n;
    loss.dispose();
  }
  return total / count;
}

/**
 * Evaluates a model at each NFE: the task's metrics, plus `valLoss` (the same at every NFE) on
 * tasks with held-out data.
 */
export async function evaluateAtEachNfe(
  model: Model,
  algorithm: Algorithm,
  task: Task,
  config: RunConfig,
  nfes: readonly number[],
  teacher?: Teacher,
): Promise<{ nfe: number; evaluation: TaskEvaluation }[]> {
  const valLoss = await validationLoss(model, algorithm, task, config, teacher);
  const out: { nfe: number; evaluation: TaskEvaluation }[] = [];
  for (const nfe of nfes) {
    const evaluation = await evaluateModel(model, algorithm, task, config, nfe);
    if (valLoss !== null) evaluation.metrics = { valLoss, ...evaluation.metrics };
    out.push({ nfe, evaluation });
  }
  return out;
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
  const saved = readJsonFile(configPath, 'a run config') as Record<string, unknown>;
  const config = validateRunConfig(
    {
      ...saved,
      ...(o.data ? { data: o.data } : {}),
      ...(o.evalSamples ? { evalSamples: o.evalSamples } : {}),
      ...(o.packages?.length ? { algorithmPackages: o.packages } : {}),
    },
    { file: configPath },
  );
  await prepareBackend(o.backend, o.log);
  const algorithm = await algorithmFor(config);
  // The normalizers the run trained with (saved in its folder), not ones refitted now.
  const task = await openTask(config, { normalizersFile: join(runDir, NORMALIZERS_FILE) });
  const state = readJsonFile(join(ck, 'state.json'), 'a checkpoint state') as {
    step: number;
    trainSeconds: number;
  };
  let model: Model | null = null;
  let teacher: Teacher | null = null;
  try {
    model = await loadModel(join(ck, 'ema'), config, task);
    // The validation loss of ctm / lmd reads their teacher: the given one or the one trained first.
    const teacherDir = config.teacher ?? join(runDir, 'teacher');
    if (algorithm.needsTeacher && task.validationBatch && existsSync(teacherDir)) {
      teacher = await loadTeacher(teacherDir, task);
    }
    const nfes = o.nfe ? nfeList(algorithm, o.nfe, '--nfe') : nfeList(algorithm, config.evalNfe, config);
    const rows: ResultRow[] = (
      await evaluateAtEachNfe(model, algorithm, task, config, nfes, teacher ?? undefined)
    ).map(({ nfe, evaluation }) => ({
      algorithm: config.algorithm,
      network: config.network,
      task: config.task,
      seed: config.seed,
      nfe,
      metrics: evaluation.metrics,
      trainSeconds: state.trainSeconds,
      steps: state.step,
    }));
    // The closed-loop metrics `mipjs train` adds on tasks with an environment, so eval gives the same row.
    const env = environmentForTask(config.task);
    if (env && config.evalEpisodes > 0 && existsSync(join(runDir, POLICY_MANIFEST_FILE))) {
      for (const r of await evaluateRunInEnvironment(runDir, { env, nfes, episodes: config.evalEpisodes })) {
        const row = rows.find((x) => x.nfe === r.nfe);
        if (row) row.metrics = { ...row.metrics, ...closedLoopMetrics(r) };
      }
    }
    return rows;
  } finally {
    model?.dispose();
    teacher?.dispose();
    task.close?.();
  }
}
