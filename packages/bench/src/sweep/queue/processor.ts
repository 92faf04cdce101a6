// The process that trains a queue job: BullMQ forks it from `mipjs worker` (a sandboxed processor), one TF.js backend, jobs in sequence.
import { hostname } from 'node:os';
import type { SandboxedJob } from 'bullmq';
import type { BackendName } from '../../backend/backend.js';
import { tuneGarbageCollector } from '../../backend/gc-tuning.js';
import { executeRun } from '../../run/run.js';
import { PROCESSOR_ENV, type QueueJobData, type QueueRunProgress, type QueueRunResult } from './queue.js';
import { finishedOutcome, readRunFiles, storedStart, storeRunDir } from './store.js';

tuneGarbageCollector();
// The worker that forked this process is gone (killed, say): stop at once rather than train on
// unseen. BullMQ hands the job to another worker after its lock expires, which resumes from the
// last checkpoint in the store.
process.once('disconnect', () => process.exit(70));

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Trains and evaluates one run of a queue sweep in its store folder, resuming from the folder's
 * checkpoint when an earlier attempt left one, and returns its result rows and report files.
 * A folder that already holds a finished run of the same config (an attempt that died after
 * writing `result.json`, before BullMQ recorded the job) is returned without training again.
 */
export default async function processRun(
  job: SandboxedJob<QueueJobData, QueueRunResult>,
): Promise<QueueRunResult> {
  const env = process.env;
  const store = env[PROCESSOR_ENV.store];
  const name = env[PROCESSOR_ENV.name];
  if (!store || !name)
    throw new Error(`the queue processor needs ${PROCESSOR_ENV.store} and ${PROCESSOR_ENV.name}`);
  const worker = env[PROCESSOR_ENV.worker] ?? `${hostname()}:${process.pid}`;
  const { run, config } = job.data;
  const backend = (env[PROCESSOR_ENV.backend] as BackendName | undefined) || job.data.backend;
  const dir = storeRunDir(store, name, run);
  const files = () => readRunFiles(dir);
  const done = finishedOutcome(dir, config);
  if (done) {
    log(`${run}: already finished in ${dir} (an earlier attempt); returning its result`);
    return {
      run,
      rows: done.rows,
      trainSeconds: done.trainSeconds,
      evalSeconds: done.evalSeconds,
      backend: done.backend,
      worker,
      resumedFromStep: config.steps,
      files: files(),
    };
  }
  const start = storedStart(dir);
  log(
    start.step > 0
      ? `${run}: resumes from the checkpoint at step ${start.step} in ${dir}`
      : `${run}: starts from scratch in ${dir}`,
  );
  // At most one progress message a second: each is a Redis write.
  let last = 0;
  const onStep = (step: number, steps: number, phase: 'teacher' | 'train') => {
    const now = Date.now();
    if (now - last < 1000 && step < steps) return;
    last = now;
    void job.updateProgress({ step, steps, phase, worker } satisfies QueueRunProgress).catch(() => {});
  };
  const outcome = await executeRun(
    { config, dir, backend, resume: start.resume, progress: 'lines', onStep },
    log,
  );
  return {
    run,
    rows: outcome.rows,
    trainSeconds: outcome.trainSeconds,
    evalSeconds: outcome.evalSeconds,
    backend: outcome.backend,
    worker,
    resumedFromStep: start.step,
    files: files(),
  };
}
