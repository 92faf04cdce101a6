// The queue of a sweep on Redis (BullMQ): its jobs, its manifest, enqueueing a grid, its status.
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { BackendName } from '../../backend/backend.js';
import { ConfigError, type RunConfig } from '../../config/config.js';
import type { ResultRow } from '../../evaluate/results.js';
import type { SweepGridRun } from '../sweep.js';
import { jobIdFor } from './job-id.js';
import { hideCredentials, type RedisTarget } from './redis-url.js';

/** The key prefix of every BullMQ key of mip.js queues (`mipjs:<name>:...`). */
export const QUEUE_PREFIX = 'mipjs';
/** The sweep name when `--name` is not given. */
export const DEFAULT_SWEEP_NAME = 'sweep';

/** Environment of the processes that train jobs (`processor.ts`), set by the worker that forks them. */
export const PROCESSOR_ENV = {
  store: 'MIPJS_QUEUE_STORE',
  name: 'MIPJS_QUEUE_NAME',
  backend: 'MIPJS_QUEUE_BACKEND',
  worker: 'MIPJS_QUEUE_WORKER',
} as const;

/** What a job carries: one run of a sweep's grid. */
export interface QueueJobData {
  /** `<task>/<name>`: the run's folder below the sweep's folder (in the store, in the collected folder). */
  run: string;
  config: RunConfig;
  /** The backend asked for at enqueue time (`auto` picks the best one on each worker). */
  backend: BackendName;
}

/** What a finished job returns: the run's outcome, the worker that recorded it and its report files. */
export interface QueueRunResult {
  run: string;
  rows: ResultRow[];
  trainSeconds: number;
  evalSeconds: number;
  backend: string;
  /** `host:pid` of the worker that finished it. */
  worker: string;
  /** The checkpoint step the last attempt started from (0: from scratch). */
  resumedFromStep: number;
  /** config.json, metrics.jsonl, samples.json of the run folder (see `store.ts`). */
  files: Record<string, string>;
}

/** What a job reports while it trains (`job.progress`). */
export interface QueueRunProgress {
  step: number;
  steps: number;
  phase: 'teacher' | 'train';
  worker: string;
}

/** The sweep's own record in Redis beside its BullMQ queue: its runs in order and how they were asked for. */
export interface SweepManifest {
  name: string;
  /** One line per enqueue that added runs (the grid it came from). */
  grids: string[];
  runs: { id: string; run: string }[];
}

/**
 * Checks a sweep name (`--name`): it names the BullMQ queue, the Redis keys and the store folder.
 */
export function checkSweepName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name))
    throw new ConfigError(
      `--name '${name}': expected letters, digits, '_', '.' or '-' (at most 100, starting with a letter or digit)`,
    );
  return name;
}

/** The Redis key of a sweep's manifest. */
export function manifestKey(name: string): string {
  return `${QUEUE_PREFIX}-sweep:${name}:manifest`;
}

/**
 * The BullMQ queue of sweep `name`. Errors of its connection (Redis restarting, say) are reported
 * through `onError`, credentials hidden; the queue reconnects by itself.
 */
export function openQueue(
  target: RedisTarget,
  name: string,
  onError: (line: string) => void,
): Queue<QueueJobData, QueueRunResult> {
  const queue = new Queue<QueueJobData, QueueRunResult>(name, {
    connection: { ...target.options },
    prefix: QUEUE_PREFIX,
  });
  queue.on('error', (error) => onError(hideCredentials(target, `queue ${name}: ${error.message}`)));
  return queue;
}

/** A plain ioredis connection (for the manifest), errors reported once per kind. */
export function openRedis(target: RedisTarget, onError: (line: string) => void): Redis {
  const client = new Redis({ ...target.options, maxRetriesPerRequest: null });
  client.on('error', (error: Error) => onError(hideCredentials(target, `redis: ${error.message}`)));
  return client;
}

/** Reads a sweep's manifest, or null when no sweep of that name was ever enqueued there. */
export async function readManifest(client: Redis, name: string): Promise<SweepManifest | null> {
  const text = await client.get(manifestKey(name));
  return text ? (JSON.parse(text) as SweepManifest) : null;
}

/**
 * Adds runs and a grid line to a sweep's manifest (runs already in it keep their place). An
 * optimistic transaction (WATCH / MULTI), so two machines enqueueing at once both land.
 */
async function addToManifest(
  client: Redis,
  name: string,
  grid: string,
  runs: { id: string; run: string }[],
): Promise<SweepManifest> {
  const key = manifestKey(name);
  for (let attempt = 0; attempt < 20; attempt++) {
    await client.watch(key);
    const manifest = (await readManifest(client, name)) ?? { name, grids: [], runs: [] };
    const known = new Set(manifest.runs.map((r) => r.id));
    const added = runs.filter((r) => !known.has(r.id));
    if (added.length === 0) {
      await client.unwatch();
      return manifest;
    }
    const next: SweepManifest = {
      ...manifest,
      grids: [...manifest.grids, grid],
      runs: [...manifest.runs, ...added],
    };
    if (await client.multi().set(key, JSON.stringify(next)).exec()) return next;
  }
  throw new Error(`sweep ${name}: the manifest kept changing under this enqueue; run it again`);
}

/** What {@link enqueueRuns} did. */
export interface EnqueueSummary {
  manifest: SweepManifest;
  /** Runs new to the queue. */
  added: number;
  /** Runs the queue already held (waiting, running or finished), left as they were. */
  existing: number;
  /** Runs that had failed before and were put back to run again. */
  retried: number;
}

/**
 * Enqueues runs of a grid as jobs of sweep `name`: one job per run, its id {@link jobIdFor} its
 * config, so a run already in the queue (waiting, active or completed) is not added again.
 * Failed runs are retried (as rerunning a local sweep retries them). Finished jobs are kept:
 * their return values are the sweep's results.
 *
 * ```ts
 * const summary = await enqueueRuns(queue, redis, 'lr-study', 'flow x seeds 0,1', sweepGrid(spec), 'auto');
 * ```
 */
export async function enqueueRuns(
  queue: Queue<QueueJobData, QueueRunResult>,
  client: Redis,
  name: string,
  grid: string,
  runs: readonly SweepGridRun[],
  backend: BackendName,
): Promise<EnqueueSummary> {
  const jobs = runs.map((r) => ({ id: jobIdFor(r.config), run: r.run, config: r.config }));
  const seen = new Map<string, string>();
  for (const j of jobs) {
    const other = seen.get(j.id);
    if (other !== undefined && other !== j.run)
      throw new ConfigError(
        `runs ${other} and ${j.run} have the same config: a sweep trains each config once`,
      );
    seen.set(j.id, j.run);
  }
  let added = 0;
  let existing = 0;
  let retried = 0;
  for (const j of jobs) {
    const job = await queue.getJob(j.id);
    if (job) {
      existing++;
      if ((await job.getState()) === 'failed') {
        await job.retry('failed');
        retried++;
      }
      continue;
    }
    // BullMQ adds nothing when a job with this id exists (a race with another enqueuer included).
    await queue.add(
      j.run,
      { run: j.run, config: j.config, backend },
      { jobId: j.id, attempts: 1, removeOnComplete: false, removeOnFail: false },
    );
    added++;
  }
  const manifest = await addToManifest(
    client,
    name,
    grid,
    jobs.map(({ id, run }) => ({ id, run })),
  );
  return { manifest, added, existing, retried };
}

/** Where one run of a sweep stands. */
export interface RunStatus {
  id: string;
  run: string;
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'missing';
  progress?: QueueRunProgress;
  result?: QueueRunResult;
  failedReason?: string;
  /** Times the job was taken over from a worker that stopped answering. */
  stalled: number;
}

function stateOf(state: string): RunStatus['state'] {
  if (state === 'completed' || state === 'failed' || state === 'active') return state;
  if (state === 'unknown') return 'missing';
  return 'waiting'; // waiting, delayed, prioritized, waiting-children
}

/** The state of every run in a sweep's manifest, in manifest order. */
export async function sweepStatus(
  queue: Queue<QueueJobData, QueueRunResult>,
  manifest: SweepManifest,
): Promise<RunStatus[]> {
  const out: RunStatus[] = [];
  for (const { id, run } of manifest.runs) {
    const job = (await queue.getJob(id)) as Job<QueueJobData, QueueRunResult> | undefined;
    if (!job) {
      out.push({ id, run, state: 'missing', stalled: 0 });
      continue;
    }
    const state = stateOf(await job.getState());
    const progress = job.progress as QueueRunProgress | number;
    out.push({
      id,
      run,
      state,
      progress: state === 'active' && typeof progress === 'object' ? progress : undefined,
      result: state === 'completed' ? job.returnvalue : undefined,
      failedReason: state === 'failed' ? job.failedReason : undefined,
      stalled: job.stalledCounter ?? 0,
    });
  }
  return out;
}

/** Jobs of a queue still to run: waiting (in any form) or running. */
export async function pendingJobs(queue: Queue<QueueJobData, QueueRunResult>): Promise<number> {
  const c = await queue.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'prioritized',
    'paused',
    'waiting-children',
  );
  return Object.values(c).reduce((a, b) => a + b, 0);
}

/** Counts of a status list by state. */
export function countStates(status: readonly RunStatus[]): Record<RunStatus['state'], number> {
  const counts = { waiting: 0, active: 0, completed: 0, failed: 0, missing: 0 };
  for (const s of status) counts[s.state]++;
  return counts;
}

/** `mipjs sweep status`: one summary line, then a line per run that is running or failed. */
export function statusLines(name: string, status: readonly RunStatus[]): string[] {
  const c = countStates(status);
  const lines = [
    `sweep ${name}: ${status.length} runs: ${c.completed} finished, ${c.active} running, ${c.waiting} waiting, ${c.failed} failed` +
      (c.missing ? `, ${c.missing} missing from the queue` : ''),
  ];
  for (const s of status) {
    if (s.state === 'active') {
      const p = s.progress;
      lines.push(
        `  running ${s.run}${p ? `: ${p.phase === 'teacher' ? 'teacher ' : ''}step ${p.step}/${p.steps} on ${p.worker}` : ''}` +
          (s.stalled ? ` (taken over ${s.stalled}x)` : ''),
      );
    } else if (s.state === 'failed') lines.push(`  FAILED ${s.run}: ${s.failedReason ?? 'unknown reason'}`);
    else if (s.state === 'missing') lines.push(`  missing ${s.run} (job ${s.id} was removed from the queue)`);
  }
  return lines;
}
