import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trainingProcessFlags } from '../backend/gc-tuning.js';

/** A job for a worker process: run one configured training + evaluation. */
export interface PoolJob<I, O> {
  id: string;
  input: I;
  /** Set by the pool: the result. */
  output?: O;
}

type ToWorker<I> = { type: 'job'; id: string; input: I } | { type: 'exit' };
type FromWorker<O> =
  | { type: 'ready' }
  | { type: 'done'; id: string; output: O }
  | { type: 'failed'; id: string; message: string };

/** The worker entry (dist/worker.js): one process, one TF.js backend, many jobs in sequence. */
export const WORKER_ENTRY = fileURLToPath(new URL('./worker.js', import.meta.url));

/** A forked worker process and the promise of its first `ready` message. */
export interface PoolWorker {
  child: ChildProcess;
  ready: Promise<void>;
}

/**
 * Forks one worker process. Forking before the parent's own set-up (`preflight`) lets the
 * worker load TF.js and the bench (about a second) while the parent checks the runs.
 */
export function forkWorker(entry: string = WORKER_ENTRY): PoolWorker {
  const child = fork(entry, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: trainingProcessFlags(),
  });
  const ready = new Promise<void>((resolve) => {
    const onMessage = (raw: unknown) => {
      if ((raw as FromWorker<unknown>).type !== 'ready') return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
  });
  return { child, ready };
}

/**
 * Stops pre-forked workers that will get no job. They may still be loading (no message listener
 * yet, so an `exit` message could be lost): they are terminated, which is quiet and immediate.
 */
export function releaseWorkers(workers: readonly PoolWorker[]): void {
  for (const w of workers) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  }
}

/** Sends to a worker unless its channel is gone (it died): the exit handler reports that case. */
function sendTo<I>(child: ChildProcess, msg: ToWorker<I>): void {
  if (!child.connected) return;
  child.send(msg, (error) => {
    // A worker that exits between the check and the write: its 'exit' event fails its job.
    void error;
  });
}

/**
 * Runs jobs on `size` forked worker processes, each with its own TF.js backend (wasm runs one
 * thread per process by default, so parallelism comes from processes; `MIPJS_WASM_THREADS` is
 * inherited). Jobs fail independently: a failed job is reported through `onFailed` and the
 * others go on. Resolves when every job has finished.
 */
export async function runPool<I, O>(
  jobs: PoolJob<I, O>[],
  size: number,
  handlers: {
    onDone?: (job: PoolJob<I, O>) => void;
    onFailed?: (job: PoolJob<I, O>, message: string) => void;
    entry?: string;
    /** Workers forked earlier ({@link forkWorker}); used first, extra ones are released. */
    workers?: readonly PoolWorker[];
  } = {},
): Promise<{ done: PoolJob<I, O>[]; failed: { job: PoolJob<I, O>; message: string }[] }> {
  const queue = [...jobs];
  const done: PoolJob<I, O>[] = [];
  const failed: { job: PoolJob<I, O>; message: string }[] = [];
  const n = Math.max(1, Math.min(size, jobs.length));
  const prestarted = handlers.workers ?? [];
  releaseWorkers(prestarted.slice(n));
  await new Promise<void>((resolve) => {
    let alive = n;
    const finishWorker = () => {
      alive--;
      if (alive > 0) return;
      // Every worker is gone (e.g. all crashed at start-up): what is left cannot run.
      for (const job of queue.splice(0)) {
        const message = 'no worker process left to run it';
        failed.push({ job, message });
        handlers.onFailed?.(job, message);
      }
      resolve();
    };
    for (let w = 0; w < n; w++) {
      const early = prestarted[w];
      const worker =
        early && early.child.exitCode === null && early.child.signalCode === null
          ? early
          : forkWorker(handlers.entry);
      const { child } = worker;
      let current: PoolJob<I, O> | null = null;
      let exited = false;
      const next = () => {
        current = queue.shift() ?? null;
        if (current) sendTo<I>(child, { type: 'job', id: current.id, input: current.input });
        else sendTo<I>(child, { type: 'exit' });
      };
      child.on('message', (raw) => {
        const msg = raw as FromWorker<O>;
        if (msg.type === 'done' && current) {
          current.output = msg.output;
          done.push(current);
          handlers.onDone?.(current);
          next();
        } else if (msg.type === 'failed' && current) {
          failed.push({ job: current, message: msg.message });
          handlers.onFailed?.(current, msg.message);
          next();
        }
      });
      child.on('exit', (code, signal) => {
        if (exited) return;
        exited = true;
        if (current) {
          const message = `worker exited (${signal ?? `code ${code}`}) while running ${current.id}`;
          failed.push({ job: current, message });
          handlers.onFailed?.(current, message);
          current = null;
        }
        finishWorker();
      });
      void worker.ready.then(next);
    }
  });
  return { done, failed };
}

/**
 * The worker side: answers jobs with `handler` until told to exit. When the parent goes away (it
 * failed, or was killed) the worker exits quietly instead of printing `ERR_IPC_CHANNEL_CLOSED`
 * traces from a late `send`.
 */
export function serveWorker<I, O>(handler: (input: I) => Promise<O>): void {
  const send = (msg: FromWorker<O>) => {
    if (!process.connected) return;
    process.send?.(msg, undefined, undefined, (error: Error | null) => {
      if (error) process.exit(0);
    });
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (raw) => {
    const msg = raw as ToWorker<I>;
    if (msg.type === 'exit') {
      process.disconnect?.();
      process.exit(0);
    }
    if (msg.type !== 'job') return;
    try {
      const output = await handler(msg.input);
      send({ type: 'done', id: msg.id, output });
    } catch (error) {
      send({ type: 'failed', id: msg.id, message: (error as Error).message });
    }
  });
  send({ type: 'ready' });
}
