// sweep/ owns several runs at once: `mipjs sweep` (here), `mipjs compare`, the worker pool and its worker process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../backend/backend.js';
import { ConfigError, type RunConfig, resolveRunConfig } from '../config/config.js';
import type { ResultRow } from '../evaluate/results.js';
import { makeDir, writeJsonAtomic } from '../io/io.js';
import { writeReport } from '../report/report.js';
import { RESULT_FILE, type RunJob, type RunOutcome, readOutcome } from '../run/run.js';
import { comparisonTable, variantTables, writeResultsKeepingGood } from './compare.js';
import { checkRuns, defaultWorkers, forkWorkersEarly, preflight, runJobs } from './jobs.js';
import { releaseWorkers } from './pool.js';

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
  /** How errors name a key of `file` (see `resolveRunConfig`). */
  fileKey?: (key: string) => string;
  flags: Record<string, unknown>;
  backend: BackendName;
  out: string;
  workers?: number;
  json?: string;
  quiet?: boolean;
  log: (line: string) => void;
  print: (text: string) => void;
}

/** What a sweep's grid is made of (the grid part of {@link SweepOptions}). */
export type SweepGridSpec = Pick<
  SweepOptions,
  'algorithms' | 'tasks' | 'seeds' | 'sets' | 'file' | 'fileKey' | 'flags'
>;

/** One run of a sweep's grid: its resolved config and its folder relative to the sweep folder. */
export interface SweepGridRun {
  config: RunConfig;
  /** `<task>/<algorithm>[_<key>=<value>...]_s<seed>`, the same on every machine. */
  run: string;
  /** The `--set` combination (`norm=l1_conditioning=film`), empty without `--set`. */
  variant?: string;
}

/**
 * The runs of a sweep's grid, tasks x algorithms x option combinations x seeds, in that order
 * (the order of `results.json`). The local sweep and the queue (`sweep/queue/`) both start here,
 * so a run has the same config and folder name whichever of them trains it.
 */
export function sweepGrid(o: SweepGridSpec): SweepGridRun[] {
  let combos: { name: string; flags: Record<string, unknown> }[] = [{ name: '', flags: {} }];
  for (const { key, values } of o.sets) {
    combos = combos.flatMap((c) =>
      values.map((v) => ({
        name: `${c.name}${c.name ? '_' : ''}${key.replace(/^.*\./, '')}=${String(v)}`,
        flags: applySet(c.flags, key, v),
      })),
    );
  }
  const runs: SweepGridRun[] = [];
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
          let config: RunConfig;
          try {
            config = resolveRunConfig(o.file, flags, { fileKey: o.fileKey });
          } catch (error) {
            // A key of a --set axis is named with the axis it came from.
            if (!(error instanceof ConfigError) || !combo.name) throw error;
            throw new ConfigError(`${error.message} (in the --set combination ${combo.name})`);
          }
          const name = [algorithm, combo.name, `s${seed}`]
            .filter(Boolean)
            .join('_')
            .replace(/[^A-Za-z0-9_.=-]/g, '-');
          runs.push({ config, run: `${task}/${name}`, variant: combo.name });
        }
  return runs;
}

/**
 * `mipjs sweep`: the grid algorithms x tasks x seeds x options. Resumable: a run folder with
 * result.json is skipped, one with a checkpoint continues from it.
 */
export async function sweep(o: SweepOptions): Promise<{ rows: ResultRow[]; skipped: number }> {
  const entries = sweepGrid(o).map(({ config, run, variant }) => ({
    config,
    dir: join(o.out, ...run.split('/')),
    variant,
  }));
  const pending = entries.filter((e) => !existsSync(join(e.dir, RESULT_FILE))).length;
  const workers = o.workers ?? defaultWorkers(pending);
  await checkRuns(entries.map((e) => e.config));
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
  makeDir(o.out);
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
  // Each row names its --set combination, so the table averages over seeds only, never over options.
  const variantOf = new Map(entries.map((e) => [e.dir, e.variant]));
  const rows = all.flatMap((x) =>
    x.rows.map((r) => (variantOf.get(x.dir) ? { ...r, variant: variantOf.get(x.dir) } : r)),
  );
  writeResultsKeepingGood(join(o.out, 'results.json'), rows, o.log);
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
  const byVariant = variantTables(rows);
  if (byVariant) o.print(byVariant);
  o.print(`report: ${join(o.out, 'report.md')}`);
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} run(s) failed (rerun the same command to resume):\n  ${failures.map((f) => `${f.dir}: ${f.message}`).join('\n  ')}`,
    );
  }
  return { rows, skipped: finished.length };
}
