import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { AlgorithmError } from './algorithm.js';
import { resolveAlgorithms } from './algorithms.js';
import type { BackendName } from './backend.js';
import { ConfigError, type RunConfig, resolveRunConfig } from './config.js';
import { writeJsonAtomic } from './io.js';
import { forkWorker, type PoolJob, type PoolWorker, releaseWorkers, runPool } from './pool.js';
import { writeReport } from './report.js';
import type { ResultRow } from './results.js';
import { executeRun, RESULT_FILE, type RunJob, type RunOutcome, readOutcome } from './run.js';
import { prepareBackend } from './setup.js';
import { checkTaskInput } from './tasks.js';
import { requestedWasmThreads } from './wasm-threads.js';

/** A timestamp safe for folder names. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

/**
 * Checks everything a batch of runs needs before anything is written: algorithms (incl.
 * packages), tasks and their data, the backend, teachers. Throws the first clear error.
 */
export async function preflight(
  configs: RunConfig[],
  backend: BackendName,
  log: (l: string) => void,
): Promise<BackendName> {
  for (const c of configs) {
    const table = await resolveAlgorithms(c.algorithmPackages);
    if (!table.has(c.algorithm)) {
      throw new AlgorithmError(
        `unknown algorithm '${c.algorithm}'; valid algorithms: ${[...table.keys()].join(', ')}`,
      );
    }
    if (c.teacher) {
      try {
        accessSync(c.teacher, constants.R_OK);
      } catch {
        throw new ConfigError(`cannot read teacher ${c.teacher}: no such file or directory, or not readable`);
      }
    }
  }
  for (const key of new Set(configs.map((c) => `${c.task}\u0000${c.data ?? ''}`))) {
    const [task, data] = key.split('\u0000');
    await checkTaskInput(configs.find((c) => c.task === task && (c.data ?? '') === data)!);
  }
  return prepareBackend(backend, log);
}

/**
 * Forks the worker processes of a pool of `workers` for `runs` runs now, before the parent's
 * preflight, so that their start-up (TF.js, wasm, the bench: about a second) overlaps it.
 * None when the runs will run in-process.
 */
export function forkWorkersEarly(workers: number, runs: number): PoolWorker[] {
  const n = Math.min(workers, runs);
  return n > 1 ? Array.from({ length: n }, () => forkWorker()) : [];
}

/**
 * Runs jobs in-process (workers = 1) or on a pool of forked workers (`early`: workers forked
 * with {@link forkWorkersEarly}, which the pool takes over; released when unused).
 */
export async function runJobs(
  jobs: RunJob[],
  workers: number,
  log: (line: string) => void,
  early: readonly PoolWorker[] = [],
): Promise<{ outcomes: RunOutcome[]; failures: { dir: string; message: string }[] }> {
  const outcomes: RunOutcome[] = [];
  const failures: { dir: string; message: string }[] = [];
  if (workers <= 1 || jobs.length <= 1) {
    releaseWorkers(early);
    for (const job of jobs) {
      try {
        outcomes.push(await executeRun(job, log));
      } catch (error) {
        failures.push({ dir: job.dir, message: (error as Error).message });
        log(`FAILED ${job.dir}: ${(error as Error).message}`);
      }
    }
    return { outcomes, failures };
  }
  if (jobs.some((j) => j.backend === 'wasm')) {
    const warning = oversubscription(
      Math.min(workers, jobs.length),
      requestedWasmThreads(),
      availableParallelism(),
    );
    if (warning) log(warning);
  }
  // Longest first, so the pool ends together. Step costs relative to a flow step, measured on
  // the checkerboard preset (wasm): the JVP algorithms 3-4x, the two-call mip family ~2x.
  const cost = (j: RunJob) => relativeStepCost(j.config.algorithm) * j.config.steps;
  const poolJobs: PoolJob<RunJob, RunOutcome>[] = [...jobs]
    .sort((a, b) => cost(b) - cost(a))
    .map((job) => ({
      id: job.dir,
      input: { ...job, progress: job.quiet ? 'none' : 'lines' },
    }));
  const { done, failed } = await runPool(poolJobs, workers, {
    workers: early,
    onDone: (job) => log(`done ${job.id} (train ${job.output?.trainSeconds.toFixed(1)} s)`),
    onFailed: (job, message) => log(`FAILED ${job.id}: ${message}`),
  });
  for (const j of done) outcomes.push(j.output!);
  for (const f of failed) failures.push({ dir: f.job.id, message: f.message });
  return { outcomes, failures };
}

/**
 * The warning for more wasm threads than cores across a pool, or null: a thread pool that waits
 * for a core another worker is using is several times slower than one thread.
 */
export function oversubscription(workers: number, threads: number, cores: number): string | null {
  if (threads <= 1 || workers * threads <= cores) return null;
  return (
    `warning: ${workers} workers x ${threads} wasm threads on ${cores} cores: a thread pool that waits ` +
    'for a busy core is much slower than one thread; consider --threads 1'
  );
}

/** A run's step cost relative to a flow-matching step (for scheduling only). */
export function relativeStepCost(algorithm: string): number {
  if (/^(lsd|esd|mf|psd|ctm|lmd)$/.test(algorithm)) return 4;
  if (/^(mip|tsd|mip_origin)$/.test(algorithm)) return 2;
  return 1;
}

/** Default number of worker processes: one per core, at most the number of runs. */
export function defaultWorkers(runs: number): number {
  return Math.max(1, Math.min(runs, availableParallelism()));
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : v.toFixed(4);
}

/** The comparison table (means over seeds; ± std when several seeds). */
export function comparisonTable(rows: readonly ResultRow[], header: string): string {
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const key = `${r.task}\u0000${r.algorithm}\u0000${r.network}\u0000${r.nfe}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const table = new Table({
    head: ['task', 'algorithm', 'NFE', ...metricKeys, 'steps', 'train s'],
    style: { head: [], border: [] },
  });
  for (const group of groups.values()) {
    const r0 = group[0];
    const cell = (values: number[]) => {
      const m = mean(values);
      if (values.length < 2) return fmt(m);
      const sd = Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
      return `${fmt(m)} ± ${fmt(sd)}`;
    };
    table.push([
      r0.task,
      r0.algorithm,
      String(r0.nfe),
      ...metricKeys.map((k) => cell(group.map((r) => r.metrics[k]).filter((v) => v !== undefined))),
      [...new Set(group.map((r) => r.steps))].join(','),
      cell(group.map((r) => r.trainSeconds)),
    ]);
  }
  return `${header}\n${table.toString()}`;
}

/**
 * `label value` when every algorithm has the same value, else `label alg1 v1, alg2 v2, ...`: the
 * compare header states steps, batch and NFE per algorithm when they differ.
 */
export function perAlgorithm(label: string, values: ReadonlyMap<string, string>): string {
  const distinct = new Set(values.values());
  if (distinct.size <= 1) return `${label} ${[...distinct][0] ?? '-'}`;
  return `${label} ${[...values].map(([a, v]) => `${a} ${v}`).join(', ')}`;
}

/** How to read the metrics of each task, printed under the compare table and in the report. */
export const METRIC_NOTES: Record<string, string[]> = {
  checkerboard: [
    'kl: histogram KL(data || samples) on 16x16 cells + outside (lower is better); energy: energy distance to data samples (lower is better);',
    'inSupport: fraction of samples inside the 8 support cells (a policy collapsed onto one point in a support cell also scores 1);',
    'coverage: fraction of the 8 support cells holding at least a quarter of their fair share of samples (1 = spread over every cell, 0.125 = one cell).',
  ],
  dataset: [
    "No simulator here: valLoss is the algorithm's loss on held-out episodes (EMA weights, eval mode; same at every NFE);",
    'actionMse / actionMseExecuted: MSE of sampled action chunks vs the recorded ones on held-out windows, normalised units, whole chunk / the Ta executed steps (lower is better).',
  ],
};

/** Options of {@link compare}. */
export interface CompareOptions {
  task: string;
  algorithms: string[];
  seeds: number[];
  file: Record<string, unknown>;
  flags: Record<string, unknown>;
  backend: BackendName;
  out?: string;
  workers?: number;
  json?: string;
  quiet?: boolean;
  log: (line: string) => void;
  print: (text: string) => void;
}

/**
 * `mipjs compare`: several algorithms (x seeds) on one task, trained in worker processes, one
 * table (printed), `results.json` and a `report.md` with plots in the results folder. Throws
 * after writing the report when a run failed.
 *
 * ```ts
 * import { compare } from '@mipjs/bench';
 * const { rows, dir } = await compare({
 *   task: 'checkerboard', algorithms: ['flow', 'mip'], seeds: [0], file: {}, flags: { steps: 500 },
 *   backend: 'wasm', log: console.error, print: console.log,
 * });
 * ```
 */
export async function compare(
  o: CompareOptions,
): Promise<{ dir: string; rows: ResultRow[]; seconds: number }> {
  const t0 = performance.now();
  const configs = o.algorithms.flatMap((algorithm) =>
    o.seeds.map((seed) => resolveRunConfig(o.file, { ...o.flags, task: o.task, algorithm, seed })),
  );
  const dir = o.out ?? join('runs', `compare-${timestamp()}`);
  if (existsSync(join(dir, 'results.json')))
    throw new ConfigError(`${dir} already holds results; choose another --out`);
  const workers = o.workers ?? defaultWorkers(configs.length);
  const early = forkWorkersEarly(workers, configs.length);
  let backend: BackendName;
  try {
    backend = await preflight(configs, o.backend, o.log);
  } catch (error) {
    releaseWorkers(early);
    throw error;
  }
  mkdirSync(dir, { recursive: true });
  o.log(`results folder: ${dir}`);
  const jobs: RunJob[] = configs.map((config) => ({
    config,
    dir: join(dir, `${config.algorithm}-s${config.seed}`),
    backend: o.backend === 'auto' ? backend : o.backend,
    quiet: o.quiet,
  }));
  const { outcomes, failures } = await runJobs(jobs, workers, o.log, early);
  const order = new Map(jobs.map((j, i) => [j.dir, i]));
  outcomes.sort((a, b) => order.get(a.dir)! - order.get(b.dir)!);
  const rows = outcomes.flatMap((x) => x.rows);
  const seconds = (performance.now() - t0) / 1000;
  const c0 = configs[0];
  const byAlgorithm = (value: (c: RunConfig) => string) =>
    new Map(o.algorithms.map((a) => [a, value(configs.find((c) => c.algorithm === a)!)]));
  const nfes = byAlgorithm((c) =>
    [...new Set(rows.filter((r) => r.algorithm === c.algorithm).map((r) => r.nfe))]
      .sort((a, b) => a - b)
      .join(','),
  );
  const header =
    `${c0.task}: ${perAlgorithm(
      'steps',
      byAlgorithm((c) => String(c.steps)),
    )}; ` +
    `${perAlgorithm(
      'batch',
      byAlgorithm((c) => String(c.batchSize)),
    )}; seeds ${o.seeds.join(',')}; ` +
    `${perAlgorithm('NFE', nfes)}; ` +
    `${c0.network} ${JSON.stringify(c0.networkOptions)}, backend ${backend}, ${workers} worker(s), wall ${seconds.toFixed(1)} s`;
  const notes = METRIC_NOTES[c0.task] ?? (c0.data ? METRIC_NOTES.dataset : []);
  writeJsonAtomic(join(dir, 'results.json'), rows);
  if (o.json) writeJsonAtomic(o.json, rows);
  await writeReport(dir, {
    title: `mipjs compare: ${c0.task}`,
    preamble: [
      header,
      '',
      'Metrics of the EMA weights; one row per (algorithm, seed, NFE).',
      '',
      ...notes,
      ...failures.map((f) => `- FAILED \`${f.dir}\`: ${f.message}`),
    ],
  });
  o.print(comparisonTable(rows, header));
  for (const line of notes) o.print(line);
  o.print(`report: ${join(dir, 'report.md')}`);
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} run(s) failed:\n  ${failures.map((f) => `${f.dir}: ${f.message}`).join('\n  ')}`,
    );
  }
  return { dir, rows, seconds };
}

/** One axis of a sweep's option grid: `key=v1,v2` (dotted keys reach networkOptions / lossOptions). */
export function parseSetFlag(spec: string): { key: string; values: unknown[] } {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ConfigError(`invalid --set '${spec}': expected key=value[,value...]`);
  const key = spec.slice(0, eq).trim();
  const values = spec
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim())
    .map((v) =>
      v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v,
    );
  return { key, values };
}

function applySet(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = key.split('.');
  if (rest.length === 0) return { ...target, [head]: value };
  return {
    ...target,
    [head]: applySet((target[head] as Record<string, unknown>) ?? {}, rest.join('.'), value),
  };
}

/** Options of {@link sweep}. */
export interface SweepOptions {
  algorithms: string[];
  tasks: string[];
  seeds: number[];
  sets: { key: string; values: unknown[] }[];
  file: Record<string, unknown>;
  flags: Record<string, unknown>;
  backend: BackendName;
  out: string;
  workers?: number;
  json?: string;
  quiet?: boolean;
  log: (line: string) => void;
  print: (text: string) => void;
}

/**
 * `mipjs sweep`: the grid algorithms x tasks x seeds x options. Resumable: a run folder with
 * result.json is skipped, one with a checkpoint continues from it.
 */
export async function sweep(o: SweepOptions): Promise<{ rows: ResultRow[]; skipped: number }> {
  let combos: { name: string; flags: Record<string, unknown> }[] = [{ name: '', flags: {} }];
  for (const { key, values } of o.sets) {
    combos = combos.flatMap((c) =>
      values.map((v) => ({
        name: `${c.name}${c.name ? '_' : ''}${key.replace(/^.*\./, '')}=${String(v)}`,
        flags: applySet(c.flags, key, v),
      })),
    );
  }
  const entries: { config: RunConfig; dir: string }[] = [];
  for (const task of o.tasks)
    for (const algorithm of o.algorithms)
      for (const combo of combos)
        for (const seed of o.seeds) {
          const flags: Record<string, unknown> = { ...o.flags, ...combo.flags, task, algorithm, seed };
          for (const k of ['networkOptions', 'lossOptions']) {
            if (o.flags[k] || combo.flags[k]) {
              flags[k] = { ...(o.flags[k] as object), ...(combo.flags[k] as object) };
            }
          }
          const config = resolveRunConfig(o.file, flags);
          const name = [algorithm, combo.name, `s${seed}`]
            .filter(Boolean)
            .join('_')
            .replace(/[^A-Za-z0-9_.=-]/g, '-');
          entries.push({ config, dir: join(o.out, task, name) });
        }
  const pending = entries.filter((e) => !existsSync(join(e.dir, RESULT_FILE))).length;
  const workers = o.workers ?? defaultWorkers(pending);
  const early = forkWorkersEarly(workers, pending);
  let backend: BackendName;
  try {
    backend = await preflight(
      entries.map((e) => e.config),
      o.backend,
      o.log,
    );
  } catch (error) {
    releaseWorkers(early);
    throw error;
  }
  mkdirSync(o.out, { recursive: true });
  writeJsonAtomic(join(o.out, 'sweep.json'), {
    algorithms: o.algorithms,
    tasks: o.tasks,
    seeds: o.seeds,
    sets: o.sets,
    runs: entries.map((e) => e.dir),
  });
  const finished: RunOutcome[] = [];
  const jobs: RunJob[] = [];
  for (const e of entries) {
    const outcome = existsSync(join(e.dir, RESULT_FILE)) ? readOutcome(e.dir) : null;
    if (outcome) finished.push(outcome);
    else
      jobs.push({
        config: e.config,
        dir: e.dir,
        backend: o.backend === 'auto' ? backend : o.backend,
        resume: existsSync(join(e.dir, 'checkpoint')) || existsSync(join(e.dir, 'config.json')),
        quiet: o.quiet,
      });
  }
  o.log(`sweep: ${entries.length} runs, ${finished.length} already finished, ${jobs.length} to run`);
  const { outcomes, failures } = await runJobs(jobs, workers, o.log, early);
  const order = new Map(entries.map((e, i) => [e.dir, i]));
  const all = [...finished, ...outcomes].sort((a, b) => order.get(a.dir)! - order.get(b.dir)!);
  const rows = all.flatMap((x) => x.rows);
  writeJsonAtomic(join(o.out, 'results.json'), rows);
  if (o.json) writeJsonAtomic(o.json, rows);
  await writeReport(o.out, {
    title: 'mipjs sweep',
    preamble: [
      `${entries.length} runs: algorithms ${o.algorithms.join(',')} x tasks ${o.tasks.join(',')} x seeds ${o.seeds.join(',')}` +
        (o.sets.length ? ` x ${o.sets.map((s) => `${s.key}=${s.values.join('|')}`).join(' x ')}` : ''),
      ...failures.map((f) => `- FAILED \`${f.dir}\`: ${f.message}`),
    ],
  });
  o.print(comparisonTable(rows, `sweep ${o.out}: ${all.length}/${entries.length} runs finished`));
  o.print(`report: ${join(o.out, 'report.md')}`);
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} run(s) failed (rerun the same command to resume):\n  ${failures.map((f) => `${f.dir}: ${f.message}`).join('\n  ')}`,
    );
  }
  return { rows, skipped: finished.length };
}
