// `mipjs worker`: a BullMQ worker that takes a queue sweep's jobs and trains them in sandboxed processes.
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { BackendName } from '../../backend/backend.js';
import { trainingProcessFlags } from '../../backend/gc-tuning.js';
import { ConfigError } from '../../config/config.js';
import {
  checkSweepName,
  openQueue,
  openRedis,
  PROCESSOR_ENV,
  pendingJobs,
  QUEUE_PREFIX,
  type QueueJobData,
  type QueueRunResult,
  readManifest,
} from './queue.js';
import { checkRedis, hideCredentials, type RedisTarget } from './redis-url.js';
import { openStore } from './store.js';

/** The processor entry (dist/sweep/queue/processor.js) that BullMQ forks for each concurrent job. */
export const PROCESSOR_ENTRY = fileURLToPath(new URL('./processor.js', import.meta.url));

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  target: RedisTarget;
  /** The sweep (BullMQ queue) to take jobs from. */
  name: string;
  /** The store folder: runs train and checkpoint in `<store>/<name>/<task>/<run>`. */
  store: string;
  /** Jobs at once, each in its own process (default 1). */
  concurrency?: number;
  /** Overrides the backend the jobs were enqueued with. */
  backend?: BackendName;
  /**
   * Seconds a job stays claimed by a worker that stopped renewing its lock (died, lost its
   * network) before another worker takes it over; also how often this worker looks for such
   * jobs. Default 30 (BullMQ's default).
   */
  lockSeconds?: number;
  /** Exit once no run of the sweep is waiting or running (every one finished or failed). */
  untilDone?: boolean;
  /** Stops the worker when aborted: no new job, the running ones finish (SIGINT / SIGTERM in the CLI). */
  signal?: AbortSignal;
  log: (line: string) => void;
}

/** How many times a job may be taken over from dead workers before it is failed. */
export const MAX_TAKEOVERS = 5;

/**
 * Takes jobs of sweep `name` from the queue at `target`, `concurrency` at a time, each trained by
 * a forked process ({@link PROCESSOR_ENTRY}, one TF.js backend each) in the store, and records
 * their results in Redis. BullMQ's locks make a result count once: a job whose worker died is
 * taken over after `lockSeconds` (the stalled-job check) and resumes from its checkpoint in the
 * store; a late answer of a worker that lost the job is refused. Runs until `signal` aborts, or
 * with `untilDone` until nothing is left to run. Resolves with the jobs this worker finished.
 *
 * ```ts
 * const target = parseRedisUrl('redis://10.0.0.5:6379/0');
 * await runQueueWorker({ target, name: 'lr-study', store: '/shared/mipjs', untilDone: true, log: console.error });
 * ```
 */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<{ completed: number; failed: number }> {
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ConfigError(`--concurrency ${concurrency}: expected a positive integer`);
  const lockSeconds = o.lockSeconds ?? 30;
  if (!(lockSeconds >= 1)) throw new ConfigError(`--lock-seconds ${lockSeconds}: expected at least 1`);
  checkSweepName(o.name);
  openStore(o.store, o.name);
  await checkRedis(o.target);
  const id = `${hostname()}:${process.pid}`;
  const errors = onceEvery(10_000, o.log);
  const queue = openQueue(o.target, o.name, errors);
  const client = openRedis(o.target, errors);
  const worker = new Worker<QueueJobData, QueueRunResult>(o.name, PROCESSOR_ENTRY, {
    connection: { ...o.target.options, maxRetriesPerRequest: null },
    prefix: QUEUE_PREFIX,
    concurrency,
    name: id,
    lockDuration: lockSeconds * 1000,
    stalledInterval: lockSeconds * 1000,
    maxStalledCount: MAX_TAKEOVERS,
    autorun: false,
    workerForkOptions: {
      // Replaces BullMQ's own execArgv, which only renumbers --inspect ports: a debugged
      // worker's processes are then started without --inspect (two cannot share a port).
      execArgv: trainingProcessFlags(process.execArgv.filter((a) => !a.startsWith('--inspect'))),
      env: {
        ...process.env,
        [PROCESSOR_ENV.store]: o.store,
        [PROCESSOR_ENV.name]: o.name,
        [PROCESSOR_ENV.backend]: o.backend ?? '',
        [PROCESSOR_ENV.worker]: id,
      },
    },
  });
  let completed = 0;
  let failed = 0;
  worker.on('error', (error) => errors(hideCredentials(o.target, `worker ${id}: ${error.message}`)));
  worker.on('active', (job) =>
    o.log(
      `worker ${id}: start ${job.data.run}${job.stalledCounter ? ` (taken over, ${job.stalledCounter}x)` : ''}`,
    ),
  );
  worker.on('stalled', (jobId) =>
    o.log(`worker ${id}: job ${jobId} lost its worker; it goes back to the queue`),
  );
  const done = new Promise<void>((resolve) => {
    let closing = false;
    const stop = async () => {
      if (closing) return;
      closing = true;
      clearInterval(timer);
      // Graceful: no new job, the running ones finish and are recorded. (A forced close would
      // kill the processes and record their jobs as failed; a worker that must stop now exits
      // instead, and its jobs resume elsewhere from their checkpoints once their locks expire.)
      await worker.close().catch(() => {});
      await queue.close().catch(() => {});
      client.disconnect();
      resolve();
    };
    const checkDone = async () => {
      if (!o.untilDone || closing) return;
      try {
        // Not enqueued yet: wait for it (a worker may start before the sweep is submitted).
        if (!(await readManifest(client, o.name))) return;
        if ((await pendingJobs(queue)) === 0 && !closing) {
          o.log(`worker ${id}: sweep ${o.name} has nothing left to run; exiting`);
          await stop();
        }
      } catch (error) {
        errors(hideCredentials(o.target, `worker ${id}: ${(error as Error).message}`));
      }
    };
    worker.on('completed', (job, result) => {
      completed++;
      o.log(`worker ${id}: done ${job.data.run} (train ${result.trainSeconds.toFixed(1)} s)`);
      void checkDone();
    });
    worker.on('failed', (job, error) => {
      failed++;
      o.log(`worker ${id}: FAILED ${job?.data.run ?? '?'}: ${hideCredentials(o.target, error.message)}`);
      void checkDone();
    });
    worker.on('drained', () => void checkDone());
    const timer = setInterval(() => void checkDone(), lockSeconds * 1000);
    o.signal?.addEventListener('abort', () => {
      o.log(`worker ${id}: stopping: takes no new job, finishes the running one(s)`);
      void stop();
    });
    void checkDone();
  });
  o.log(`worker ${id}: sweep ${o.name} on ${o.target.display}, store ${o.store}, concurrency ${concurrency}`);
  const warmStart = Date.now();
  await prestartProcessors(worker, concurrency).catch((error) =>
    errors(`worker ${id}: could not pre-start its processes: ${(error as Error).message}`),
  );
  o.log(`worker ${id}: ${concurrency} training process(es) ready in ${Date.now() - warmStart} ms`);
  void worker
    .run()
    .catch((error) => errors(hideCredentials(o.target, `worker ${id}: ${(error as Error).message}`)));
  await done;
  return { completed, failed };
}

/** The part of BullMQ's (internal) ChildPool used to pre-start sandboxed processes. */
interface ChildPoolLike {
  retain(file: string): Promise<unknown>;
  release(child: unknown): void;
}

/**
 * Forks the `concurrency` sandboxed processes before the first job and puts them in BullMQ's
 * free pool, so no job pays for a process start and module load (~2 s on a loaded machine).
 * BullMQ forks lazily at the first job otherwise, and then reuses free processes across jobs,
 * so after this every job runs on an already warm process. `childPool` is not public API
 * (BullMQ 5): without it this does nothing and the first job forks as before.
 */
async function prestartProcessors(worker: Worker, concurrency: number): Promise<void> {
  const pool = (worker as unknown as { childPool?: ChildPoolLike }).childPool;
  if (!pool || typeof pool.retain !== 'function') return;
  const children = await Promise.all(Array.from({ length: concurrency }, () => pool.retain(PROCESSOR_ENTRY)));
  for (const child of children) pool.release(child);
}

/** A logger that prints a repeated line at most once per `ms` (Redis down: one error a retry). */
function onceEvery(ms: number, log: (line: string) => void): (line: string) => void {
  const last = new Map<string, number>();
  return (line) => {
    const now = Date.now();
    if (now - (last.get(line) ?? -Infinity) < ms) return;
    last.set(line, now);
    log(line);
  };
}
