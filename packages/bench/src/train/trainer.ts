// train/ owns training: the trainer loop, the optimizer and its schedule, checkpoints and their tensor store.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Interpolant, RandomStream, WarmupAnnealing } from '@mipjs/interpolant';
import type { LossContext } from '@mipjs/losses';
import { Ema } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import type { Algorithm } from '../algorithms/algorithms.js';
import { interpolantFor } from '../algorithms/schedules.js';
import {
  ConfigError,
  configMismatch,
  fieldLabel,
  type RunConfig,
  validateRunConfig,
} from '../config/config.js';
import { makeDir, readJsonFile, readJsonLines, writeFileAtomic, writeJsonAtomic } from '../io/io.js';
import type { Progress } from '../io/progress.js';
import { buildModel, encoderAsWeights, loadModelInto, type Model, type Teacher } from '../model/model.js';
import { mixSeed, type Task } from '../tasks/task.js';
import {
  type BestState,
  CHECKPOINT_FILES,
  type CheckpointState,
  ResumeError,
  RUN_FILES,
  readBest,
  readCheckpoint,
  recoverRunFolder,
  writeBestCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { AdamW } from './optim/adamw.js';
import { cosineLr } from './optim/schedule.js';
import { estimateStepBytes, stepMemoryProblem } from './step-memory.js';
import { readTensorStore } from './tensor-store.js';

export {
  BEST_FILE,
  type BestState,
  CHECKPOINT_FILES,
  clearCheckpoint,
  ResumeError,
  RUN_FILES,
  readBest,
} from './checkpoint.js';

/** A non-finite loss or gradient: the run stops, the last good checkpoint stays. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
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

/** A metrics.jsonl line of a closed-loop evaluation during training (`evalEvery`). */
export interface ClosedLoopLine {
  step: number;
  closedLoop: Record<string, number>;
}

/** A line of metrics.jsonl: a loss line or a closed-loop line. */
export type MetricsFileLine = MetricLine | ClosedLoopLine;

/**
 * Evaluation during training: every `every` steps (not at step 0) `evaluate` runs on the EMA
 * model; its metrics become a `{ step, closedLoop }` line of metrics.jsonl, and when `score` of
 * them beats the best so far the EMA weights go to `checkpoint-best/` (with `best.json`). The
 * regular `checkpoint/` is untouched by this; a resume continues from it and reads the best score
 * back from `best.json`.
 */
export interface EvaluateEvery {
  every: number;
  evaluate(step: number, ema: Model): Promise<Record<string, number>> | Record<string, number>;
  score(metrics: Record<string, number>): number;
  /** Writes extra files into the temporary folder of a new `checkpoint-best/` (e.g. `policy.json`). */
  writeBestFiles?(tmpDir: string): void | Promise<void>;
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
  /**
   * Called after each regular checkpoint is written (e.g. to describe it with `policy.json`):
   * a run that stops before its end is evaluable from its last checkpoint, and a run that fails
   * before its first checkpoint leaves no such file.
   */
  afterCheckpoint?: (step: number) => void | Promise<void>;
  /** Frozen teacher for ctm / lmd: its velocity on its own encoding of each batch's observations. */
  teacher?: Teacher;
  progress?: Progress;
  log?: (line: string) => void;
  /** Closed-loop evaluation during training (run/ builds it for tasks with an environment). */
  evaluateEvery?: EvaluateEvery;
}

/** What a finished (or stopped) run leaves in memory. */
export interface TrainResult {
  model: Model;
  /** The EMA copy used for evaluation (always a separate copy, even when emaRate is 1). */
  ema: Model;
  step: number;
  trainSeconds: number;
  metrics: MetricLine[];
  /** The closed-loop evaluations during training (`evaluateEvery`), resumed ones included. */
  closedLoop: ClosedLoopLine[];
  /** The best of them (`checkpoint-best/best.json`), or null. */
  best: BestState | null;
  dispose(): void;
}

/**
 * Trains one run: AdamW (decoupled decay), cosine LR (eta_min 0), global-norm clipping, EMA
 * weights, the delta_t schedule, checkpoints (atomic) with optimizer and EMA state, and exact
 * resume. Every random quantity of step k is drawn from `RandomStream(mixSeed(seed, k))` and the
 * batch of step k from `task.trainBatch(seed, k)`, so a resumed run replays the same draws.
 *
 * The steps: `checkResumable` (the folder may be written: a resume of the same config, or a
 * fresh folder), `setUp` (model, EMA copy, optimizer), `resume` (weights, moments, step and
 * metrics from the checkpoint), `stepLoop` (optimizer steps, metrics lines, periodic checkpoints
 * in `checkpoint.ts`), `finalSave` (the checkpoint of a run resumed past its end).
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const config = validateRunConfig(options.config);
  if (existsSync(options.dir)) recoverRunFolder(options.dir, options.log ?? (() => {}));
  const saved = checkResumable(options, config);
  const run = setUp(options, config);
  try {
    // Before anything is written: a batch that cannot fit fails here, not minutes later with
    // `memory access out of bounds`.
    await checkStepMemory(run);
    makeDir(options.dir);
    const start = await resume(run, saved);
    writeJsonAtomic(join(run.dir, RUN_FILES.config), config);
    const end = await stepLoop(run, start);
    copyEmaIfRateZero(run);
    options.progress?.stop();
    if (!end.stopped) await finalSave(run, start);
    const trainSeconds = start.trainSeconds + (performance.now() - end.t0) / 1000;
    return {
      model: run.model,
      ema: run.ema,
      step: end.step,
      trainSeconds,
      metrics: start.metrics.filter(isLossLine),
      closedLoop: start.metrics.filter((m): m is ClosedLoopLine => !isLossLine(m)),
      best: start.best,
      dispose: run.dispose,
    };
  } catch (error) {
    options.progress?.stop();
    run.dispose();
    throw error;
  }
}

/** A run being trained: its options, validated config, and what `setUp` built. */
interface TrainingRun {
  options: TrainOptions;
  config: RunConfig;
  dir: string;
  log: (line: string) => void;
  model: Model;
  ema: Model;
  trainable: tf.Variable[];
  averages: Ema[];
  optimizer: AdamW;
  dispose(): void;
}

/** Where the step loop starts: step, time and metrics lines so far (all zero for a fresh run). */
interface StartPoint {
  step: number;
  trainSeconds: number;
  /** metrics.jsonl so far; the step loop appends to it. */
  metrics: MetricsFileLine[];
  /** The best closed-loop evaluation so far (read back from `checkpoint-best/best.json` on resume). */
  best: BestState | null;
}

function isLossLine(m: MetricsFileLine): m is MetricLine {
  return !('closedLoop' in m);
}

/**
 * Step 1: the folder may be written. A resume must find the same config in it (its checkpoint,
 * when there is one, is returned); a fresh run must not find a checkpoint.
 */
function checkResumable(
  options: TrainOptions,
  config: RunConfig,
): { state: CheckpointState; path: string } | null {
  const { dir } = options;
  const saved = options.resume ? readCheckpoint(dir) : null;
  if (options.resume && existsSync(join(dir, RUN_FILES.config))) {
    const savedPath = join(dir, RUN_FILES.config);
    const before = validateRunConfig(readJsonFile(savedPath, 'a run config'), { file: savedPath });
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
  return saved;
}

/** Step 2: the model, its EMA copy and the optimizer over both network and encoder. */
function setUp(options: TrainOptions, config: RunConfig): TrainingRun {
  const model = buildModel(config, options.task);
  const ema = buildModel(config, options.task);
  // The encoder trains with the network: one optimizer, one EMA, one checkpoint.
  const trainable = model.variables.filter((v) => v.trainable);
  // EMA copies start equal to the initial model (reference: deep copies).
  const averages = [new Ema(model.network, ema.network)];
  if (model.encoder && ema.encoder)
    averages.push(new Ema(encoderAsWeights(model.encoder), encoderAsWeights(ema.encoder)));
  const optimizer = new AdamW(trainable, { lr: config.lr, weightDecay: config.weightDecay });
  return {
    options,
    config,
    dir: options.dir,
    log: options.log ?? (() => {}),
    model,
    ema,
    trainable,
    averages,
    optimizer,
    dispose: () => {
      model.dispose();
      ema.dispose();
      optimizer.dispose();
    },
  };
}

/** Step 3: weights, EMA weights, AdamW moments, step, time and metrics lines from the checkpoint. */
async function resume(
  run: TrainingRun,
  saved: { state: CheckpointState; path: string } | null,
): Promise<StartPoint> {
  if (!saved) {
    // A run started over: a best checkpoint left from before is not this run's.
    rmSync(join(run.dir, RUN_FILES.best), { recursive: true, force: true });
    return { step: 0, trainSeconds: 0, metrics: [], best: null };
  }
  const { dir } = run;
  await loadModelInto(run.model, join(saved.path, CHECKPOINT_FILES.model));
  await loadModelInto(run.ema, join(saved.path, CHECKPOINT_FILES.ema));
  run.optimizer.setState(saved.state.optimizerStep, readTensorStore(saved.path, CHECKPOINT_FILES.optimizer));
  const step = saved.state.step;
  let metrics: MetricsFileLine[] = [];
  if (existsSync(join(dir, RUN_FILES.metrics))) {
    // A line cut off by a kill mid-append is dropped: the steps after the checkpoint are replayed.
    metrics = (
      readJsonLines(join(dir, RUN_FILES.metrics), 'metrics lines', {
        allowTruncatedTail: true,
      }) as unknown as MetricsFileLine[]
    ).filter((m) => m.step <= step);
  }
  // The best weights may come from a step past the checkpoint (killed in between): training
  // replays the same draws, so that score stays the one to beat.
  const best = readBest(dir);
  run.log(
    `resuming ${dir} at step ${step} from ${saved.path}${best ? ` (best closed-loop score ${best.score} at step ${best.step})` : ''}`,
  );
  return { step, trainSeconds: saved.state.trainSeconds, metrics, best };
}

/** What one optimizer step reports. */
interface StepReport {
  loss: number;
  gradNorm: number;
  /** The loss terms, in the order the loss returned them. */
  termNames: string[];
  terms: Record<string, number>;
}

/** The loss terms averaged over the steps since the last metrics line. */
class MetricsWindow {
  private started = performance.now();
  private steps = 0;
  private lossSum = 0;
  private termSums: Record<string, number> = {};

  /** The mean loss of the window so far: what its metrics line will say, and the progress shows. */
  get meanLoss(): number {
    return this.lossSum / this.steps;
  }

  /** Steps in the window so far. */
  get size(): number {
    return this.steps;
  }

  add(report: StepReport): void {
    this.steps++;
    this.lossSum += report.loss;
    for (const k of report.termNames) this.termSums[k] = (this.termSums[k] ?? 0) + report.terms[k];
  }

  /** The metrics line of the window (then starts the next one). */
  close(
    step: number,
    last: { gradNorm: number; lr: number; deltaT: number },
    elapsedSeconds: (now: number) => number,
  ): MetricLine {
    const now = performance.now();
    const line: MetricLine = {
      step,
      loss: this.lossSum / this.steps,
      terms: Object.fromEntries(Object.entries(this.termSums).map(([k, v]) => [k, v / this.steps])),
      gradNorm: last.gradNorm,
      lr: last.lr,
      deltaT: last.deltaT,
      stepsPerSecond: (this.steps * 1000) / Math.max(now - this.started, 1e-9),
      elapsedSeconds: elapsedSeconds(now),
    };
    this.started = now;
    this.steps = 0;
    this.lossSum = 0;
    this.termSums = {};
    return line;
  }
}

/**
 * Step 4: the optimizer steps from `start.step` to the end (or to `stopAfterStep`), with a
 * metrics line every `logEvery` steps and a checkpoint every `checkpointEvery` steps, at the end
 * and at `stopAfterStep`.
 */
async function stepLoop(
  run: TrainingRun,
  start: StartPoint,
): Promise<{ step: number; stopped: boolean; t0: number }> {
  const { config, options, dir } = run;
  const interpolant = interpolantFor(config);
  const deltaT = new WarmupAnnealing({
    maxSteps: config.steps,
    warmupRatio: config.warmupRatio,
    rampupRatio: config.rampupRatio,
  });
  const flushMetrics = () =>
    writeFileAtomic(
      join(dir, RUN_FILES.metrics),
      start.metrics.map((m) => JSON.stringify(m)).join('\n') + '\n',
    );
  const t0 = performance.now();
  const seconds = (now: number) => start.trainSeconds + (now - t0) / 1000;
  const window = new MetricsWindow();
  options.progress?.start(config.steps, start.step);
  for (let step = start.step; step < config.steps; step++) {
    const lr = cosineLr(step, config.steps, config.lr);
    const dT = deltaT.value(step);
    await run.options.task.prepareBatch?.(config.seed, step, config.batchSize);
    const report = await optimizerStep(run, interpolant, step, lr, dT, start.step);
    const done = step + 1;
    window.add(report);
    // The window's mean, not this step's loss: the last number on the console is then the final
    // loss of metrics.jsonl and of the report.
    options.progress?.update(done, window.meanLoss, window.size);
    if (done % config.logEvery === 0 || done === config.steps) {
      start.metrics.push(window.close(done, { gradNorm: report.gradNorm, lr, deltaT: dT }, seconds));
      flushMetrics();
    }
    const hook = options.evaluateEvery;
    if (hook && hook.every > 0 && done % hook.every === 0) {
      copyEmaIfRateZero(run);
      await evaluateDuringTraining(run, start, hook, done);
      flushMetrics();
    }
    if (done % config.checkpointEvery === 0 || done === config.steps || done === options.stopAfterStep) {
      copyEmaIfRateZero(run);
      await writeCheckpoint(checkpointParts(run), done, seconds(performance.now()));
      await options.afterCheckpoint?.(done);
    }
    if (done === options.stopAfterStep) return { step: done, stopped: true, t0 };
  }
  return { step: config.steps, stopped: false, t0 };
}

/**
 * A closed-loop evaluation of the EMA model at step `step`: a `{ step, closedLoop }` metrics line,
 * and `checkpoint-best/` when its score beats the best so far. Runs before the step's regular
 * checkpoint, so a kill in between repeats the evaluation on resume.
 */
async function evaluateDuringTraining(
  run: TrainingRun,
  start: StartPoint,
  hook: EvaluateEvery,
  step: number,
): Promise<void> {
  const metrics = await hook.evaluate(step, run.ema);
  start.metrics.push({ step, closedLoop: metrics });
  const score = hook.score(metrics);
  if (Number.isFinite(score) && (start.best === null || score > start.best.score)) {
    start.best = { step, score, metrics };
    await writeBestCheckpoint(run.dir, run.ema, start.best, hook.writeBestFiles);
    run.log(`step ${step}: best closed-loop score ${score} (checkpoint-best/)`);
  }
}

/**
 * Refuses a batch whose training step cannot fit the backend's memory: two probe steps (loss and
 * gradients, nothing applied) at batches 4 and 8 give the peak bytes per sample, extrapolated to
 * `batchSize` ({@link estimateStepBytes}). Small batches are not probed.
 */
async function checkStepMemory(run: TrainingRun): Promise<void> {
  const { config } = run;
  if (config.batchSize <= PROBE_BATCHES[1]) return;
  const interpolant = interpolantFor(config);
  const peaks: { batch: number; peak: number }[] = [];
  for (const b of PROBE_BATCHES) peaks.push({ batch: b, peak: await probeStepPeak(run, interpolant, b) });
  const estimate = estimateStepBytes(peaks[0]!, peaks[1]!, config.batchSize);
  const problem = stepMemoryProblem(
    estimate,
    config.batchSize,
    tf.getBackend(),
    fieldLabel(run.options.config, 'batchSize'),
  );
  if (problem) throw new ConfigError(problem);
}

const PROBE_BATCHES = [4, 8] as const;

/** Peak bytes of the loss and its gradients at batch `b` (step 0's draws; the weights are untouched). */
async function probeStepPeak(run: TrainingRun, interpolant: Interpolant, b: number): Promise<number> {
  const { config, model, trainable } = run;
  const { algorithm, task, teacher } = run.options;
  await task.prepareBatch?.(config.seed, 0, b);
  const host = task.trainBatch(config.seed, 0, b);
  const before = tf.memory().numBytes;
  // tf.profile records the bytes held after each kernel: its peak is the step's high-water mark.
  const info = await tf.profile(() => {
    const action = tf.tensor3d(host.action, [b, task.horizon, task.actDim]);
    const obs = host.obs ? tf.tensor3d(host.obs, [b, task.obsSteps, task.obsDim]) : null;
    const { value, grads } = tf.variableGrads(() => {
      const cond = model.encode(obs, true, mixSeed(config.seed, 0, 0xd409));
      const ctx: LossContext<Record<string, unknown>> = {
        flowMap: model.flowMap,
        teacher: teacher?.on(obs),
        interpolant,
        rng: new RandomStream(mixSeed(config.seed, 0, 0x5eed)),
        training: true,
        options: config.lossOptions,
      };
      return algorithm.loss(ctx, { action, cond, deltaT: 0.01 }).loss;
    }, trainable);
    tf.dispose([action, ...(obs ? [obs] : []), value, ...Object.values(grads)]);
    return [];
  });
  return Math.max(0, info.peakBytes - before);
}

/**
 * One optimizer step at `step`: the batch and draws of that step, the loss and its gradients,
 * the finiteness check, clipping, AdamW and the EMA update. The loss, its terms and the squared
 * gradient norm come back in one `await data()` (one read a step, and no synchronous read, which
 * WebGPU in Node cannot do).
 */
async function optimizerStep(
  run: TrainingRun,
  interpolant: Interpolant,
  step: number,
  lr: number,
  dT: number,
  startStep: number,
): Promise<StepReport> {
  const { config, model, trainable, dir } = run;
  const { algorithm, task, teacher } = run.options;
  const [B, H, A] = [config.batchSize, task.horizon, task.actDim];
  const host = task.trainBatch(config.seed, step, B);
  const action = tf.tensor3d(host.action, [B, H, A]);
  const obs = host.obs ? tf.tensor3d(host.obs, [B, task.obsSteps, task.obsDim]) : null;
  const rng = new RandomStream(mixSeed(config.seed, step, 0x5eed));
  let termNames: string[] = [];
  let termValues: tf.Scalar[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const cond = model.encode(obs, true, mixSeed(config.seed, step, 0xd409));
    const ctx: LossContext<Record<string, unknown>> = {
      flowMap: model.flowMap,
      teacher: teacher?.on(obs),
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
  // ||g||^2 = sum over variables of sum(g^2), added one at a time in order (the rounding of the
  // AddN this replaces): TF.js's webgpu AddN binds every input as a storage buffer, and a WebGPU
  // device allows 8 per shader stage by default, fewer than a network's variables.
  const stats = tf.tidy(() =>
    tf.stack([
      value,
      ...termValues,
      present.reduce<tf.Tensor>((acc, g) => tf.add(acc, tf.sum(tf.square(g))), tf.scalar(0)),
    ]),
  );
  const numbers = await stats.data();
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
  const coef = config.gradClip > 0 && gradNorm > config.gradClip ? config.gradClip / (gradNorm + 1e-6) : 1;
  run.optimizer.step(gradList, lr, coef);
  tf.dispose(present);
  // emaRate 0 makes the EMA a copy of the weights: it is copied when read (copyEmaIfRateZero).
  if (config.emaRate > 0 && config.emaRate < 1)
    for (const average of run.averages) average.update(config.emaRate);
  return { loss, gradNorm, termNames, terms };
}

/**
 * With `emaRate: 0` the EMA update `p_ema <- 0 p_ema + 1 p` is a copy, so the trainer skips it at
 * every step (three kernels per variable: a twentieth of a toy-study step) and copies the weights
 * here, wherever the EMA copy is read: before a checkpoint, an evaluation during training, and
 * at the end. The copy equals what the per-step update gives, bit for bit (0 v + 1 p = p).
 */
function copyEmaIfRateZero(run: TrainingRun): void {
  if (run.config.emaRate === 0) for (const average of run.averages) average.copyFromSource();
}

/**
 * Step 5: a run resumed at or past its last step trains nothing; it still gets a checkpoint of
 * its final step when it has none (the periodic ones cover every other case).
 */
async function finalSave(run: TrainingRun, start: StartPoint): Promise<void> {
  if (start.step >= run.config.steps && !existsSync(join(run.dir, RUN_FILES.checkpoint)))
    await writeCheckpoint(checkpointParts(run), run.config.steps, 0);
}

function checkpointParts(run: TrainingRun) {
  const { dir, config, model, ema, optimizer } = run;
  return { dir, config, algorithm: run.options.algorithm.name, model, ema, optimizer };
}
