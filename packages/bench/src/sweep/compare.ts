import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import type { BackendName } from '../backend/backend.js';
import { ConfigError, type RunConfig, resolveRunConfig } from '../config/config.js';
import { environmentForTask } from '../evaluate/closed-loop.js';
import type { ResultRow } from '../evaluate/results.js';
import { makeDir, readJsonFile, writeJsonAtomic } from '../io/io.js';
import { formatValue, paperTableMarkdown, paperTables, paperTableTitle } from '../report/paper-tables.js';
import { writeReport } from '../report/report.js';
import { RESULT_FILE, type RunJob, type RunOutcome, readOutcome } from '../run/run.js';
import { checkRuns, defaultWorkers, forkWorkersEarly, preflight, runJobs, timestamp } from './jobs.js';
import { releaseWorkers } from './pool.js';

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * One value of a table column, in the column's unit: rates as percentages (`successRate` 0.06 ->
 * `6%`), times in milliseconds (`chunkLatencyMs`) or seconds (`train s`) to a tenth or a hundredth,
 * counts as integers; any other metric (losses, rewards, KL) to four decimals.
 */
function formatColumnValue(column: string, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (/Rate$/.test(column)) return `${(v * 100).toFixed(0)}%`;
  if (/Ms$/.test(column)) return Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (column === 'train s') return v.toFixed(1);
  if (column === 'episodes' && Number.isInteger(v)) return String(v);
  return formatValue(v);
}

/** The comparison table (means over seeds; ± std when several seeds). */
export function comparisonTable(rows: readonly ResultRow[], header: string): string {
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const key = `${r.task}\u0000${r.algorithm}\u0000${r.variant ?? ''}\u0000${r.network}\u0000${r.nfe}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // A sweep's --set combinations get their own column (and groups: seeds are averaged, options not).
  const variants = rows.some((r) => r.variant);
  const table = new Table({
    head: ['task', 'algorithm', ...(variants ? ['options'] : []), 'NFE', ...metricKeys, 'steps', 'train s'],
    style: { head: [], border: [] },
  });
  for (const group of groups.values()) {
    const r0 = group[0];
    const cell = (column: string, values: number[]) => {
      const m = mean(values);
      if (values.length < 2) return formatColumnValue(column, m);
      const sd = Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
      return `${formatColumnValue(column, m)} ± ${formatColumnValue(column, sd)}`;
    };
    table.push([
      r0.task,
      r0.algorithm,
      ...(variants ? [r0.variant ?? ''] : []),
      String(r0.nfe),
      ...metricKeys.map((k) =>
        cell(
          k,
          group.map((r) => r.metrics[k]).filter((v) => v !== undefined),
        ),
      ),
      [...new Set(group.map((r) => r.steps))].join(','),
      cell(
        'train s',
        group.map((r) => r.trainSeconds),
      ),
    ]);
  }
  return `${header}\n${table.toString()}`;
}

/**
 * The paper's layout of a sweep with `--set` axes, as console text: one table per task and metric
 * ({@link paperTables}: a row per algorithm and NFE, a column per option combination, each cell
 * the mean ± std (population) over seeds) under its title line; empty when no row has a
 * combination. `report.md` holds the same tables.
 *
 * ```ts
 * variantTables(rows); // "recon, l1_error (mean ± std over seeds)\n| algorithm | NFE | norm=l1_conditioning=concat | ..."
 * ```
 */
export function variantTables(rows: readonly ResultRow[]): string {
  return paperTables(rows)
    .map((t) => `${paperTableTitle(t)}\n${paperTableMarkdown(t)}`)
    .join('\n\n');
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
  pusht: [
    'Closed loop in the PushT simulator (Diffusion Policy test protocol: seeds 100000 onwards, legacy reset, 300 steps, receding horizon To 2 / H 16 / Ta 8):',
    'meanMaxReward: mean over episodes of max_t clip(coverage / 0.95, 0, 1) (higher is better; the demonstrations themselves score 0.89, holding the agent still 0.08);',
    'successRate: episodes whose coverage passed 0.95 (no demonstration does); meanFinalCoverage: coverage of the goal at the end; chunkLatencyMs: one batched chunk (all episodes) on this machine.',
    "valLoss: the algorithm's loss on held-out episodes; actionMse / actionMseExecuted: MSE of sampled chunks vs the recorded ones, normalised units (lower is better).",
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
  /**
   * Continue the results folder `out`: runs with a `result.json` are kept, the others continue
   * from their checkpoint (as `mipjs sweep` does). Without it, a folder with results is refused.
   */
  resume?: boolean;
  /** How errors name a key of `file` (see `resolveRunConfig`). */
  fileKey?: (key: string) => string;
  workers?: number;
  json?: string;
  quiet?: boolean;
  log: (line: string) => void;
  print: (text: string) => void;
}

/**
 * Writes `results.json` unless it would lose rows: a rerun whose runs failed keeps the good
 * results already there (a failed rerun used to replace them with `[]`). Returns whether it wrote.
 */
export function writeResultsKeepingGood(
  path: string,
  rows: readonly ResultRow[],
  log: (line: string) => void,
): boolean {
  if (existsSync(path)) {
    let before: unknown = null;
    try {
      before = readJsonFile(path, 'result rows');
    } catch {
      // unreadable: replaced below
    }
    if (Array.isArray(before) && before.length > rows.length) {
      log(
        `${path} keeps its ${before.length} rows (this run produced ${rows.length}; a failed run never replaces results)`,
      );
      return false;
    }
  }
  writeJsonAtomic(path, rows);
  return true;
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
    o.seeds.map((seed) =>
      resolveRunConfig(o.file, { ...o.flags, task: o.task, algorithm, seed }, { fileKey: o.fileKey }),
    ),
  );
  const dir = o.out ?? join('runs', `compare-${timestamp()}`);
  if (o.resume && !o.out) throw new ConfigError('--resume needs --out <results folder>');
  if (!o.resume && existsSync(join(dir, 'results.json')))
    throw new ConfigError(
      `${dir} already holds results; pass --resume to continue it or choose another --out`,
    );
  const runDir = (c: RunConfig) => join(dir, `${c.algorithm}-s${c.seed}`);
  const pending = configs.filter((c) => !(o.resume && existsSync(join(runDir(c), RESULT_FILE)))).length;
  const workers = o.workers ?? defaultWorkers(Math.max(1, pending));
  await checkRuns(configs);
  const early = forkWorkersEarly(workers, pending);
  let backend: BackendName;
  try {
    backend = await preflight(configs, o.backend, o.log);
  } catch (error) {
    releaseWorkers(early);
    throw error;
  }
  makeDir(dir);
  o.log(`results folder: ${dir}`);
  const finished: RunOutcome[] = [];
  const jobs: RunJob[] = [];
  for (const config of configs) {
    const d = runDir(config);
    const done = o.resume ? readOutcome(d) : null;
    if (done) finished.push(done);
    else
      jobs.push({
        config,
        dir: d,
        backend: o.backend === 'auto' ? backend : o.backend,
        // A run folder of this compare continues from its checkpoint (a fresh one starts at 0).
        resume: o.resume && (existsSync(join(d, 'checkpoint')) || existsSync(join(d, 'config.json'))),
        quiet: o.quiet,
      });
  }
  if (o.resume)
    o.log(`compare: ${configs.length} runs, ${finished.length} already finished, ${jobs.length} to run`);
  const ran = await runJobs(jobs, workers, o.log, early);
  const outcomes = [...finished, ...ran.outcomes];
  const { failures } = ran;
  const order = new Map(configs.map((c, i) => [runDir(c), i]));
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
  // Every task that PushT serves (state and keypoint observations) reads its numbers alike.
  const noteKey = environmentForTask(c0.task) ?? c0.task;
  const notes = METRIC_NOTES[noteKey] ?? (c0.data ? METRIC_NOTES.dataset : []);
  writeResultsKeepingGood(join(dir, 'results.json'), rows, o.log);
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
