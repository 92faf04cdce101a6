import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPerfRow, type PerfRow, perfRow } from './stats.js';
import { PYTORCH_BACKEND } from './table.js';

/**
 * Pythons tried for the PyTorch comparison, in order: Debian's system python first (its
 * python3-torch package is what a `python3` from pyenv or a venv usually lacks), then `python3`.
 */
export const PYTHON_CANDIDATES = ['/usr/bin/python3', 'python3'];

/** The companion script (packages/bench/scripts/torch_step.py, next to dist/ and src/). */
export const TORCH_SCRIPT = fileURLToPath(new URL('../../scripts/torch_step.py', import.meta.url));

/** Runs a command and returns its exit status and output (injected in tests). */
export type CommandRunner = (
  command: string,
  args: string[],
  timeoutMs: number,
) => { status: number | null; stdout: string; stderr: string; error?: Error };

export const spawnRunner: CommandRunner = (command, args, timeoutMs) => {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
};

/** A python with torch, or why there is none. */
export type TorchProbe = { python: string; version: string } | { python: null; reason: string };

function firstLine(s: string): string {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * Finds the first candidate python that imports torch. Without one, `reason` says what each
 * candidate answered (not found, no torch module, ...), which the table prints.
 */
export function probeTorch(
  candidates: readonly string[] = PYTHON_CANDIDATES,
  run: CommandRunner = spawnRunner,
): TorchProbe {
  const why: string[] = [];
  for (const python of candidates) {
    const r = run(python, ['-c', 'import torch; print(torch.__version__)'], 60_000);
    if (r.error) {
      why.push(
        `${python}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message}`,
      );
    } else if (r.status !== 0) {
      why.push(`${python}: ${firstLine(r.stderr) || `exit ${r.status}`}`);
    } else {
      return { python, version: r.stdout.trim() };
    }
  }
  return { python: null, reason: `no python with torch (${why.join('; ')})` };
}

/** What the companion script prints (one JSON object on its last stdout line). */
interface TorchOutput {
  torch: string;
  blas: string;
  threads: number;
  rows: { name: string; samples: number[]; unit: string }[];
}

/** Options of one companion-script run: the same network, batch and step as the TF.js side. */
export interface TorchRunOptions {
  widths: number[];
  layers: number;
  batch: number;
  horizon: number;
  actDim: number;
  obsSteps: number;
  condDim: number;
  warmup: number;
  repeats: number;
  sampleRepeats: number;
}

/**
 * Runs the companion script and turns its samples into rows (backend `pytorch`). Returns the
 * rows and a one-line description (torch version, BLAS, threads), or a reason when it failed.
 */
export function runTorchStep(
  python: string,
  o: TorchRunOptions,
  run: CommandRunner = spawnRunner,
  script = TORCH_SCRIPT,
): { rows: PerfRow[]; info: string } | { rows: null; reason: string } {
  if (!existsSync(script)) return { rows: null, reason: `companion script ${script} not found` };
  const args = [
    script,
    `--widths=${o.widths.join(',')}`,
    `--layers=${o.layers}`,
    `--batch=${o.batch}`,
    `--horizon=${o.horizon}`,
    `--act-dim=${o.actDim}`,
    `--obs-steps=${o.obsSteps}`,
    `--cond-dim=${o.condDim}`,
    `--warmup=${o.warmup}`,
    `--repeats=${o.repeats}`,
    `--sample-repeats=${o.sampleRepeats}`,
  ];
  const r = run(python, args, 30 * 60_000);
  if (r.error || r.status !== 0) {
    return { rows: null, reason: `${python} ${script} failed: ${r.error?.message ?? firstLine(r.stderr)}` };
  }
  return parseTorchOutput(r.stdout);
}

/** Parses the script's last stdout line. */
export function parseTorchOutput(
  stdout: string,
): { rows: PerfRow[]; info: string } | { rows: null; reason: string } {
  let out: TorchOutput;
  try {
    out = JSON.parse(firstLine(stdout)) as TorchOutput;
  } catch {
    return {
      rows: null,
      reason: `could not parse the companion script's output: ${firstLine(stdout).slice(0, 200)}`,
    };
  }
  const rows = out.rows.map((r) => perfRow(r.name, PYTORCH_BACKEND, r.samples, r.unit));
  if (!rows.every(isPerfRow)) return { rows: null, reason: 'the companion script printed malformed rows' };
  return { rows, info: `torch ${out.torch}, BLAS ${out.blas}, ${out.threads} threads` };
}
