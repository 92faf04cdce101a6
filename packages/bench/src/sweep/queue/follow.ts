// Following a queue sweep from the machine that submitted it: a progress bar until nothing is left to run.
import { type Queue, QueueEvents } from 'bullmq';
import cliProgress from 'cli-progress';
import type { QueueJobData, QueueRunProgress, QueueRunResult, SweepManifest } from './queue.js';

/** Options of {@link followSweep}. */
export interface FollowOptions {
  /** No bar and no lines. */
  quiet?: boolean;
  /** Seconds between two looks at the queue when no run finishes meanwhile (default 1). */
  every?: number;
  /** Where the bar (a TTY) or the progress lines go (default stderr). */
  stream?: NodeJS.WriteStream;
  /** Redis errors while following (the queue reconnects; following goes on). */
  onError: (line: string) => void;
  signal?: AbortSignal;
}

/** What a look at the queue found. */
export interface FollowState {
  total: number;
  completed: number;
  failed: number;
  active: number;
  /** Finished runs plus the trained fraction of the running ones. */
  progress: number;
}

/**
 * Looks at the queue of `manifest`'s sweep every `every` seconds, and at once whenever one of its
 * runs completes or fails (BullMQ's queue events: a blocking read of the queue's event stream,
 * so the last run is seen within milliseconds without polling Redis fast), until no job is
 * waiting or running. Draws a bar on a TTY (runs finished, running, failed) or prints a line
 * whenever that changes. Redis going away meanwhile (a restart) is reported and waited out.
 * Resolves with the last state; rejects only when `signal` aborts.
 */
export async function followSweep(
  queue: Queue<QueueJobData, QueueRunResult>,
  manifest: SweepManifest,
  o: FollowOptions,
): Promise<FollowState> {
  const stream = o.stream ?? process.stderr;
  const total = manifest.runs.length;
  const bar =
    !o.quiet && stream.isTTY
      ? new cliProgress.SingleBar(
          {
            stream,
            format: `sweep ${manifest.name} [{bar}] {done}/{total} runs | {active} running | {failed} failed | ETA {eta_formatted}`,
            hideCursor: true,
            etaBuffer: 20,
            fps: 2,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(total, 0, { done: 0, active: 0, failed: 0 });
  let lastLine = '';
  let state: FollowState = { total, completed: 0, failed: 0, active: 0, progress: 0 };
  const finished = runFinishedSignal(queue, o.onError);
  try {
    for (;;) {
      if (o.signal?.aborted) throw new Error('stopped following the sweep');
      try {
        state = await look(queue, total);
        const pending = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
        const left = Object.values(pending).reduce((a, b) => a + b, 0);
        bar?.update(state.progress, {
          done: state.completed + state.failed,
          active: state.active,
          failed: state.failed,
        });
        const line = `sweep ${manifest.name}: ${state.completed + state.failed}/${total} runs finished (${state.failed} failed), ${state.active} running`;
        if (!bar && !o.quiet && line !== lastLine) stream.write(`${line}\n`);
        lastLine = line;
        if (left === 0) return state;
      } catch (error) {
        o.onError(`following sweep ${manifest.name}: ${(error as Error).message}; retrying`);
      }
      await finished.wait((o.every ?? 1) * 1000);
    }
  } finally {
    bar?.stop();
    await finished.close();
  }
}

/** Wakes {@link followSweep} when a run of the queue completes or fails. */
interface RunFinishedSignal {
  /** Resolves after `ms`, or sooner when a run finished since the last wait began. */
  wait(ms: number): Promise<void>;
  close(): Promise<void>;
}

function runFinishedSignal(
  queue: Queue<QueueJobData, QueueRunResult>,
  onError: (line: string) => void,
): RunFinishedSignal {
  const events = new QueueEvents(queue.name, {
    connection: queue.opts.connection,
    prefix: queue.opts.prefix,
  });
  events.on('error', (error) => onError(`queue events of ${queue.name}: ${error.message}`));
  // `pending` keeps an event that came while the caller was looking (not waiting): the next
  // wait then returns at once instead of missing it.
  let pending = false;
  let wake: (() => void) | null = null;
  const onFinished = () => {
    pending = true;
    wake?.();
  };
  events.on('completed', onFinished);
  events.on('failed', onFinished);
  return {
    wait: (ms) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = null;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
        if (pending) done();
      }),
    close: () => events.close().catch(() => {}),
  };
}

async function look(queue: Queue<QueueJobData, QueueRunResult>, total: number): Promise<FollowState> {
  const counts = await queue.getJobCounts('completed', 'failed', 'active');
  const active = await queue.getJobs(['active']);
  let fraction = 0;
  for (const job of active) {
    const p = job.progress as QueueRunProgress | number;
    if (typeof p === 'object' && p && p.phase === 'train' && p.steps > 0) fraction += p.step / p.steps;
  }
  return {
    total,
    completed: counts.completed,
    failed: counts.failed,
    active: counts.active,
    progress: Math.min(total, counts.completed + counts.failed + fraction),
  };
}
