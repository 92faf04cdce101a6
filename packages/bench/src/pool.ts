import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  } = {},
): Promise<{ done: PoolJob<I, O>[]; failed: { job: PoolJob<I, O>; message: string }[] }> {
  const queue = [...jobs];
  const done: PoolJob<I, O>[] = [];
  const failed: { job: PoolJob<I, O>; message: string }[] = [];
  const workers: ChildProcess[] = [];
  const n = Math.max(1, Math.min(size, jobs.length));
  await new Promise<void>((resolve) => {
    let alive = n;
    const finishWorker = () => {
      alive--;
      if (alive === 0) resolve();
    };
    for (let w = 0; w < n; w++) {
      const child = fork(handlers.entry ?? WORKER_ENTRY, [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      workers.push(child);
      let current: PoolJob<I, O> | null = null;
      let exited = false;
      const next = () => {
        current = queue.shift() ?? null;
        if (current) child.send({ type: 'job', id: current.id, input: current.input } satisfies ToWorker<I>);
        else child.send({ type: 'exit' } satisfies ToWorker<I>);
      };
      child.on('message', (raw) => {
        const msg = raw as FromWorker<O>;
        if (msg.type === 'ready') next();
        else if (msg.type === 'done' && current) {
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
    }
  });
  return { done, failed };
}

/** The worker side: answers jobs with `handler` until told to exit. */
export function serveWorker<I, O>(handler: (input: I) => Promise<O>): void {
  const send = (msg: FromWorker<O>) => process.send?.(msg);
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
