import { builtinAlgorithms } from '../algorithms/algorithms.js';
import type { ConcreteBackend } from '../backend/backend.js';
import { tuneGarbageCollector } from '../backend/gc-tuning.js';
import { prepareBackend } from '../backend/setup.js';
import { serveWorker } from '../sweep/pool.js';
import { type TrainJob, timeTrainSteps } from './measure.js';

// A perf measurement worker process (PERF_WORKER_ENTRY of measure.ts): one train measurement per job.
tuneGarbageCollector();

let prepared: ConcreteBackend | null = null;

serveWorker<TrainJob, number[]>(async (job) => {
  if (prepared !== job.backend) {
    await prepareBackend(job.backend);
    prepared = job.backend;
  }
  const algorithm = builtinAlgorithms().find((a) => a.name === job.algorithm);
  if (!algorithm) throw new Error(`unknown algorithm '${job.algorithm}'`);
  return timeTrainSteps({ ...job, algorithm });
});
