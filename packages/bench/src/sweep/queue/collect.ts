// Collecting a queue sweep: the results the workers returned, written as a local sweep's folder (results.json, report).
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { ResultRow } from '../../evaluate/results.js';
import { makeDir, writeJsonAtomic } from '../../io/io.js';
import { writeReport } from '../../report/report.js';
import { RESULT_FILE, type RunOutcome } from '../../run/run.js';
import { comparisonTable } from '../compare.js';
import {
  type QueueJobData,
  type QueueRunResult,
  type RunStatus,
  type SweepManifest,
  sweepStatus,
} from './queue.js';
import { writeRunFiles } from './store.js';

/** Options of {@link collectSweep}. */
export interface CollectOptions {
  /** The results folder: `results.json`, `report.md`, `plots/`, one folder per finished run. */
  out: string;
  /** Also write the rows here. */
  json?: string;
  print: (text: string) => void;
}

/** What {@link collectSweep} found and wrote. */
export interface CollectResult {
  rows: ResultRow[];
  status: RunStatus[];
  finished: number;
  failed: { run: string; message: string }[];
  pending: string[];
}

/**
 * Writes the finished runs of a queue sweep into `out` as a local `mipjs sweep` would: each run's
 * returned files and `result.json` in `out/<task>/<run>/`, the rows of every finished run in grid
 * order in `out/results.json`, and the report. Each run's result is the return value BullMQ
 * recorded for its job, so it counts once whatever retries and take-overs happened. Runs still
 * waiting or running are listed, not waited for; failed ones go into the report.
 *
 * ```ts
 * const { rows } = await collectSweep(queue, manifest, { out: 'runs/lr-study', print: console.log });
 * ```
 */
export async function collectSweep(
  queue: Queue<QueueJobData, QueueRunResult>,
  manifest: SweepManifest,
  o: CollectOptions,
): Promise<CollectResult> {
  const status = await sweepStatus(queue, manifest);
  makeDir(o.out);
  const rows: ResultRow[] = [];
  const failed: CollectResult['failed'] = [];
  const pending: string[] = [];
  let finished = 0;
  for (const s of status) {
    if (s.state === 'completed' && s.result) {
      const dir = join(o.out, ...s.run.split('/'));
      writeRunFiles(dir, s.result.files);
      const outcome: RunOutcome = {
        dir,
        rows: s.result.rows,
        trainSeconds: s.result.trainSeconds,
        evalSeconds: s.result.evalSeconds,
        backend: s.result.backend,
      };
      writeJsonAtomic(join(dir, RESULT_FILE), outcome);
      rows.push(...s.result.rows);
      finished++;
    } else if (s.state === 'failed') failed.push({ run: s.run, message: s.failedReason ?? 'unknown reason' });
    else pending.push(s.run);
  }
  writeJsonAtomic(join(o.out, 'sweep.json'), {
    name: manifest.name,
    grids: manifest.grids,
    runs: manifest.runs.map((r) => join(o.out, ...r.run.split('/'))),
  });
  writeJsonAtomic(join(o.out, 'results.json'), rows);
  if (o.json) writeJsonAtomic(o.json, rows);
  const header = `sweep ${manifest.name} (queue) -> ${o.out}: ${finished}/${status.length} runs finished`;
  if (finished > 0) {
    await writeReport(o.out, {
      title: `mipjs sweep ${manifest.name}`,
      preamble: [
        `${status.length} runs trained by queue workers: ${manifest.grids.join('; ')}`,
        ...failed.map((f) => `- FAILED \`${f.run}\`: ${f.message}`),
        ...(pending.length ? [`- not finished yet (${pending.length}): ${pending.join(', ')}`] : []),
      ],
    });
    o.print(comparisonTable(rows, header));
    o.print(`report: ${join(o.out, 'report.md')}`);
  } else o.print(`${header}; no report yet`);
  if (pending.length) o.print(`${pending.length} run(s) not finished yet; collect again later`);
  return { rows, status, finished, failed, pending };
}
