/**
 * `@mipjs/bench`: the `mipjs` command line as a library. The CLI (`mipjs train | eval | compare |
 * sweep | report | info | perf | serve`) is a thin layer over the functions exported here:
 *
 * - the {@link Algorithm} contract and the built-in algorithm table ({@link builtinAlgorithms}),
 *   the unit an external algorithm package exports (`import type { Algorithm } from '@mipjs/bench'`);
 * - the programmatic entry points: {@link executeRun} (train + evaluate one run folder, what
 *   `mipjs train` does), {@link train} (the trainer alone), {@link compare} and {@link sweep}
 *   (several runs, in worker processes, with a table and a report), {@link remoteSweep} and
 *   {@link runQueueWorker} (the same sweep on a BullMQ + Redis queue, workers on any machine),
 *   {@link evaluateCheckpoint}
 *   (`mipjs eval`) and {@link writeReport} (`mipjs report`);
 * - the run configuration ({@link resolveRunConfig}: task preset < config file < flags) and the
 *   tasks ({@link openTask}: checkerboard, bimodal, toy tasks, and the pusht / robomimic / lerobot
 *   dataset tasks).
 *
 * Call {@link prepareBackend} once before training or evaluating in-process; `executeRun`,
 * `compare`, `sweep` and `evaluateCheckpoint` do it themselves.
 *
 * @packageDocumentation
 */

export {
  type Algorithm,
  AlgorithmError,
  loadAlgorithmPackage,
  validateAlgorithm,
} from './algorithms/algorithm.js';
export {
  algorithmFor,
  BUILTIN_ALGORITHM_NAMES,
  builtinAlgorithms,
  resolveAlgorithms,
} from './algorithms/algorithms.js';
export {
  BACKEND_NAMES,
  type BackendName,
  BackendUnavailableError,
  type ConcreteBackend,
} from './backend/backend.js';
export { prepareBackend } from './backend/setup.js';
export {
  ALGORITHM_PRESETS,
  COMMON_DEFAULTS,
  ConfigError,
  DATASET_TASKS,
  NETWORK_NAMES,
  type RunConfig,
  type RunConfigInput,
  resolveRunConfig,
  TASK_NAMES,
  TASK_PRESETS,
  type TaskName,
  validateRunConfig,
} from './config/config.js';
export {
  type EvaluateCheckpointOptions,
  evaluateAtEachNfe,
  evaluateCheckpoint,
  evaluateModel,
  nfeList,
  policySampler,
  validationLoss,
} from './evaluate/evaluate.js';
export type { ResultRow } from './evaluate/results.js';
export { buildModel, loadModel, loadTeacher, type Model, saveModel, type Teacher } from './model/model.js';
export { type ReportOptions, writeReport } from './report/report.js';
export { executeRun, type RunJob, type RunOutcome } from './run/run.js';
export {
  runServeBenchmark,
  type ServeBenchOptions,
  type ServeBenchRow,
  serveBenchTable,
} from './serve/benchmark.js';
export { loadCatalog, type PolicyDescription, type ServedPolicy } from './serve/catalog.js';
export {
  DEFAULT_SERVE_HOST,
  DEFAULT_SERVE_PORT,
  type PolicyServerOptions,
  type RunningPolicyServer,
  startPolicyServer,
} from './serve/server.js';
export { closeOnSignal } from './serve/shutdown.js';
export { type CompareOptions, compare, comparisonTable, METRIC_NOTES } from './sweep/compare.js';
export { type CollectResult, collectSweep } from './sweep/queue/collect.js';
export { jobIdFor } from './sweep/queue/job-id.js';
export {
  DEFAULT_SWEEP_NAME,
  type QueueJobData,
  type QueueRunResult,
  type RunStatus,
  type SweepManifest,
} from './sweep/queue/queue.js';
export {
  checkRedis,
  parseRedisUrl,
  QueueConnectionError,
  REDIS_PASSWORD_ENV,
  REDIS_USERNAME_ENV,
  type RedisTarget,
  redactRedisUrl,
} from './sweep/queue/redis-url.js';
export {
  type QueueAddress,
  type RemoteSweepOptions,
  remoteSweep,
  remoteSweepCollect,
  remoteSweepStatus,
} from './sweep/queue/remote-sweep.js';
export { type QueueWorkerOptions, runQueueWorker } from './sweep/queue/worker.js';
export { type SweepGridRun, type SweepGridSpec, type SweepOptions, sweep, sweepGrid } from './sweep/sweep.js';
export { type DatasetTaskOptions, NORMALIZERS_FILE, openDatasetTask } from './tasks/dataset-task.js';
export type { HostBatch, PolicySampler, Task, TaskEvaluation } from './tasks/task.js';
export { openTask, TASK_DESCRIPTIONS } from './tasks/tasks.js';
export { AdamW, type AdamWOptions } from './train/optim/adamw.js';
export { cosineLr } from './train/optim/schedule.js';
export {
  BEST_FILE,
  type BestState,
  CHECKPOINT_FILES,
  type ClosedLoopLine,
  type EvaluateEvery,
  type MetricLine,
  type MetricsFileLine,
  NonFiniteError,
  ResumeError,
  RUN_FILES,
  readBest,
  type TrainOptions,
  type TrainResult,
  train,
} from './train/trainer.js';
