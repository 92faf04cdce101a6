import { builtinAlgorithms } from '../algorithms.js';
import type { ConcreteBackend } from '../backend.js';
import { tuneGarbageCollector } from '../gc-tuning.js';
import { serveWorker } from '../pool.js';
import { prepareBackend } from '../setup.js';
import { timeTrainSteps } from './measure.js';

tuneGarbageCollector();

/** One train measurement run in a fresh process (see `isolatedTrainSteps`). */
export interface TrainJob {
  backend: ConcreteBackend;
  algorithm: string;
  network: string;
  networkOptions: Record<string, unknown>;
  batch: number;
  steps: number;
}

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
