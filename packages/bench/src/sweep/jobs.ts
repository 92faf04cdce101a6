// What compare and sweep share: the preflight, and running a batch of runs in-process or on the pool.
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { AlgorithmError } from '../algorithms/algorithm.js';
import { checkLossOptions, resolveAlgorithms } from '../algorithms/algorithms.js';
import type { BackendName } from '../backend/backend.js';
import { prepareBackend } from '../backend/setup.js';
import { oversubscription, requestedWasmThreads } from '../backend/wasm-threads.js';
import { ConfigError, type RunConfig } from '../config/config.js';
import { checkEvalEvery } from '../run/eval-every.js';
import { executeRun, type RunJob, type RunOutcome } from '../run/run.js';
import { checkTaskInput } from '../tasks/tasks.js';
import { forkWorker, type PoolJob, type PoolWorker, releaseWorkers, runPool } from './pool.js';

/** A timestamp safe for folder names. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

/**
 * Checks what needs no data and no backend, before any worker process is forked: every run's
 * algorithm (packages included) and its loss options, evalEvery, the teacher path. Throws the
 * first clear error, so a bad `--algorithms` costs no fork (and no worker dies mid-start-up).
 */
export async function checkRuns(configs: readonly RunConfig[]): Promise<void> {
  const tables = new Map<string, Awaited<ReturnType<typeof resolveAlgorithms>>>();
  for (const c of configs) {
    checkEvalEvery(c);
    const key = c.algorithmPackages.join('\u0000');
    const table = tables.get(key) ?? (await resolveAlgorithms(c.algorithmPackages));
    tables.set(key, table);
    const algorithm = table.get(c.algorithm);
    if (!algorithm) {
      throw new AlgorithmError(
        `unknown algorithm '${c.algorithm}'; valid algorithms: ${[...table.keys()].join(', ')}`,
      );
    }
    checkLossOptions(algorithm, c);
    if (c.teacher) {
      try {
        accessSync(c.teacher, constants.R_OK);
      } catch {
        throw new ConfigError(`cannot read teacher ${c.teacher}: no such file or directory, or not readable`);
      }
    }
  }
}

/**
 * Checks everything a batch of runs needs before anything is written: {@link checkRuns}, then
 * tasks and their data, and the backend. Throws the first clear error.
 */
export async function preflight(
  configs: RunConfig[],
  backend: BackendName,
  log: (l: string) => void,
): Promise<BackendName> {
  await checkRuns(configs);
  for (const key of new Set(configs.map((c) => `${c.task}\u0000${c.data ?? ''}`))) {
    const [task, data] = key.split('\u0000');
    await checkTaskInput(configs.find((c) => c.task === task && (c.data ?? '') === data)!);
  }
  return prepareBackend(backend, log);
}

/**
 * Forks the worker processes of a pool of `workers` for `runs` runs now, before the parent's
 * preflight, so that their start-up (TF.js, wasm, the bench: about a second) overlaps it.
 * None when the runs will run in-process.
 */
export function forkWorkersEarly(workers: number, runs: number): PoolWorker[] {
  const n = Math.min(workers, runs);
  return n > 1 ? Array.from({ length: n }, () => forkWorker()) : [];
}

/**
 * Runs jobs in-process (workers = 1) or on a pool of forked workers (`early`: workers forked
 * with {@link forkWorkersEarly}, which the pool takes over; released when unused).
 */
export async function runJobs(
  jobs: RunJob[],
  workers: number,
  log: (line: string) => void,
  early: readonly PoolWorker[] = [],
): Promise<{ outcomes: RunOutcome[]; failures: { dir: string; message: string }[] }> {
  const outcomes: RunOutcome[] = [];
  const failures: { dir: string; message: string }[] = [];
  if (workers <= 1 || jobs.length <= 1) {
    releaseWorkers(early);
    for (const job of jobs) {
      try {
        outcomes.push(await executeRun(job, log));
      } catch (error) {
        failures.push({ dir: job.dir, message: (error as Error).message });
        log(`FAILED ${job.dir}: ${(error as Error).message}`);
      }
    }
    return { outcomes, failures };
  }
  if (jobs.some((j) => j.backend === 'wasm')) {
    const warning = oversubscription(
      Math.min(workers, jobs.length),
      requestedWasmThreads(),
      availableParallelism(),
    );
    if (warning) log(warning);
  }
  // Longest first, so the pool ends together. Step costs relative to a flow step, measured on
  // the checkerboard preset (wasm): the JVP algorithms 3-4x, the two-call mip family ~2x.
  const cost = (j: RunJob) => relativeStepCost(j.config.algorithm) * j.config.steps;
  const poolJobs: PoolJob<RunJob, RunOutcome>[] = [...jobs]
    .sort((a, b) => cost(b) - cost(a))
    .map((job) => ({
      id: job.dir,
      input: { ...job, progress: job.quiet ? 'none' : 'lines' },
    }));
  const { done, failed } = await runPool(poolJobs, workers, {
    workers: early,
    onDone: (job) => log(`done ${job.id} (train ${job.output?.trainSeconds.toFixed(1)} s)`),
    onFailed: (job, message) => log(`FAILED ${job.id}: ${message}`),
  });
  for (const j of done) outcomes.push(j.output!);
  for (const f of failed) failures.push({ dir: f.job.id, message: f.message });
  return { outcomes, failures };
}

/** A run's step cost relative to a flow-matching step (for scheduling only). */
export function relativeStepCost(algorithm: string): number {
  if (/^(lsd|esd|mf|psd|ctm|lmd)$/.test(algorithm)) return 4;
  if (/^(mip|tsd|mip_origin|mip_one_step_integrate)$/.test(algorithm)) return 2;
  return 1;
}

/** Default number of worker processes: one per core, at most the number of runs. */
export function defaultWorkers(runs: number): number {
  return Math.max(1, Math.min(runs, availableParallelism()));
}
