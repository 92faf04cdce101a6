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

/** The BLAS the companion's torch really runs (scripts/torch_step.py `blas_report`). */
export interface TorchBlas {
  /** Shared object mapped into the python process after a GEMM ('' = built into torch). */
  path: string;
  /** openblas, mkl, blis, atlas, reference (netlib's libblas), unknown, or `built-in (...)`. */
  kind: string;
  /** Best-of-20 float32 512x512x512 GEMM rate on the companion's threads. */
  gflops: number;
  /** torch's BLAS_INFO build setting (what it was built against, not what it loaded). */
  config: string;
}

/** What the companion script prints (one JSON object on its last stdout line). */
interface TorchOutput {
  torch: string;
  blas: TorchBlas;
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
  /** Train-section algorithms (the script's names: flow, regression, tsd, mip, ctm, lmd, psd, lsd, esd, mf). */
  algorithms: string[];
  /** Algorithms timed on the reference-size ChiUNet (rows `train/chiunet-b<chiunetBatch>/<algorithm>`); default none. */
  chiunetAlgorithms?: string[];
  /** Batch of the ChiUNet steps (default 32, `mipjs perf --chiunet-batch`'s). */
  chiunetBatch?: number;
  /** torch.set_num_threads. */
  threads: number;
}

/**
 * Parameters of mip.js's `createNetwork('chiunet')` at `mipjs perf`'s shape (A 2, H 16, To 2, D 20)
 * with the reference's chiunet.yaml sizes; the script refuses to time a ChiUNet of another size
 * (torch-companion.test.ts checks this number against mip.js's network).
 */
export const CHIUNET_PERF_PARAMS = 19_541_891;

/** The result of one companion run: rows (backend `pytorch` or `pytorch-Nt`), info line, BLAS. */
export type TorchRun = { rows: PerfRow[]; info: string; blas: TorchBlas } | { rows: null; reason: string };

/** The PyTorch rows' backend at `threads`: `pytorch` on one thread, `pytorch-2t` on two (like `wasm-2t`). */
export function pytorchBackend(threads: number): string {
  return threads > 1 ? `${PYTORCH_BACKEND}-${threads}t` : PYTORCH_BACKEND;
}

/** Below this GEMM rate a BLAS is too slow to compare with, whatever its name (OpenBLAS: ~50 per core here). */
export const SLOW_BLAS_GFLOPS = 10;

/** How to get a real BLAS on Debian (the refusal's advice). */
export const OPENBLAS_ADVICE =
  'apt-get install libopenblas0-pthread && update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3';

/**
 * Why PyTorch ratios against this BLAS would mislead (netlib's reference BLAS makes torch ~13x
 * slower than OpenBLAS on the W512 flow step, issue 21), or null when it is fine. One line.
 */
export function slowBlasReason(blas: TorchBlas): string | null {
  const where = blas.path || 'built into torch';
  if (blas.kind === 'reference')
    return `PyTorch runs the reference BLAS (${where}, ${blas.gflops} GFLOP/s): its ratios would flatter mip.js; ${OPENBLAS_ADVICE}, or pass --allow-slow-blas`;
  if (blas.gflops < SLOW_BLAS_GFLOPS)
    return `PyTorch's BLAS (${blas.kind}, ${where}) does ${blas.gflops} GFLOP/s, under ${SLOW_BLAS_GFLOPS}: its ratios would flatter mip.js; ${OPENBLAS_ADVICE}, or pass --allow-slow-blas`;
  return null;
}

/**
 * Runs the companion script and turns its samples into rows (backend {@link pytorchBackend}).
 * Returns the rows, a one-line description (torch version, BLAS, threads) and the BLAS report,
 * or a reason when it failed.
 */
export function runTorchStep(
  python: string,
  o: TorchRunOptions,
  run: CommandRunner = spawnRunner,
  script = TORCH_SCRIPT,
): TorchRun {
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
    `--algorithms=${o.algorithms.join(',')}`,
    `--chiunet-algorithms=${(o.chiunetAlgorithms ?? []).join(',')}`,
    `--chiunet-batch=${o.chiunetBatch ?? 32}`,
    `--chiunet-params=${CHIUNET_PERF_PARAMS}`,
    `--threads=${o.threads}`,
  ];
  const r = run(python, args, 60 * 60_000);
  if (r.error || r.status !== 0) {
    return { rows: null, reason: `${python} ${script} failed: ${r.error?.message ?? firstLine(r.stderr)}` };
  }
  return parseTorchOutput(r.stdout);
}

function isBlas(b: unknown): b is TorchBlas {
  const x = b as TorchBlas;
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof x.path === 'string' &&
    typeof x.kind === 'string' &&
    typeof x.gflops === 'number' &&
    typeof x.config === 'string'
  );
}

/** Parses the script's last stdout line. */
export function parseTorchOutput(stdout: string): TorchRun {
  let out: TorchOutput;
  try {
    out = JSON.parse(firstLine(stdout)) as TorchOutput;
  } catch {
    return {
      rows: null,
      reason: `could not parse the companion script's output: ${firstLine(stdout).slice(0, 200)}`,
    };
  }
  if (!isBlas(out.blas))
    return {
      rows: null,
      reason: 'the companion script printed no BLAS report (blas: {path, kind, gflops, config})',
    };
  const backend = pytorchBackend(out.threads);
  const rows = out.rows.map((r) => perfRow(r.name, backend, r.samples, r.unit));
  if (!rows.every(isPerfRow)) return { rows: null, reason: 'the companion script printed malformed rows' };
  const b = out.blas;
  return {
    rows,
    blas: b,
    info: `torch ${out.torch}, BLAS ${b.kind} ${b.path || '(built in)'} ${b.gflops} GFLOP/s, ${out.threads} thread${out.threads > 1 ? 's' : ''}`,
  };
}
