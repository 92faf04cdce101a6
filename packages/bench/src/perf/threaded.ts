import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM_THREADS_ENV } from '../backend/wasm-threads.js';
import { isPerfRow, type PerfRow } from './stats.js';

/** The CLI entry the child measurement runs (dist/cli.js). */
const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/** The options of a perf run that a threaded repeat of its wasm sections needs. */
export interface ThreadedPerfSpec {
  sections: readonly string[];
  quick: boolean;
  full: boolean;
  repeats: number;
  warmup: number;
  sampleRepeats: number;
  algorithms: readonly string[] | null;
  widths: readonly number[];
  batch: number;
  chiunetBatch: number;
  inProcess: boolean;
  formulation: string;
}

/**
 * The arguments of a child `mipjs perf` that repeats the wasm train and sample sections of a run
 * with the same settings (its rows are labelled `wasm-Nt`; no PyTorch, the parent has it).
 */
export function threadedPerfArgs(o: ThreadedPerfSpec, json: string): string[] {
  const sections = o.sections.filter((s) => s === 'train' || s === 'sample');
  const args = [
    'perf',
    '--backends',
    'wasm',
    '--only',
    sections.join(','),
    '--no-torch',
    '--wasm-threads',
    '1',
  ];
  args.push('--repeats', String(o.repeats), '--warmup', String(o.warmup));
  args.push('--sample-repeats', String(o.sampleRepeats), '--widths', o.widths.join(','));
  args.push('--batch', String(o.batch), '--chiunet-batch', String(o.chiunetBatch), '--json', json);
  if (o.algorithms) args.push('--algorithms', o.algorithms.join(','));
  if (o.quick) args.push('--quick');
  if (o.full) args.push('--full');
  if (o.inProcess) args.push('--in-process');
  args.push('--formulation', o.formulation);
  return args;
}

/**
 * Runs the wasm train and sample sections again in a child process whose wasm backend has
 * `threads` XNNPACK threads (the thread count is fixed when a process starts its backend).
 * Its progress goes to this process's stderr. Resolves with its rows, or null and why.
 */
export async function runThreadedWasmPerf(
  o: ThreadedPerfSpec,
  threads: number,
): Promise<{ rows: PerfRow[]; reason?: undefined } | { rows: null; reason: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-perf-threads-'));
  const json = join(dir, 'rows.json');
  try {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...threadedPerfArgs(o, json)], {
        env: { ...process.env, [WASM_THREADS_ENV]: String(threads) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.on('error', () => resolve(null));
      child.on('exit', (c) => resolve(c));
    });
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(json, 'utf8'));
    } catch {
      return { rows: null, reason: `the child perf process wrote no rows (exit code ${code})` };
    }
    if (!Array.isArray(saved) || !saved.every(isPerfRow)) {
      return { rows: null, reason: 'the child perf process wrote malformed rows' };
    }
    // Rows saved before a failure are kept: the file is written after every row.
    return { rows: saved };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
