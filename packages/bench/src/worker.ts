import { tuneGarbageCollector } from './gc-tuning.js';
import { serveWorker } from './pool.js';
import { executeRun, type RunJob, type RunOutcome } from './run.js';

tuneGarbageCollector();

// A sweep / compare worker process: one TF.js backend, jobs in sequence.
serveWorker<RunJob, RunOutcome>((job) =>
  executeRun({ ...job, progress: job.progress ?? 'lines' }, (line) => process.stderr.write(`${line}\n`)),
);
