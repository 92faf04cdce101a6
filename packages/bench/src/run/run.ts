// run/ owns one run: its folder, the teacher it needs, training then evaluation, `result.json`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { algorithmFor, checkLossOptions } from '../algorithms/algorithms.js';
import type { BackendName } from '../backend/backend.js';
import { prepareBackend } from '../backend/setup.js';
import { ConfigError, type RunConfig } from '../config/config.js';
import { closedLoopMetrics, environmentForTask, evaluateRunInEnvironment } from '../evaluate/closed-loop.js';
import { evaluateAtEachNfe, nfeList } from '../evaluate/evaluate.js';
import type { ResultRow } from '../evaluate/results.js';
import { FileError, makeDir, readJsonFile, writeJsonAtomic } from '../io/io.js';
import { createProgress, type Progress, silentProgress } from '../io/progress.js';
import { loadTeacher, type Teacher } from '../model/model.js';
import { openTask } from '../tasks/tasks.js';
import { train } from '../train/trainer.js';
import { checkEvalEvery, evaluateEveryFor } from './eval-every.js';
import { writeRunPolicyManifest } from './policy-manifest.js';

/** One run to execute (what a worker receives). */
export interface RunJob {
  config: RunConfig;
  dir: string;
  backend: BackendName;
  resume?: boolean;
  quiet?: boolean;
  /** Progress display: a bar on a TTY (default), plain lines (workers), or none. */
  progress?: 'auto' | 'lines' | 'none';
  /** Stop after this step (tests of --resume). */
  stopAfterStep?: number;
  /** Evaluate after training (default true). */
  evaluate?: boolean;
  /**
   * Called at every training step (the teacher's first, when one is trained here), beside the
   * progress display: how a queue worker reports a run's progress to its job. In-process only
   * (a function does not cross to a pool worker).
   */
  onStep?: (step: number, steps: number, phase: 'teacher' | 'train') => void;
}

/** What one finished run reports. */
export interface RunOutcome {
  dir: string;
  rows: ResultRow[];
  trainSeconds: number;
  evalSeconds: number;
  backend: string;
}

/** The file that marks a run folder as finished (sweeps skip these). */
export const RESULT_FILE = 'result.json';

/** Reads a finished run's outcome, or null. */
export function readOutcome(dir: string): RunOutcome | null {
  const p = join(dir, RESULT_FILE);
  if (!existsSync(p)) return null;
  const outcome = readJsonFile(p, 'the result of a finished run') as RunOutcome;
  if (!outcome || !Array.isArray(outcome.rows))
    throw new FileError(`${p}: expected the result of a finished run ({ dir, rows, ... }), found no rows`);
  return outcome;
}

/**
 * Trains one run (and its flow-matching teacher first when the algorithm needs one and no
 * `--teacher` is given), evaluates its EMA weights at every NFE and writes `result.json`: what
 * `mipjs train` does. Dataset tasks also write their normalizers (`normalizers.json`) into the
 * run folder.
 *
 * ```ts
 * import { executeRun, resolveRunConfig } from '@mipjs/bench';
 * const config = resolveRunConfig({}, { task: 'pusht', data: 'pusht.zarr.zip', algorithm: 'mip' });
 * const { rows } = await executeRun({ config, dir: 'runs/mip-pusht', backend: 'wasm' });
 * ```
 */
export async function executeRun(job: RunJob, log: (line: string) => void = () => {}): Promise<RunOutcome> {
  const { config, dir } = job;
  checkEvalEvery(config);
  const backend = await prepareBackend(job.backend, job.quiet ? () => {} : log);
  const algorithm = await algorithmFor(config);
  checkLossOptions(algorithm, config);
  const task = await openTask(config);
  const label = `${config.algorithm}/${config.task}/s${config.seed}`;
  let artifacts: string[] = [];
  if (task.writeArtifacts) {
    // Written before training starts (and rewritten identically on a resume): the normalizers
    // `mipjs eval` and a deployed policy need. Nothing is written when the dataset did not load.
    makeDir(dir);
    artifacts = await task.writeArtifacts(dir);
    log(`${label}: ${task.description}`);
  }
  const display = (name: string): Progress =>
    job.quiet || job.progress === 'none'
      ? silentProgress
      : createProgress(name, process.stderr, 5, job.progress === 'lines');
  const progress = (name: string, phase: 'teacher' | 'train' = 'train'): Progress => {
    const shown = display(name);
    const onStep = job.onStep;
    if (!onStep) return shown;
    let total = 0;
    return {
      start(steps, at) {
        total = steps;
        shown.start(steps, at);
        onStep(at, steps, phase);
      },
      update(step, loss) {
        shown.update(step, loss);
        onStep(step, total, phase);
      },
      stop: () => shown.stop(),
    };
  };
  let teacher: Teacher | null = null;
  try {
    if (algorithm.needsTeacher) {
      if (config.teacher) {
        teacher = await loadTeacher(config.teacher, task);
        log(`${label}: teacher loaded from ${config.teacher}`);
      } else {
        const teacherDir = join(dir, 'teacher');
        const teacherConfig: RunConfig = {
          ...config,
          algorithm: 'flow',
          sampler: 'auto', // the student's --sampler (flow_map) need not fit flow; the teacher is never sampled
          steps: config.teacherSteps ?? config.steps,
          teacher: undefined,
          teacherSteps: undefined,
          lossOptions: { ...config.lossOptions },
        };
        const flow = await algorithmFor({ ...teacherConfig, algorithmPackages: [] });
        const resumeTeacher = existsSync(join(teacherDir, 'checkpoint'));
        log(`${label}: training a flow-matching teacher (${teacherConfig.steps} steps) in ${teacherDir}`);
        const result = await train({
          config: teacherConfig,
          algorithm: flow,
          task,
          dir: teacherDir,
          resume: resumeTeacher,
          progress: progress(`${label} teacher`, 'teacher'),
          log,
        });
        result.dispose();
        teacher = await loadTeacher(teacherDir, task);
      }
    }
    // Closed-loop evaluation during training (evalEvery): the curve and checkpoint-best/.
    const evaluateEvery =
      evaluateEveryFor(dir, config, algorithm, task, artifacts, (line) => log(`${label}: ${line}`)) ??
      undefined;
    // policy.json describes checkpoint/ema, whatever step it holds: written with the first
    // checkpoint too, so a run stopped early (killed at a deadline, a non-finite loss) is
    // evaluable from its last checkpoint like a finished one, and a run that fails before any
    // checkpoint (a batch that does not fit in memory) leaves no run folder behind.
    let described = false;
    const afterCheckpoint = async () => {
      if (described) return;
      described = true;
      await writeRunPolicyManifest(dir, config, algorithm, task, artifacts);
    };
    const result = await train({
      config,
      algorithm,
      task,
      dir,
      resume: job.resume,
      stopAfterStep: job.stopAfterStep,
      teacher: teacher ?? undefined,
      progress: progress(label),
      log,
      evaluateEvery,
      afterCheckpoint,
    });
    try {
      // The checkpoint's EMA weights are saved: describe them for @mipjs/policy's loadPolicy
      // (rewritten: a resumed run past its end writes no new checkpoint).
      await writeRunPolicyManifest(dir, config, algorithm, task, artifacts);
      if (job.stopAfterStep !== undefined && result.step < config.steps) {
        return { dir, rows: [], trainSeconds: result.trainSeconds, evalSeconds: 0, backend };
      }
      const t0 = performance.now();
      const rows: ResultRow[] = [];
      const samples: Record<string, number[][]> = {};
      if (job.evaluate !== false) {
        const nfes = nfeList(algorithm, config.evalNfe);
        const evaluations = await evaluateAtEachNfe(
          result.ema,
          algorithm,
          task,
          config,
          nfes,
          teacher ?? undefined,
        );
        for (const { nfe, evaluation: ev } of evaluations) {
          rows.push({
            algorithm: config.algorithm,
            network: config.network,
            task: config.task,
            seed: config.seed,
            nfe,
            metrics: ev.metrics,
            trainSeconds: round(result.trainSeconds),
            steps: result.step,
          });
          if (ev.samples2d) samples[String(nfe)] = ev.samples2d;
        }
        // Tasks with an environment are judged by what the policy does there, as in the paper.
        const env = environmentForTask(config.task);
        if (env && config.evalEpisodes > 0) {
          const results = await evaluateRunInEnvironment(dir, {
            env,
            nfes,
            episodes: config.evalEpisodes,
            log: (line) => log(`${label}: ${line}`),
          });
          for (const r of results) {
            const row = rows.find((x) => x.nfe === r.nfe);
            if (row) row.metrics = { ...row.metrics, ...closedLoopMetrics(r) };
          }
        }
      }
      const evalSeconds = (performance.now() - t0) / 1000;
      if (Object.keys(samples).length > 0) writeJsonAtomic(join(dir, 'samples.json'), samples);
      const outcome: RunOutcome = {
        dir,
        rows,
        trainSeconds: round(result.trainSeconds),
        evalSeconds: round(evalSeconds),
        backend,
      };
      writeJsonAtomic(join(dir, RESULT_FILE), outcome);
      return outcome;
    } finally {
      result.dispose();
    }
  } finally {
    teacher?.dispose();
    task.close?.();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export { ConfigError };
