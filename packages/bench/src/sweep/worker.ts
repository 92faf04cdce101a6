import { tuneGarbageCollector } from '../backend/gc-tuning.js';
import { executeRun, type RunJob, type RunOutcome } from '../run/run.js';
import { serveWorker } from './pool.js';

tuneGarbageCollector();

// A sweep / compare worker process: one TF.js backend, jobs in sequence.
serveWorker<RunJob, RunOutcome>((job) =>
  executeRun({ ...job, progress: job.progress ?? 'lines' }, (line) => process.stderr.write(`${line}\n`)),
);
