// perf/ owns `mipjs perf`: speed and memory measurements of training and sampling, their tables and the PyTorch comparison.
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { type Command, Option } from 'commander';
import type { Algorithm } from '../algorithms/algorithm.js';
import { BUILTIN_ALGORITHM_NAMES, builtinAlgorithms } from '../algorithms/algorithms.js';
import { type ConcreteBackend, wasmThreads } from '../backend/backend.js';
import { prepareBackend } from '../backend/setup.js';
import { WASM_THREADS_ENV } from '../backend/wasm-threads.js';
import { ConfigError, parseNumberFlag } from '../config/config.js';
import { readJsonFile, writeJsonAtomic } from '../io/io.js';
import { runServeBenchmark } from '../serve/benchmark.js';
import { loadCatalog } from '../serve/catalog.js';
import { findRedisServer } from '../sweep/queue/redis-server.js';
import { timeClosedLoop } from './eval.js';
import { measureImageStep, PUSHT_IMAGE_PERF } from './image.js';
import {
  isolatedTrainSteps,
  PERF_SHAPE,
  timeQueueSweep,
  timeSampling,
  timeSweep,
  timeTrainSteps,
  trainMemory,
} from './measure.js';
import { profileStep } from './profile.js';
import { isPerfRow, type PerfRow, perfRow, ratioRow } from './stats.js';
import {
  type MarginalTiming,
  queueOverheadPerJobMs,
  type SweepTiming,
  secondsPerJob,
  sweepScaling,
} from './sweep-scaling.js';
import { pytorchRows, renderPerfMarkdown, renderPerfTable } from './table.js';
import { runThreadedWasmPerf } from './threaded.js';
import { probeTorch, runTorchStep, slowBlasReason } from './torch.js';

/** The policy the serve section loads: the playground's MIP policy, the demo's run (from dist/perf). */
const SERVE_POLICY = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../apps/playground/public/policies/mip',
);

export const PERF_SECTIONS = ['train', 'sample', 'memory', 'sweep', 'serve', 'eval', 'image'] as const;
export type PerfSection = (typeof PERF_SECTIONS)[number];
const ALL_BACKENDS: ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
/** The JVP losses whose step is compared with a flow step. */
export const JVP_ALGORITHMS = ['lsd', 'esd', 'mf'];

/** Resolved options of `mipjs perf`. */
export interface PerfOptions {
  /** Backends to measure; `null` = every one that loads. */
  backends: ConcreteBackend[] | null;
  sections: PerfSection[];
  quick: boolean;
  full: boolean;
  /** Timed steps per train measurement (after `warmup` untimed ones). */
  repeats: number;
  warmup: number;
  sampleRepeats: number;
  memorySteps: number;
  sweepRuns: number;
  sweepSteps: number;
  /** Loss options of the train rows: the reference's formulation (default) or mip.js's defaults. */
  formulation: Formulation;
  /** Train-section algorithms; `null` = the default per backend. */
  algorithms: string[] | null;
  widths: number[];
  batch: number;
  /**
   * Batch of the ChiUNet train measurements: the reference-size ChiUNet at batch 256 exhausts the
   * wasm heap (Aborted() on the 4 GB wasm32 memory), so it is measured at a smaller batch.
   */
  chiunetBatch: number;
  /** Batch of the image section (one pusht_image step: ResNet-18 encoder + network); default 64, the reference's. */
  imageBatch: number;
  torch: boolean;
  /** Compare with a PyTorch that runs a reference (netlib) or otherwise slow BLAS anyway. */
  allowSlowBlas: boolean;
  /** Print the kernels that dominate a flow and a JVP-loss step. */
  profile: boolean;
  /** Run the train measurements in this process instead of one fresh worker process each. */
  inProcess: boolean;
  /**
   * Also measure the wasm train and sample sections with this many XNNPACK threads, in a child
   * process (rows `wasm-Nt`); 1 = not. Default: the cores (at most 8), unless
   * `MIPJS_WASM_THREADS` already sets the threads of this run.
   */
  wasmThreads: number;
  json?: string;
}

/** Tiny sizes of every network for the memory run (leaks do not depend on the width). */
export const TINY_NETWORKS: Record<string, Record<string, unknown>> = {
  mlp: { embDim: 32, nLayers: 2, timestepEmbDim: 16 },
  vanilla_mlp: { embDim: 32, nLayers: 2 },
  rnn: { embDim: 32, nLayers: 1, timestepEmbDim: 16 },
  vanilla_rnn: { embDim: 32, nLayers: 1, timestepEmbDim: 16 },
  chiunet: { embDim: 16, modelDim: 8, kernelSize: 3, dimMult: [1, 2] },
  jannerunet: { embDim: 16, modelDim: 8, dimMult: [1, 2], attention: true },
  chitransformer: { embDim: 16, nLayers: 1, nHeads: 2 },
  sudeepdit: { embDim: 16, nLayers: 1, nHeads: 2 },
};

/** One planned measurement. */
interface TrainItem {
  label: string;
  batch: number;
  network: string;
  networkOptions: Record<string, unknown>;
  lossOptions: Record<string, unknown>;
  algorithm: string;
}

/**
 * The loss options under which mip.js computes what the PyTorch companion times (the reference's
 * `mip/losses.py`, `scripts/torch_step.py`): mip, tsd, psd and esd in their reference variant, and
 * lsd without the stop-gradient on its velocity (the reference backpropagates through it; esd's
 * velocity is under `no_grad` there too). The defaults (the page forms) cost the same network calls
 * for mip, tsd and psd but less for esd (one velocity call and one joint JVP instead of a map call,
 * a velocity call and two JVPs) and lsd (no backward through the velocity), which would flatter
 * mip.js's ratios. `--formulation page` times the defaults instead.
 */
export const REFERENCE_FORMULATION: Readonly<Record<string, Record<string, unknown>>> = {
  mip: { variant: 'reference' },
  tsd: { variant: 'reference' },
  psd: { variant: 'reference' },
  esd: { variant: 'reference' },
  lsd: { stopGradients: false },
};

/** Which loss options the train rows use: the reference's formulation or mip.js's defaults. */
export const FORMULATIONS = ['reference', 'page'] as const;
export type Formulation = (typeof FORMULATIONS)[number];

/**
 * The work of one backend. The cpu backend is ~20x slower than wasm, so by default it gets a
 * reduced train section (flow, mip and lsd at W256, no ChiUNet); `--full` lifts that.
 */
export function planFor(backend: ConcreteBackend, o: PerfOptions): { train: TrainItem[]; skipped: string[] } {
  const slow = backend === 'cpu' && !o.full;
  const skipped: string[] = [];
  const defaultAlgorithms = o.quick || slow ? ['flow', 'mip', 'lsd'] : BUILTIN_ALGORITHM_NAMES;
  const algorithms = o.algorithms ?? defaultAlgorithms;
  const widths = slow && o.widths.length > 1 ? [Math.min(...o.widths)] : o.widths;
  if (widths.length < o.widths.length)
    skipped.push(`train at widths ${o.widths.filter((w) => !widths.includes(w)).join(', ')}`);
  if (!o.algorithms && algorithms.length < BUILTIN_ALGORITHM_NAMES.length) {
    skipped.push(`train of ${BUILTIN_ALGORITHM_NAMES.filter((a) => !algorithms.includes(a)).join(', ')}`);
  }
  const lossOptions = (a: string) =>
    o.formulation === 'reference' ? { ...(REFERENCE_FORMULATION[a] ?? {}) } : {};
  const train: TrainItem[] = [];
  for (const w of widths)
    for (const a of algorithms)
      train.push({
        label: `mlp-w${w}`,
        batch: o.batch,
        network: 'mlp',
        networkOptions: { embDim: w },
        lossOptions: lossOptions(a),
        algorithm: a,
      });
  if (slow || o.quick) skipped.push('train of chiunet');
  else {
    const chi = o.full ? algorithms : algorithms.filter((a) => ['flow', 'mip', 'lsd'].includes(a));
    for (const a of chi) {
      train.push({
        label: `chiunet-b${o.chiunetBatch}`,
        batch: o.chiunetBatch,
        network: 'chiunet',
        networkOptions: {},
        lossOptions: lossOptions(a),
        algorithm: a,
      });
    }
  }
  return { train, skipped: o.sections.includes('train') ? skipped : [] };
}

function parseFormulation(value: string): Formulation {
  if (!(FORMULATIONS as readonly string[]).includes(value))
    throw new ConfigError(`--formulation '${value}': expected one of ${FORMULATIONS.join(', ')}`);
  return value as Formulation;
}

function parseList<T extends string>(flag: string, value: string, valid: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items) {
    if (!valid.includes(i as T)) throw new ConfigError(`unknown ${flag} '${i}'; valid: ${valid.join(', ')}`);
  }
  return items as T[];
}

/** Raw flags of `mipjs perf`. */
export interface PerfFlags {
  backends?: string;
  only?: string;
  quick?: boolean;
  full?: boolean;
  repeats?: string;
  warmup?: string;
  sampleRepeats?: string;
  memorySteps?: string;
  sweepRuns?: string;
  sweepSteps?: string;
  formulation?: string;
  algorithms?: string;
  widths?: string;
  batch?: string;
  chiunetBatch?: string;
  imageBatch?: string;
  torch?: boolean;
  allowSlowBlas?: boolean;
  profile?: boolean;
  inProcess?: boolean;
  wasmThreads?: string;
  json?: string;
}

/** Flags -> options with the defaults (`--quick` shrinks every section). */
export function resolvePerfOptions(f: PerfFlags): PerfOptions {
  const quick = !!f.quick;
  const n = (flag: string, v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const x = parseNumberFlag(flag, v);
    if (!Number.isInteger(x) || x < 1)
      throw new ConfigError(`${flag} must be a positive integer, got '${v}'`);
    return x;
  };
  return {
    backends: f.backends ? parseList('backend', f.backends, ALL_BACKENDS) : null,
    // The image section (minutes per step on a CPU) runs only when asked for: --only image.
    sections: f.only
      ? parseList('section', f.only, PERF_SECTIONS)
      : PERF_SECTIONS.filter((s) => s !== 'image'),
    quick,
    full: !!f.full,
    repeats: n('--repeats', f.repeats, quick ? 3 : 5),
    warmup: n('--warmup', f.warmup, quick ? 1 : 2),
    sampleRepeats: n('--sample-repeats', f.sampleRepeats, quick ? 20 : 100),
    memorySteps: n('--memory-steps', f.memorySteps, quick ? 100 : 500),
    sweepRuns: n('--sweep-runs', f.sweepRuns, quick ? 2 : 4),
    sweepSteps: n('--sweep-steps', f.sweepSteps, quick ? 100 : 1000),
    formulation: f.formulation ? parseFormulation(f.formulation) : 'reference',
    algorithms: f.algorithms ? parseList('algorithm', f.algorithms, BUILTIN_ALGORITHM_NAMES) : null,
    widths: f.widths
      ? f.widths.split(',').map((w) => n('--widths', w.trim(), 0))
      : quick
        ? [256]
        : [256, 512],
    batch: n('--batch', f.batch, 256),
    chiunetBatch: n('--chiunet-batch', f.chiunetBatch, 32),
    imageBatch: n('--image-batch', f.imageBatch, 64),
    torch: f.torch !== false,
    allowSlowBlas: !!f.allowSlowBlas,
    profile: !!f.profile,
    inProcess: !!f.inProcess,
    wasmThreads:
      f.wasmThreads !== undefined
        ? n('--wasm-threads', f.wasmThreads, 1)
        : process.env[WASM_THREADS_ENV]
          ? 1
          : Math.min(8, availableParallelism()),
    json: f.json,
  };
}

/**
 * The PyTorch side: the companion script on one thread and, when the wasm sections are repeated
 * threaded, on as many threads (rows `pytorch`, `pytorch-Nt`), so every ratio is thread for thread.
 * Refuses the comparison (no rows, a one-line reason) when torch runs a reference BLAS, unless
 * `--allow-slow-blas`. Returns why there is no PyTorch column, or undefined when there is one.
 */
function runTorchCompanion(
  o: PerfOptions,
  add: (r: PerfRow) => PerfRow,
  log: (line: string) => void,
  elapsed: () => string,
): string | undefined {
  const probe = probeTorch();
  if (probe.python === null) {
    log(`perf: PyTorch comparison skipped: ${probe.reason}`);
    return probe.reason;
  }
  const threadCounts = o.wasmThreads > 1 ? [1, o.wasmThreads] : [1];
  let oneThreadGflops: number | undefined;
  for (const threads of threadCounts) {
    log(
      `perf: PyTorch ${probe.version} at ${probe.python}: scripts/torch_step.py on ${threads} thread(s) (${elapsed()})`,
    );
    const r = runTorchStep(probe.python, {
      widths: o.widths,
      layers: 8,
      batch: o.batch,
      horizon: PERF_SHAPE.horizon,
      actDim: PERF_SHAPE.actDim,
      obsSteps: PERF_SHAPE.obsSteps,
      condDim: PERF_SHAPE.obsDim,
      warmup: o.warmup,
      repeats: o.repeats,
      sampleRepeats: o.sampleRepeats,
      algorithms: o.sections.includes('train') ? torchAlgorithms(o) : [],
      chiunetAlgorithms: o.sections.includes('train') ? torchAlgorithms(o, 'chiunet') : [],
      chiunetBatch: o.chiunetBatch,
      threads,
    });
    if (r.rows === null) {
      log(`perf: PyTorch comparison skipped: ${r.reason}`);
      return r.reason;
    }
    const slow = slowBlasReason(r.blas);
    if (slow && !o.allowSlowBlas) {
      log(`perf: PyTorch comparison refused: ${slow}`);
      return slow;
    }
    let info = slow ? `${r.info} (SLOW BLAS, --allow-slow-blas)` : r.info;
    // A GEMM no faster on N threads than on one: busy cores (OpenBLAS's threads then spin against
    // other work, 5-10x slower rows seen), or cores that do not scale (this project's VM, idle:
    // 176 vs 180 GFLOP/s, 2-thread steps 1.8-3.5x slower). Either way the N-thread rows are not
    // PyTorch at its best, and a ratio against them would flatter mip.js.
    if (threads === 1) oneThreadGflops = r.blas.gflops;
    else if (oneThreadGflops !== undefined && r.blas.gflops < 1.2 * oneThreadGflops) {
      info += `; LOADED: ${threads}-thread GEMM ${r.blas.gflops} vs 1-thread ${oneThreadGflops} GFLOP/s, these rows are not comparable`;
      log(
        `perf: warning: PyTorch on ${threads} threads is no faster than on one (busy cores, or cores that do not scale): its ratios mean nothing`,
      );
    }
    log(`perf: PyTorch: ${info} (${elapsed()})`);
    for (const row of r.rows) add({ ...row, note: info });
  }
  return undefined;
}

/** The train algorithms the companion times on `network`: the wasm plan's (the script knows every builtin). */
function torchAlgorithms(o: PerfOptions, network: 'mlp' | 'chiunet' = 'mlp'): string[] {
  return [
    ...new Set(
      planFor('wasm', o)
        .train.filter((t) => t.network === network)
        .map((t) => t.algorithm),
    ),
  ];
}

/** Median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** `mipjs perf`: measure, print the table, write the JSON rows. Returns the rows. */
export async function runPerf(
  o: PerfOptions,
  log: (line: string) => void,
  print: (text: string) => void,
): Promise<PerfRow[]> {
  const t0 = performance.now();
  const algorithms = new Map<string, Algorithm>(builtinAlgorithms().map((a) => [a.name, a]));
  const rows: PerfRow[] = [];
  const add = (r: PerfRow) => {
    rows.push(r);
    // Saved after every row: a long run that dies (a wasm heap abort, ^C) keeps what it measured.
    if (o.json) writeJsonAtomic(o.json, rows);
    return r;
  };
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
  /** A `vs-pytorch/<name>` ratio row for each of `of` that has a PyTorch row of the same name. */
  const addPytorchRatios = (of: readonly PerfRow[]) => {
    for (const r of of) {
      const t = pytorchRows(rows, r.backend).get(r.name);
      // A PyTorch row measured on busy cores passes its LOADED note on: its target is not judged.
      const loaded = t?.note?.includes('LOADED') ? t.note.slice(t.note.indexOf('LOADED')) : undefined;
      if (t) add(ratioRow(`vs-pytorch/${r.name}`, r.backend, r, t, loaded));
    }
  };
  log(`perf: ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores, node ${process.version}`);
  log(
    `perf: shape H ${PERF_SHAPE.horizon}, A ${PERF_SHAPE.actDim}, To ${PERF_SHAPE.obsSteps}, D ${PERF_SHAPE.obsDim}; batch ${o.batch}; losses in the ${o.formulation} formulation`,
  );

  let torchNote: string | undefined;
  if (o.torch && (o.sections.includes('train') || o.sections.includes('sample'))) {
    torchNote = runTorchCompanion(o, add, log, elapsed);
  } else if (!o.torch) torchNote = '--no-torch';

  const candidates = o.backends ?? ALL_BACKENDS;
  for (const backend of candidates) {
    try {
      await prepareBackend(backend, log);
    } catch (error) {
      log(`perf: backend ${backend} skipped: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    // Rows of a threaded wasm backend say so: `wasm-2t` is XNNPACK on two threads.
    const rowBackend = backend === 'wasm' && wasmThreads() > 1 ? `wasm-${wasmThreads()}t` : backend;
    const plan = planFor(backend, o);
    for (const s of plan.skipped) log(`perf [${rowBackend}]: skipped by default: ${s} (pass --full)`);

    if (o.sections.includes('train')) {
      const byKey = new Map<string, PerfRow>();
      let i = 0;
      for (const item of plan.train) {
        i++;
        log(
          `perf [${rowBackend}] train ${item.label} ${item.algorithm} (${i}/${plan.train.length}, ${elapsed()})`,
        );
        const job = {
          network: item.network,
          networkOptions: item.networkOptions,
          lossOptions: item.lossOptions,
          batch: item.batch,
          steps: o.warmup + o.repeats,
        };
        let times: number[];
        try {
          times = o.inProcess
            ? await timeTrainSteps({ ...job, algorithm: algorithms.get(item.algorithm)! })
            : await isolatedTrainSteps({ ...job, backend, algorithm: item.algorithm });
        } catch (error) {
          log(`perf [${rowBackend}]   FAILED: ${(error as Error).message.split('\n')[0]}`);
          continue;
        }
        const row = add(
          perfRow(`train/${item.label}/${item.algorithm}`, rowBackend, times.slice(o.warmup), 'ms'),
        );
        byKey.set(`${item.label}/${item.algorithm}`, row);
        log(`perf [${rowBackend}]   median ${row.median.toFixed(1)} ms`);
      }
      for (const [key, row] of byKey) {
        const [label, alg] = key.split('/');
        const flow = byKey.get(`${label}/flow`);
        if (flow && JVP_ALGORITHMS.includes(alg)) {
          add(ratioRow(`train-ratio/${label}/${alg}-vs-flow`, rowBackend, row, flow));
        }
      }
    }

    if (o.profile) {
      for (const alg of ['flow', 'mip', ...JVP_ALGORITHMS]) {
        const w = o.widths[o.widths.length - 1];
        log(`perf [${rowBackend}] profile mlp-w${w} ${alg} (${elapsed()})`);
        const p = await profileStep(algorithms.get(alg)!, 'mlp', { embDim: w }, o.batch);
        const kernelMs = p.kernels.reduce((a, k) => a + k.ms, 0);
        print(
          `profile [${rowBackend}] mlp-w${w} ${alg}: loss+grads ${p.totalMs.toFixed(0)} ms, kernels ${kernelMs.toFixed(0)} ms`,
        );
        for (const k of p.kernels.slice(0, 12)) {
          print(
            `  ${k.name.padEnd(22)} ${k.ms.toFixed(1).padStart(8)} ms ${String(k.calls).padStart(5)} calls ${((100 * k.ms) / kernelMs).toFixed(0).padStart(3)}%`,
          );
        }
      }
    }

    if (o.sections.includes('sample')) {
      const cases = [
        { algorithm: 'mip', steps: 2, label: 'mip-2nfe' },
        { algorithm: 'flow', steps: 9, label: 'flow-9nfe' },
        { algorithm: 'lsd', steps: 1, label: 'flowmap-1nfe' },
      ];
      for (const w of o.widths) {
        for (const c of cases) {
          log(`perf [${rowBackend}] sample mlp-w${w} ${c.label} (${elapsed()})`);
          let times: number[];
          try {
            times = await timeSampling({
              algorithm: algorithms.get(c.algorithm)!,
              steps: c.steps,
              network: 'mlp',
              networkOptions: { embDim: w },
              warmup: 5,
              repeats: o.sampleRepeats,
            });
          } catch (error) {
            log(`perf [${rowBackend}]   FAILED: ${(error as Error).message.split('\n')[0]}`);
            continue;
          }
          const row = add(perfRow(`sample/mlp-w${w}/${c.label}`, rowBackend, times, 'ms'));
          log(`perf [${rowBackend}]   median ${row.median.toFixed(3)} ms`);
        }
      }
    }

    addPytorchRatios(rows.filter((x) => x.backend === rowBackend));

    if (
      backend === 'wasm' &&
      o.wasmThreads > 1 &&
      (o.sections.includes('train') || o.sections.includes('sample'))
    ) {
      log(
        `perf [wasm-${o.wasmThreads}t] the train and sample sections again, in a child process (${elapsed()})`,
      );
      const threaded = await runThreadedWasmPerf(o, o.wasmThreads);
      if (threaded.rows === null) log(`perf [wasm-${o.wasmThreads}t] skipped: ${threaded.reason}`);
      else {
        for (const r of threaded.rows) add(r);
        addPytorchRatios(threaded.rows);
      }
    }

    if (o.sections.includes('memory')) {
      const items: [string, string][] = [];
      for (const a of o.algorithms ?? BUILTIN_ALGORITHM_NAMES) items.push(['mlp', a]);
      for (const net of Object.keys(TINY_NETWORKS)) {
        if (net === 'mlp') continue;
        for (const a of o.quick ? ['lsd'] : ['flow', 'lsd']) items.push([net, a]);
      }
      let i = 0;
      for (const [net, alg] of items) {
        i++;
        log(
          `perf [${rowBackend}] memory ${net} ${alg}, ${o.memorySteps} steps (${i}/${items.length}, ${elapsed()})`,
        );
        const m = await trainMemory({
          algorithm: algorithms.get(alg)!,
          network: net,
          networkOptions: TINY_NETWORKS[net],
          batch: 16,
          steps: o.memorySteps,
        });
        const growth = m.tensors[m.tensors.length - 1] - m.tensors[0];
        const rss = m.rssMB[m.rssMB.length - 1] - m.rssMB[0];
        add(
          perfRow(
            `memory/${net}/${alg}/numTensors`,
            rowBackend,
            m.tensors,
            'tensors',
            `growth ${growth} over steps 2-${o.memorySteps}`,
          ),
        );
        add(
          perfRow(
            `memory/${net}/${alg}/rss`,
            rowBackend,
            m.rssMB,
            'MB',
            `growth ${rss.toFixed(1)} MB over steps 2-${o.memorySteps}`,
          ),
        );
      }
    }

    if (o.sections.includes('image')) {
      // One pusht_image training step (perf/image.ts): ResNet-18 encoder (96 x 96 frames, 84 x 84
      // crops) + the preset's network + the MIP loss + AdamW + EMA, on synthetic frames. Only with
      // --only image. A wasm heap abort kills the process; the rows written so far stay in --json.
      const mip = algorithms.get('mip')!;
      const b = o.imageBatch;
      const { warmup, repeats } = o.quick ? { warmup: 1, repeats: 1 } : { warmup: 1, repeats: 2 };
      log(
        `perf [${rowBackend}] image: pusht_image step at batch ${b} (${PUSHT_IMAGE_PERF.imageShape.join(' x ')} crop ${PUSHT_IMAGE_PERF.cropShape.join(' x ')}), ${warmup} warm-up + ${repeats} timed (${elapsed()})`,
      );
      const r = await measureImageStep({ algorithm: mip, batch: b, warmup, repeats });
      const name = `image/pusht_image-b${b}/mip`;
      const flat = r.tensors.length < 2 || r.tensors.every((t) => t === r.tensors[0]);
      add(
        perfRow(
          `${name}/step`,
          rowBackend,
          r.stepMs,
          'ms',
          `${(1000 / median(r.stepMs)).toFixed(3)} steps/s`,
        ),
      );
      add(perfRow(`${name}/peak-rss`, rowBackend, [r.peakRssMB], 'MB'));
      if (r.wasmHeapBytes !== null)
        add(
          perfRow(
            `${name}/wasm-heap`,
            rowBackend,
            [r.wasmHeapBytes / 2 ** 20],
            'MB',
            `wasm memory high-water mark, of wasm32's 4096 MiB; tensors ${flat ? 'flat' : `GROW ${r.tensors.join(',')}`}`,
          ),
        );
    }

    if (o.sections.includes('sweep')) {
      const runsOf = (t: SweepTiming) => (o.sweepRuns / t.seconds) * 3600;
      // The 2-vs-1 speedup, and where it went: how much slower each run trained two at once.
      const addScaling = (kind: '' | 'queue-', rates: PerfRow[], timings: SweepTiming[]) => {
        const s = sweepScaling(timings[0]!, timings[1]!, 2);
        const busy = s.coresBusy.every((c) => c !== null)
          ? `; cores busy ${s.coresBusy.map((c) => c!.toFixed(2)).join(' vs ')} of ${availableParallelism()}`
          : '';
        add(
          ratioRow(
            `sweep/${kind}speedup-2-vs-1`,
            rowBackend,
            rates[1]!,
            rates[0]!,
            `${s.speedupWithoutSlowdown.toFixed(2)}x if runs trained as fast two at once as alone`,
          ),
        );
        add(
          perfRow(
            `sweep/${kind}run-slowdown-2-vs-1`,
            rowBackend,
            [s.runSlowdown],
            'x',
            `mean training time of a run, ${s.meanTrainSeconds[1].toFixed(1)} s with 2 workers vs ${s.meanTrainSeconds[0].toFixed(1)} s with 1${busy}`,
          ),
        );
      };
      const perHour: PerfRow[] = [];
      const timings: SweepTiming[] = [];
      for (const workers of [1, 2]) {
        log(
          `perf [${rowBackend}] sweep: ${o.sweepRuns} runs of ${o.sweepSteps} steps, ${workers} worker(s) (${elapsed()})`,
        );
        const t = await timeSweep({ backend, workers, runs: o.sweepRuns, steps: o.sweepSteps });
        timings.push(t);
        perHour.push(
          add(
            perfRow(
              `sweep/${workers}-worker${workers > 1 ? 's' : ''}`,
              rowBackend,
              [runsOf(t)],
              'runs/h',
              `${o.sweepRuns} checkerboard flow runs of ${o.sweepSteps} steps in ${t.seconds.toFixed(1)} s`,
            ),
          ),
        );
      }
      addScaling('', perHour, timings);
      // The same sweep on a BullMQ queue (a local redis-server, `mipjs worker` processes).
      const found = findRedisServer();
      if (found.path === null) log(`perf [${rowBackend}] sweep on a queue: skipped (${found.reason})`);
      else {
        const queuePerHour: PerfRow[] = [];
        const queueTimings: SweepTiming[] = [];
        for (const workers of [1, 2]) {
          log(
            `perf [${rowBackend}] sweep on a queue: ${o.sweepRuns} runs of ${o.sweepSteps} steps, ${workers} worker(s) (${elapsed()})`,
          );
          const t = await timeQueueSweep({ backend, workers, runs: o.sweepRuns, steps: o.sweepSteps });
          queueTimings.push(t);
          queuePerHour.push(
            add(
              perfRow(
                `sweep/queue-${workers}-worker${workers > 1 ? 's' : ''}`,
                rowBackend,
                [runsOf(t)],
                'runs/h',
                `the same runs through Redis + mipjs worker in ${t.seconds.toFixed(1)} s`,
              ),
            ),
          );
        }
        addScaling('queue-', queuePerHour, queueTimings);
        // Per job: the marginal wall time of a tiny run on each (the slope between two sweep
        // sizes), so that per-sweep costs cancel and training noise stays out of the difference.
        const sizes: [number, number] = o.quick ? [2, 6] : [4, 12];
        const marginal = async (time: typeof timeSweep): Promise<MarginalTiming> => {
          const seconds: number[] = [];
          for (const runs of sizes)
            seconds.push((await time({ backend, workers: 2, runs, steps: 10 })).seconds);
          return { runs: sizes, seconds: seconds as [number, number] };
        };
        log(
          `perf [${rowBackend}] sweep overhead: ${sizes.join(' and ')} runs of 10 steps, local pool and queue, 2 workers (${elapsed()})`,
        );
        const pool = await marginal(timeSweep);
        const queue = await marginal(timeQueueSweep);
        add(
          perfRow(
            'sweep/queue-overhead-per-job',
            rowBackend,
            [queueOverheadPerJobMs(pool, queue, 2)],
            'ms',
            `extra time of a job on the queue: ${(secondsPerJob(queue, 2) * 1000).toFixed(0)} vs ${(secondsPerJob(pool, 2) * 1000).toFixed(0)} ms per 10-step run (local pool), 2 workers each`,
          ),
        );
      }
    }

    if (o.sections.includes('serve')) {
      // The policy server under load: the playground's MIP policy (the demo's), robots in a
      // separate client process on loopback (serve/benchmark.ts; `mipjs serve RUN --bench` alone).
      if (!existsSync(join(SERVE_POLICY, 'policy.json'))) {
        log(`perf [${rowBackend}] serve: skipped (no policy at ${SERVE_POLICY})`);
      } else {
        log(`perf [${rowBackend}] serve: ${SERVE_POLICY}, 1 / 8 / 32 robots (${elapsed()})`);
        const [policy] = await loadCatalog([`mip=${SERVE_POLICY}`]);
        try {
          const seconds = o.quick ? 1 : 3;
          for (const r of await runServeBenchmark({ policy: policy!, seconds, clients: [1, 8, 32] })) {
            const name = `serve/${r.transport}-${r.clients}-robot${r.clients > 1 ? 's' : ''}${r.batching ? '' : '-unbatched'}`;
            const note = `p99 ${r.p99Ms.toFixed(2)} ms, ${r.rps.toFixed(0)} answers/s, mean batch ${r.meanBatch.toFixed(1)}`;
            add(perfRow(`${name}/p50`, rowBackend, [r.p50Ms], 'ms', note));
          }
        } finally {
          policy!.policy.dispose();
        }
      }
    }

    if (o.sections.includes('eval')) {
      // Closed-loop evaluation cost (perf/eval.ts): the playground's MIP policy (2 NFE) on 50 PushT
      // environments stepped as one batch, then one environment at batch 1 (what a robot waits for).
      if (!existsSync(join(SERVE_POLICY, 'policy.json'))) {
        log(`perf [${rowBackend}] eval: skipped (no policy at ${SERVE_POLICY})`);
      } else {
        const maxSteps = o.quick ? 100 : 300;
        const policy = await loadPolicyFromRun(SERVE_POLICY);
        try {
          log(`perf [${rowBackend}] eval: ${SERVE_POLICY}, 50 episodes of ${maxSteps} steps (${elapsed()})`);
          const b = await timeClosedLoop(policy, { episodes: 50, maxSteps });
          const base = 'eval/pusht-mip-50env';
          const share = (ms: number) => `${((ms / b.wallMs) * 100).toFixed(0)}% of the wall time`;
          add(
            perfRow(
              `${base}/wall`,
              rowBackend,
              [b.wallMs / 1000],
              's',
              `${b.steps} steps, ${b.chunks} chunks; mean max reward ${b.meanMaxReward.toFixed(3)}, success ${(b.successRate * 100).toFixed(0)}%`,
            ),
          );
          add(
            perfRow(
              `${base}/policy`,
              rowBackend,
              [b.policyMs / 1000],
              's',
              `${share(b.policyMs)}; ${(b.policyMs / b.chunks).toFixed(1)} ms per 50-env chunk`,
            ),
          );
          add(
            perfRow(
              `${base}/environment`,
              rowBackend,
              [b.envMs / 1000],
              's',
              `${share(b.envMs)}; ${((b.envMs / b.steps / 50) * 1000).toFixed(0)} us per env step`,
            ),
          );
          log(`perf [${rowBackend}] eval: rollout, 1 episode of ${maxSteps} steps at batch 1 (${elapsed()})`);
          const one = await timeClosedLoop(policy, { episodes: 1, maxSteps });
          add(
            perfRow(
              'eval/rollout-b1/chunk',
              rowBackend,
              one.chunkMs,
              'ms',
              `${one.chunks} chunks of ${policy.horizon} actions, ${policy.actionSteps} executed each`,
            ),
          );
          add(
            perfRow(
              'eval/rollout-b1/env-step',
              rowBackend,
              [one.envMs / one.steps],
              'ms',
              `environment and control loop per step, ${one.steps} steps`,
            ),
          );
        } finally {
          policy.dispose();
        }
      }
    }
  }

  const sections = rows.length ? renderPerfTable(rows, torchNote) : 'no measurements (no backend loaded?)';
  print(sections);
  print(`perf finished in ${elapsed()}`);
  if (o.json) {
    writeJsonAtomic(o.json, rows);
    log(`perf: ${rows.length} rows written to ${o.json}`);
  }
  return rows;
}

/** Registers `mipjs perf` on the CLI program. */
export function registerPerfCommand(
  program: Command,
  log: (line: string) => void,
  print: (text: string) => void,
): void {
  program
    .command('perf')
    .description(
      'speed and memory benchmark: train steps, JVP/flow ratios, sampling latency, leaks, sweep throughput, closed-loop eval cost',
    )
    .option(
      '--backends <list>',
      `backends to measure (default: every one that loads): ${ALL_BACKENDS.join(', ')}`,
    )
    .option('--only <sections>', `sections: ${PERF_SECTIONS.join(', ')}`)
    .option('--quick', 'a short run: W256, flow/mip/lsd, fewer repeats and steps')
    .option('--full', 'the whole train section on the cpu backend too, and every algorithm on ChiUNet')
    .option('--repeats <n>', 'timed train steps per measurement (default 5, quick 3)')
    .option('--warmup <n>', 'untimed train steps first (default 2, quick 1)')
    .option('--sample-repeats <n>', 'timed chunks per sampling measurement (default 100, quick 20)')
    .option('--memory-steps <n>', 'steps of each memory run (default 500, quick 100)')
    .option('--sweep-runs <n>', 'runs in each sweep throughput measurement (default 4, quick 2)')
    .option('--sweep-steps <n>', 'steps per sweep run (default 1000, quick 100)')
    .option(
      '--formulation <name>',
      "train rows' losses: reference (what the PyTorch companion times: mip/tsd/psd/esd variant reference, lsd without its stop-gradient; default) or page (mip.js's defaults)",
    )
    .option('--algorithms <list>', 'train-section algorithms (default: all; cpu: flow, mip, lsd)')
    .option('--widths <list>', 'MLP widths (default 256,512; quick 256)')
    .option('--batch <n>', 'train batch size (default 256)')
    .option('--chiunet-batch <n>', 'batch of the ChiUNet train measurements (default 32)')
    .option('--image-batch <n>', 'batch of the image section, one pusht_image step (default 64)')
    .option('--no-torch', 'skip the PyTorch companion script')
    .option(
      '--allow-slow-blas',
      'compare with PyTorch even when it runs a reference BLAS (default: refuse, say how to get OpenBLAS)',
    )
    .option('--in-process', 'train measurements in this process (default: a fresh worker process each)')
    .option('--profile', 'print the kernels that dominate flow, mip, lsd, esd and mf steps')
    .option(
      '--wasm-threads <n>',
      'also measure wasm train and sample with N threads in a child process (default: the cores, at most 8; 1 = no)',
    )
    .addOption(
      new Option('--json <file>', 'write one row per measurement: name, backend, median, min, max, unit'),
    )
    .option(
      '--render <json>',
      'measure nothing: print the table of rows saved with --json (with --markdown: Markdown)',
    )
    .option('--markdown', 'with --render: a Markdown table')
    .action(async (f: PerfFlags & { render?: string; markdown?: boolean }) => {
      if (f.render) {
        const saved = readJsonFile(f.render, 'perf rows (mipjs perf --json)') as unknown[];
        if (!Array.isArray(saved) || !saved.every(isPerfRow))
          throw new ConfigError(`${f.render} does not hold perf rows`);
        print(f.markdown ? renderPerfMarkdown(saved) : renderPerfTable(saved));
        return;
      }
      await runPerf(resolvePerfOptions(f), log, print);
    });
}
