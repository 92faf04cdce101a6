import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interpolant } from '@mipjs/interpolant';
import { createNetwork, FlowMap } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import type { Algorithm } from '../algorithms/algorithm.js';
import type { BackendName, ConcreteBackend } from '../backend/backend.js';
import { validateRunConfig } from '../config/config.js';
import type { Progress } from '../io/progress.js';
import { teacherOfFlowMap } from '../model/model.js';
import { runPool } from '../sweep/pool.js';
import { startLocalRedis } from '../sweep/queue/redis-server.js';
import { remoteSweep } from '../sweep/queue/remote-sweep.js';
import { sweep } from '../sweep/sweep.js';
import { mixSeed, type Task } from '../tasks/task.js';
import { train } from '../train/trainer.js';
import { processTreeCpuSeconds, type SweepTiming } from './sweep-scaling.js';

/** Shapes of the perf task: a PushT-like chunk (H 16, A 2) conditioned on 2 steps of 20 features. */
export interface PerfShape {
  horizon: number;
  actDim: number;
  obsSteps: number;
  obsDim: number;
}

export const PERF_SHAPE: PerfShape = { horizon: 16, actDim: 2, obsSteps: 2, obsDim: 20 };

/**
 * A synthetic task of the perf shape: seeded uniform actions and observations. Speed does not
 * depend on the values, and no dataset file is needed, so anyone can repeat the numbers.
 */
export function perfTask(shape: PerfShape = PERF_SHAPE): Task {
  const fill = (n: number, seed: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mixSeed(seed, i) / 2147483648 - 1;
    return out;
  };
  return {
    name: 'perf',
    description: 'synthetic perf task',
    ...shape,
    trainBatch: (seed, index, b) => ({
      action: fill(b * shape.horizon * shape.actDim, mixSeed(seed, index, 1)),
      obs: fill(b * shape.obsSteps * shape.obsDim, mixSeed(seed, index, 2)),
    }),
    async evaluate() {
      return { metrics: {} };
    },
  };
}

/** Thrown from the progress hook after the last measured step (before any checkpoint is written). */
class StopMeasurement extends Error {}

/** What one timed training needs. */
export interface TrainSpec {
  algorithm: Algorithm;
  network: string;
  networkOptions: Record<string, unknown>;
  /** Loss options of the run (default none: the algorithm's defaults). */
  lossOptions?: Record<string, unknown>;
  batch: number;
  /** Steps to run; every step is timed. */
  steps: number;
  shape?: PerfShape;
  /** Observation encoder of the run (default the run config's, identity); the image section sets `image`. */
  encoder?: string;
  encoderOptions?: Record<string, unknown>;
  /** Called after each step, outside the timed interval (memory sampling). */
  onStep?: (step: number) => void;
}

/**
 * Runs the bench's real trainer (`train`: loss, gradients, global-norm clip, AdamW, EMA, the
 * per-step host read-back of loss and gradient norm) for `steps` steps and returns each step's
 * wall time in ms. The run stops through its progress hook right after the last step, so no
 * checkpoint is written and the models are disposed by the trainer's own error path.
 * ctm / lmd get a freshly initialised teacher of the same network (speed only).
 */
export async function timeTrainSteps(spec: TrainSpec): Promise<number[]> {
  const shape = spec.shape ?? PERF_SHAPE;
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-perf-'));
  const config = validateRunConfig({
    task: 'checkerboard',
    algorithm: spec.algorithm.name,
    network: spec.network,
    networkOptions: spec.networkOptions,
    ...(spec.lossOptions ? { lossOptions: spec.lossOptions } : {}),
    ...(spec.encoder ? { encoder: spec.encoder, encoderOptions: spec.encoderOptions ?? {} } : {}),
    steps: spec.steps + 1,
    batchSize: spec.batch,
    lr: 1e-4,
    weightDecay: 1e-5,
    gradClip: 10,
    emaRate: 0.995,
    warmupRatio: 0.2,
    rampupRatio: 0.5,
    seed: 0,
    evalSamples: 1,
    logEvery: spec.steps + 1,
    checkpointEvery: spec.steps + 1,
  });
  const teacherNet = spec.algorithm.needsTeacher
    ? createNetwork(spec.network, {
        ...spec.networkOptions,
        horizon: shape.horizon,
        actDim: shape.actDim,
        obsSteps: shape.obsSteps,
        condDim: shape.obsDim,
        seed: 1,
      })
    : null;
  const times: number[] = [];
  let last = 0;
  const progress: Progress = {
    start() {
      last = performance.now();
    },
    update(step) {
      times.push(performance.now() - last);
      spec.onStep?.(step);
      if (step >= spec.steps) throw new StopMeasurement();
      last = performance.now();
    },
    stop() {},
  };
  try {
    await train({
      config,
      algorithm: spec.algorithm,
      task: perfTask(shape),
      dir,
      teacher: teacherNet ? teacherOfFlowMap(new FlowMap(teacherNet)) : undefined,
      progress,
    });
  } catch (error) {
    if (!(error instanceof StopMeasurement)) throw error;
  } finally {
    teacherNet?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

/** Memory over a training run: numTensors and RSS after each step (from step 2 on). */
export async function trainMemory(
  spec: Omit<TrainSpec, 'onStep'>,
): Promise<{ tensors: number[]; rssMB: number[] }> {
  const tensors: number[] = [];
  const rssMB: number[] = [];
  await timeTrainSteps({
    ...spec,
    onStep: (step) => {
      // Step 1 creates the optimizer state; from then on the count must not move.
      if (step < 2) return;
      tensors.push(tf.memory().numTensors);
      rssMB.push(process.memoryUsage().rss / 2 ** 20);
    },
  });
  return { tensors, rssMB };
}

/** What one sampling-latency measurement needs. */
export interface SampleSpec {
  algorithm: Algorithm;
  /** Sampler steps (the NFE of the ODE and flow-map samplers; mip always makes 2 calls). */
  steps: number;
  network: string;
  networkOptions: Record<string, unknown>;
  warmup: number;
  repeats: number;
  shape?: PerfShape;
}

/**
 * Latency of one action chunk at batch 1: the algorithm's sampler on an observation embedding,
 * with the actions read back to the host (what a robot loop waits for). ms per chunk.
 */
export async function timeSampling(spec: SampleSpec): Promise<number[]> {
  const shape = spec.shape ?? PERF_SHAPE;
  const net = createNetwork(spec.network, {
    ...spec.networkOptions,
    horizon: shape.horizon,
    actDim: shape.actDim,
    obsSteps: shape.obsSteps,
    condDim: shape.obsDim,
    seed: 0,
  });
  const ctx = { flowMap: new FlowMap(net), interpolant: new Interpolant('linear') };
  const cond = tf.randomUniform([1, shape.obsSteps, shape.obsDim], -1, 1, 'float32', 0) as tf.Tensor3D;
  const times: number[] = [];
  try {
    for (let i = 0; i < spec.warmup + spec.repeats; i++) {
      const t0 = performance.now();
      const x = spec.algorithm.sampler(ctx, cond, { steps: spec.steps, start: 'zero' });
      // The read is part of the latency (a policy hands host arrays to the robot); `await data()`
      // also works where there is no synchronous read (WebGPU in Node).
      await x.data();
      const dt = performance.now() - t0;
      x.dispose();
      if (i >= spec.warmup) times.push(dt);
    }
  } finally {
    cond.dispose();
    net.dispose();
  }
  return times;
}

/** What a sweep-throughput measurement runs. */
export interface SweepSpec {
  backend: BackendName;
  workers: number;
  /** Runs in the sweep (seeds of one algorithm on checkerboard). */
  runs: number;
  /** Training steps per run. */
  steps: number;
  log?: (line: string) => void;
}

/** The grid both sweep timings run: checkerboard flow, `runs` seeds of `steps` steps, a 1-NFE evaluation. */
function sweepGridOf(spec: SweepSpec) {
  return {
    algorithms: ['flow'],
    tasks: ['checkerboard'],
    seeds: Array.from({ length: spec.runs }, (_, i) => i),
    sets: [],
    file: {},
    flags: {
      steps: spec.steps,
      evalSamples: 500,
      evalNfe: [1],
      logEvery: spec.steps,
      checkpointEvery: spec.steps,
    },
  };
}

/**
 * Times a real `mipjs sweep` (checkerboard, flow, `runs` seeds, each `steps` steps and a
 * 1-NFE evaluation, report included) with `workers` processes: its wall seconds, each run's own
 * training seconds and the CPU seconds of this process and its workers meanwhile.
 * `--workers 1` runs in the perf process itself, exactly as the CLI does.
 */
export async function timeSweep(spec: SweepSpec): Promise<SweepTiming> {
  const out = mkdtempSync(join(tmpdir(), 'mipjs-perf-sweep-'));
  const cpu0 = processTreeCpuSeconds();
  const t0 = performance.now();
  try {
    const { rows } = await sweep({
      ...sweepGridOf(spec),
      backend: spec.backend,
      out,
      workers: spec.workers,
      quiet: true,
      log: spec.log ?? (() => {}),
      print: () => {},
    });
    const seconds = (performance.now() - t0) / 1000;
    // The pool has reaped its workers when sweep() returns, so their CPU is in cutime.
    const cpu1 = processTreeCpuSeconds();
    return {
      seconds,
      trainSeconds: rows.map((r) => r.trainSeconds),
      cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The CLI entry (dist/cli.js) that the queue measurement starts `mipjs worker` processes from. */
const CLI_ENTRY = fileURLToPath(new URL('../cli.js', import.meta.url));

/**
 * Times the same sweep as {@link timeSweep} on a queue: a throw-away local redis-server,
 * `workers` `mipjs worker --concurrency 1` processes started (and idle) first, then the grid
 * submitted, followed and collected with its report, as `mipjs sweep --queue` does. Gives the
 * seconds from submission to the written report and each run's training seconds; no CPU
 * seconds, since the workers are separate services here as on real machines, and their own
 * start (with their pre-started training processes) is left out. Throws when redis-server is
 * not installed.
 */
export async function timeQueueSweep(spec: SweepSpec): Promise<SweepTiming> {
  const redis = await startLocalRedis();
  const root = mkdtempSync(join(tmpdir(), 'mipjs-perf-queue-'));
  const name = 'perf';
  const children = Array.from({ length: spec.workers }, () =>
    spawn(
      process.execPath,
      [
        CLI_ENTRY,
        'worker',
        '--queue',
        redis.url,
        '--name',
        name,
        '--store',
        join(root, 'store'),
        '--until-done',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  try {
    // Each worker says its training processes are started (warm) before the clock starts:
    // the per-job overhead then holds only the queue's own cost, not worker start-up.
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            let text = '';
            child.stderr?.on('data', (d: Buffer) => {
              text += d.toString();
              if (/ training process\(es\) ready in /.test(text)) resolve();
            });
            child.once('exit', (code) =>
              reject(new Error(`mipjs worker exited (code ${code}): ${text.trim()}`)),
            );
          }),
      ),
    );
    const t0 = performance.now();
    const { collected } = await remoteSweep({
      ...sweepGridOf(spec),
      backend: spec.backend,
      queue: redis.url,
      name,
      out: join(root, 'out'),
      quiet: true,
      log: spec.log ?? (() => {}),
      print: () => {},
    });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, trainSeconds: (collected?.rows ?? []).map((r) => r.trainSeconds), cpuSeconds: null };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** One train measurement run in a fresh process (see `isolatedTrainSteps`; served by perf/worker.ts). */
export interface TrainJob {
  backend: ConcreteBackend;
  algorithm: string;
  network: string;
  networkOptions: Record<string, unknown>;
  lossOptions?: Record<string, unknown>;
  batch: number;
  steps: number;
}

/** The perf worker entry (dist/perf/worker.js). */
export const PERF_WORKER_ENTRY = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * {@link timeTrainSteps} in a fresh worker process. Why: the wasm heap only grows (up to 4 GB) and
 * fragments; two dozen W512 trainings in one process end in `Aborted()` / "memory access out of
 * bounds". A fresh process per measurement starts from a clean heap, so every number is also
 * independent of what was measured before it. Costs about a second of start-up per measurement.
 */
export async function isolatedTrainSteps(job: TrainJob): Promise<number[]> {
  const { done, failed } = await runPool<TrainJob, number[]>(
    [{ id: `${job.network}/${job.algorithm}`, input: job }],
    1,
    {
      entry: PERF_WORKER_ENTRY,
    },
  );
  if (failed.length > 0)
    throw new Error(`train measurement ${failed[0].job.id} failed: ${failed[0].message}`);
  return done[0].output!;
}
