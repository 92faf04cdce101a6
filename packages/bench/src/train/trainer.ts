// train/ owns training: the trainer loop, the optimizer and its schedule, checkpoints and their tensor store.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Interpolant, RandomStream, WarmupAnnealing } from '@mipjs/interpolant';
import type { LossContext } from '@mipjs/losses';
import { Ema, type FlowMap } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import type { Algorithm } from '../algorithms/algorithms.js';
import { configMismatch, type RunConfig, validateRunConfig } from '../config/config.js';
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../io/io.js';
import type { Progress } from '../io/progress.js';
import { buildModel, encoderAsWeights, loadModelInto, type Model, saveModel } from '../model/model.js';
import { mixSeed, type Task } from '../tasks/task.js';
import { AdamW } from './optim/adamw.js';
import { cosineLr } from './optim/schedule.js';
import { readTensorStore, writeTensorStore } from './tensor-store.js';

/** A non-finite loss or gradient: the run stops, the last good checkpoint stays. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** A resume folder that does not belong to this config. */
export class ResumeError extends Error {
  override name = 'ResumeError';
}

/** One line of metrics.jsonl. */
export interface MetricLine {
  step: number;
  loss: number;
  terms: Record<string, number>;
  gradNorm: number;
  lr: number;
  deltaT: number;
  stepsPerSecond: number;
  elapsedSeconds: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  config: RunConfig;
  algorithm: Algorithm;
  task: Task;
  /** The run folder (created). */
  dir: string;
  /** Continue from `dir/checkpoint` when it exists. */
  resume?: boolean;
  /** Stop (as if killed) after this step's checkpoint; for tests of --resume. */
  stopAfterStep?: number;
  /** Frozen teacher velocity for ctm / lmd. */
  teacher?: FlowMap;
  progress?: Progress;
  log?: (line: string) => void;
}

/** What a finished (or stopped) run leaves in memory. */
export interface TrainResult {
  model: Model;
  /** The EMA copy used for evaluation (always a separate copy, even when emaRate is 1). */
  ema: Model;
  step: number;
  trainSeconds: number;
  metrics: MetricLine[];
  dispose(): void;
}

interface CheckpointState {
  format: 'mipjs-checkpoint';
  version: 2;
  step: number;
  optimizerStep: number;
  trainSeconds: number;
  /** Every random draw of step k comes from RandomStream(mixSeed(seed, k)): the seed is the RNG state. */
  rng: { kind: 'per-step-splitmix'; seed: number; nextStep: number };
  algorithm: string;
}

/** Paths inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  checkpoint: 'checkpoint',
} as const;

/**
 * Paths inside `checkpoint/`: the trained and EMA weights as @mipjs/nets weights directories
 * (`model/network`, `model/encoder`, `ema/network`, `ema/encoder`: `manifest.json` +
 * `weights.bin` each), the AdamW moments (`optimizer.json` + `optimizer.bin`), `state.json`
 * (step, RNG state) and the `config.json` that rebuilds the architecture.
 */
export const CHECKPOINT_FILES = {
  model: 'model',
  ema: 'ema',
  optimizer: 'optimizer',
  state: 'state.json',
  config: 'config.json',
} as const;

function readCheckpoint(dir: string): { state: CheckpointState; path: string } | null {
  const ck = join(dir, RUN_FILES.checkpoint);
  if (!existsSync(join(ck, CHECKPOINT_FILES.state))) return null;
  const state = JSON.parse(readFileSync(join(ck, CHECKPOINT_FILES.state), 'utf8')) as CheckpointState;
  if (state.format !== 'mipjs-checkpoint' || state.version !== 2)
    throw new ResumeError(`${ck} is not a mipjs checkpoint of version 2`);
  return { state, path: ck };
}

/**
 * Trains one run: AdamW (decoupled decay), cosine LR (eta_min 0), global-norm clipping, EMA
 * weights, the delta_t schedule, checkpoints (atomic) with optimizer and EMA state, and exact
 * resume. Every random quantity of step k is drawn from `RandomStream(mixSeed(seed, k))` and the
 * batch of step k from `task.trainBatch(seed, k)`, so a resumed run replays the same draws.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { algorithm, task, dir, teacher } = options;
  const config = validateRunConfig(options.config);
  const log = options.log ?? (() => {});
  mkdirSync(dir, { recursive: true });

  let startStep = 0;
  let trainSecondsBefore = 0;
  let metrics: MetricLine[] = [];
  const saved = options.resume ? readCheckpoint(dir) : null;
  if (options.resume && existsSync(join(dir, RUN_FILES.config))) {
    const before = validateRunConfig(JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')));
    const diffs = configMismatch(before, config);
    if (diffs.length > 0) {
      throw new ResumeError(
        `cannot resume ${dir}: it was written by another config:\n  ${diffs.join('\n  ')}`,
      );
    }
  } else if (!options.resume && existsSync(join(dir, RUN_FILES.checkpoint))) {
    throw new ResumeError(
      `${dir} already holds a checkpoint; pass --resume to continue it or choose another --out`,
    );
  }

  const model = buildModel(config, task);
  const ema = buildModel(config, task);
  // The encoder trains with the network: one optimizer, one EMA, one checkpoint.
  const trainable = model.variables.filter((v) => v.trainable);
  // EMA copies start equal to the initial model (reference: deep copies).
  const averages = [new Ema(model.network, ema.network)];
  if (model.encoder && ema.encoder)
    averages.push(new Ema(encoderAsWeights(model.encoder), encoderAsWeights(ema.encoder)));
  const optimizer = new AdamW(trainable, { lr: config.lr, weightDecay: config.weightDecay });
  const dispose = () => {
    model.dispose();
    ema.dispose();
    optimizer.dispose();
  };

  try {
    if (saved) {
      await loadModelInto(model, join(saved.path, CHECKPOINT_FILES.model));
      await loadModelInto(ema, join(saved.path, CHECKPOINT_FILES.ema));
      optimizer.setState(saved.state.optimizerStep, readTensorStore(saved.path, CHECKPOINT_FILES.optimizer));
      startStep = saved.state.step;
      trainSecondsBefore = saved.state.trainSeconds;
      if (existsSync(join(dir, RUN_FILES.metrics))) {
        metrics = readFileSync(join(dir, RUN_FILES.metrics), 'utf8')
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as MetricLine)
          .filter((m) => m.step <= startStep);
      }
      log(`resuming ${dir} at step ${startStep}`);
    }
    writeJsonAtomic(join(dir, RUN_FILES.config), config);

    const interpolant = new Interpolant(config.interpolant);
    const deltaT = new WarmupAnnealing({
      maxSteps: config.steps,
      warmupRatio: config.warmupRatio,
      rampupRatio: config.rampupRatio,
    });
    const flowMap = model.flowMap;
    const [B, H, A] = [config.batchSize, task.horizon, task.actDim];

    const writeCheckpoint = async (step: number, seconds: number) => {
      const state: CheckpointState = {
        format: 'mipjs-checkpoint',
        version: 2,
        step,
        optimizerStep: optimizer.stepCount,
        trainSeconds: seconds,
        rng: { kind: 'per-step-splitmix', seed: config.seed, nextStep: step },
        algorithm: algorithm.name,
      };
      const opt = optimizer.getState();
      await writeDirAtomic(join(dir, RUN_FILES.checkpoint), async (tmp) => {
        await saveModel(model, join(tmp, CHECKPOINT_FILES.model));
        await saveModel(ema, join(tmp, CHECKPOINT_FILES.ema));
        writeTensorStore(tmp, CHECKPOINT_FILES.optimizer, opt.arrays);
        writeJsonAtomic(join(tmp, CHECKPOINT_FILES.state), state);
        writeJsonAtomic(join(tmp, CHECKPOINT_FILES.config), config);
      });
    };
    const flushMetrics = () =>
      writeFileAtomic(join(dir, RUN_FILES.metrics), metrics.map((m) => JSON.stringify(m)).join('\n') + '\n');

    const t0 = performance.now();
    let windowStart = performance.now();
    let windowSteps = 0;
    let lossSum = 0;
    let termSums: Record<string, number> = {};
    options.progress?.start(config.steps, startStep);
    for (let step = startStep; step < config.steps; step++) {
      const lr = cosineLr(step, config.steps, config.lr);
      const dT = deltaT.value(step);
      const host = task.trainBatch(config.seed, step, B);
      const action = tf.tensor3d(host.action, [B, H, A]);
      const obs = host.obs ? tf.tensor3d(host.obs, [B, task.obsSteps, task.obsDim]) : null;
      const rng = new RandomStream(mixSeed(config.seed, step, 0x5eed));
      let termNames: string[] = [];
      let termValues: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const cond = model.encode(obs, true, mixSeed(config.seed, step, 0xd409));
        const ctx: LossContext<Record<string, unknown>> = {
          flowMap,
          teacher,
          interpolant,
          rng,
          training: true,
          options: config.lossOptions,
        };
        const result = algorithm.loss(ctx, { action, cond, deltaT: dT });
        termNames = Object.keys(result.terms);
        termValues = termNames.map((k) => tf.keep(result.terms[k]));
        return result.loss;
      }, trainable);
      // A variable the loss does not reach (e.g. the MLP's unused scalar head) has no gradient.
      const gradList: (tf.Tensor | null)[] = trainable.map((v) => grads[v.name] ?? null);
      const present = gradList.filter((g): g is tf.Tensor => g != null);
      const stats = tf.tidy(() =>
        tf.stack([
          value,
          ...termValues,
          tf.addN([tf.scalar(0), ...present.map((g) => tf.sum(tf.square(g)))]),
        ]),
      );
      const numbers = stats.dataSync();
      stats.dispose();
      const loss = numbers[0];
      const gradNorm = Math.sqrt(numbers[numbers.length - 1]);
      const terms: Record<string, number> = {};
      termNames.forEach((k, i) => {
        terms[k] = numbers[i + 1];
      });
      tf.dispose([value, ...termValues, action]);
      if (obs) obs.dispose();
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        tf.dispose(present);
        const badTerms = termNames.filter((k) => !Number.isFinite(terms[k]));
        const what = !Number.isFinite(loss)
          ? `non-finite loss ${loss}${badTerms.length ? ` (term ${badTerms.map((k) => `'${k}' = ${terms[k]}`).join(', ')})` : ''}`
          : `non-finite gradient (global norm ${gradNorm}; loss ${loss}, terms ${termNames.map((k) => `${k}=${terms[k]}`).join(', ') || 'none'})`;
        throw new NonFiniteError(
          `run stopped at step ${step + 1} of ${config.steps}: algorithm '${algorithm.name}' produced a ${what}. ` +
            `The last good checkpoint (step ${startStep > 0 || existsSync(join(dir, RUN_FILES.checkpoint)) ? readCheckpoint(dir)?.state.step : 'none'}) is untouched.`,
        );
      }
      const coef =
        config.gradClip > 0 && gradNorm > config.gradClip ? config.gradClip / (gradNorm + 1e-6) : 1;
      optimizer.step(gradList, lr, coef);
      tf.dispose(present);
      if (config.emaRate < 1) for (const average of averages) average.update(config.emaRate);

      const done = step + 1;
      windowSteps++;
      lossSum += loss;
      for (const k of termNames) termSums[k] = (termSums[k] ?? 0) + terms[k];
      options.progress?.update(done, loss);
      if (done % config.logEvery === 0 || done === config.steps) {
        const now = performance.now();
        const line: MetricLine = {
          step: done,
          loss: lossSum / windowSteps,
          terms: Object.fromEntries(Object.entries(termSums).map(([k, v]) => [k, v / windowSteps])),
          gradNorm,
          lr,
          deltaT: dT,
          stepsPerSecond: (windowSteps * 1000) / Math.max(now - windowStart, 1e-9),
          elapsedSeconds: trainSecondsBefore + (now - t0) / 1000,
        };
        metrics.push(line);
        flushMetrics();
        windowStart = now;
        windowSteps = 0;
        lossSum = 0;
        termSums = {};
      }
      if (done % config.checkpointEvery === 0 || done === config.steps || done === options.stopAfterStep) {
        await writeCheckpoint(done, trainSecondsBefore + (performance.now() - t0) / 1000);
      }
      if (done === options.stopAfterStep) {
        options.progress?.stop();
        return {
          model,
          ema,
          step: done,
          trainSeconds: trainSecondsBefore + (performance.now() - t0) / 1000,
          metrics,
          dispose,
        };
      }
    }
    options.progress?.stop();
    if (startStep >= config.steps && !existsSync(join(dir, RUN_FILES.checkpoint)))
      await writeCheckpoint(config.steps, 0);
    const trainSeconds = trainSecondsBefore + (performance.now() - t0) / 1000;
    return { model, ema, step: config.steps, trainSeconds, metrics, dispose };
  } catch (error) {
    options.progress?.stop();
    dispose();
    throw error;
  }
}

/** Removes a run folder's checkpoint (used when a run is restarted from scratch). */
export function clearCheckpoint(dir: string): void {
  rmSync(join(dir, RUN_FILES.checkpoint), { recursive: true, force: true });
}
