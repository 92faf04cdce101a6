import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinAlgorithms } from '../algorithms/algorithms.js';
import { ConfigError } from '../config/config.js';
import { planFor, resolvePerfOptions } from './command.js';
import { timeSampling, timeTrainSteps, trainMemory } from './measure.js';
import { isPerfRow, perfRow, ratioRow, summarize } from './stats.js';
import { formatValue, PYTORCH_BACKEND, pytorchPeer, renderPerfMarkdown, renderPerfTable } from './table.js';
import { targetOf } from './targets.js';
import { threadedPerfArgs } from './threaded.js';
import { type CommandRunner, parseTorchOutput, probeTorch, runTorchStep, slowBlasReason } from './torch.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const algorithm = (name: string) => builtinAlgorithms().find((a) => a.name === name)!;

describe('stats', () => {
  it('median, min, max of odd and even counts', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(summarize([7])).toEqual({ median: 7, min: 7, max: 7, n: 1 });
    expect(() => summarize([])).toThrow(/no samples/);
  });

  it('rows have the JSON shape name, backend, median, min, max, unit (+ n, note)', () => {
    const r = perfRow('train/mlp-w256/flow', 'wasm', [10, 30, 20], 'ms');
    expect(r).toEqual({
      name: 'train/mlp-w256/flow',
      backend: 'wasm',
      median: 20,
      min: 10,
      max: 30,
      unit: 'ms',
      n: 3,
    });
    expect(isPerfRow(JSON.parse(JSON.stringify(r)))).toBe(true);
    expect(isPerfRow({ ...r, median: '20' })).toBe(false);
    expect(perfRow('x', 'cpu', [1], 'MB', 'growth 0').note).toBe('growth 0');
  });

  it('ratio rows divide medians and bound the range by the extreme ratios', () => {
    const num = perfRow('a', 'wasm', [20, 30, 40], 'ms');
    const den = perfRow('b', 'wasm', [10, 20], 'ms');
    const r = ratioRow('a-vs-b', 'wasm', num, den);
    expect(r.median).toBeCloseTo(30 / 15);
    expect(r.min).toBeCloseTo(20 / 20);
    expect(r.max).toBeCloseTo(40 / 10);
    expect(r.unit).toBe('x');
    expect(r.n).toBe(2);
  });
});

describe('targets and table', () => {
  it('checks the issue targets without asserting timings', () => {
    expect(targetOf(perfRow('train-ratio/mlp-w512/lsd-vs-flow', 'wasm', [1.4], 'x'))?.met).toBe(true);
    expect(targetOf(perfRow('train-ratio/mlp-w512/mf-vs-flow', 'wasm', [2], 'x'))?.met).toBe(false);
    expect(targetOf(perfRow('memory/mlp/flow/numTensors', 'cpu', [5, 5, 5], 'tensors'))?.met).toBe(true);
    expect(targetOf(perfRow('memory/mlp/flow/numTensors', 'cpu', [5, 6], 'tensors'))?.met).toBe(false);
    expect(targetOf(perfRow('sample/mlp-w512/mip-2nfe', 'cpu', [0.5], 'ms'))).toBeNull();
    expect(targetOf(perfRow('sample/mlp-w512/mip-2nfe', 'wasm', [0.5], 'ms'))?.met).toBe(true);
    expect(targetOf(perfRow('sweep/speedup-2-vs-1', 'wasm', [1.9], 'x'))?.met).toBe(true);
    expect(targetOf(perfRow('sweep/queue-speedup-2-vs-1', 'wasm', [1.7], 'x'))?.met).toBe(false);
    expect(targetOf(perfRow('sweep/queue-overhead-per-job', 'wasm', [30], 'ms'))?.met).toBe(true);
    expect(targetOf(perfRow('sweep/queue-overhead-per-job', 'wasm', [80], 'ms'))?.met).toBe(false);
    expect(targetOf(perfRow('train/mlp-w256/flow', 'wasm', [1], 'ms'))).toBeNull();
    // Issue 21: threaded wasm against PyTorch on as many threads, 1.2x for flow and mip, else 1.5x.
    expect(targetOf(perfRow('vs-pytorch/train/mlp-w512/flow', 'wasm-2t', [1.3], 'x'))).toEqual({
      text: '<= 1.2x',
      met: false,
    });
    expect(targetOf(perfRow('vs-pytorch/train/chiunet-b32/mip', 'wasm-2t', [1.1], 'x'))?.met).toBe(true);
    expect(targetOf(perfRow('vs-pytorch/train/mlp-w256/esd', 'wasm-2t', [1.3], 'x'))).toEqual({
      text: '<= 1.5x',
      met: true,
    });
    expect(targetOf(perfRow('vs-pytorch/train/mlp-w256/esd', 'wasm', [1.3], 'x'))).toBeNull();
    const loaded = perfRow(
      'vs-pytorch/train/mlp-w256/flow',
      'wasm-2t',
      [0.4],
      'x',
      'LOADED: 2-thread GEMM 61.5 vs 1-thread 73.9 GFLOP/s',
    );
    expect(targetOf(loaded)?.notJudged).toBe(
      "PyTorch's threads were no faster than one (busy or non-scaling cores)",
    );
    expect(renderPerfMarkdown([loaded])).toContain(
      "<= 1.2x not judged (PyTorch's threads were no faster than one (busy or non-scaling cores))",
    );
  });

  it('formats values with about three significant digits', () => {
    expect(formatValue(1234.5)).toBe('1235');
    expect(formatValue(123.45)).toBe('123.5');
    expect(formatValue(1.2345)).toBe('1.23');
    expect(formatValue(0.012345)).toBe('0.0123');
    expect(formatValue(0)).toBe('0');
  });

  it('adds a vs-PyTorch column when PyTorch rows exist, else prints the skip reason', () => {
    const rows = [
      perfRow('train/mlp-w512/flow', 'wasm', [60], 'ms'),
      perfRow('sample/mlp-w512/mip-2nfe', 'wasm', [0.8], 'ms'),
    ];
    const without = renderPerfTable(rows, 'no python with torch (python3: not found)');
    expect(without).not.toContain('vs PyTorch │');
    expect(without).toContain('vs PyTorch column skipped: no python with torch (python3: not found)');
    const withTorch = renderPerfTable([...rows, perfRow('train/mlp-w512/flow', PYTORCH_BACKEND, [30], 'ms')]);
    expect(withTorch).toContain('vs PyTorch');
    expect(withTorch).toMatch(/train\/mlp-w512\/flow\s+│ wasm\s+│ 60\.00.*│ 2\.00x/);
    expect(withTorch).toContain('<= 1 ms met');
    const md = renderPerfMarkdown([
      ...rows,
      perfRow('train/mlp-w512/flow', PYTORCH_BACKEND, [30], 'ms'),
    ]).split('\n');
    expect(md[0]).toBe('| measurement | backend | median | min | max | unit | vs PyTorch | target |');
    expect(md[2]).toBe('| `train/mlp-w512/flow` | wasm | 60.00 | 60.00 | 60.00 | ms | 2.00x |  |');
    expect(md).toHaveLength(5);
  });
});

describe('torch probe', () => {
  const fake =
    (answers: Record<string, ReturnType<CommandRunner>>): CommandRunner =>
    (command) =>
      answers[command] ?? {
        status: null,
        stdout: '',
        stderr: '',
        error: Object.assign(new Error('spawn'), { code: 'ENOENT' }),
      };

  it('takes the first python that imports torch', () => {
    const probe = probeTorch(
      ['/usr/bin/python3', 'python3'],
      fake({ '/usr/bin/python3': { status: 0, stdout: '1.13.0\n', stderr: '' } }),
    );
    expect(probe).toEqual({ python: '/usr/bin/python3', version: '1.13.0' });
  });

  it('says why each candidate failed when none has torch', () => {
    const probe = probeTorch(
      ['/usr/bin/python3', 'python3'],
      fake({
        python3: {
          status: 1,
          stdout: '',
          stderr: "Traceback...\nModuleNotFoundError: No module named 'torch'\n",
        },
      }),
    );
    expect(probe.python).toBeNull();
    expect(probe.python === null && probe.reason).toBe(
      "no python with torch (/usr/bin/python3: not found; python3: ModuleNotFoundError: No module named 'torch')",
    );
  });

  it('parses the companion script output into pytorch rows', () => {
    const out = JSON.stringify({
      torch: '1.13.0',
      blas: {
        path: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so',
        kind: 'openblas',
        gflops: 54,
        config: 'generic',
      },
      threads: 2,
      rows: [{ name: 'train/mlp-w512/flow', samples: [30, 29, 31], unit: 'ms' }],
    });
    const parsed = parseTorchOutput(`progress\n${out}\n`);
    expect(parsed.rows).toEqual([
      { name: 'train/mlp-w512/flow', backend: 'pytorch-2t', median: 30, min: 29, max: 31, unit: 'ms', n: 3 },
    ]);
    expect(parsed.rows !== null && parsed.info).toBe(
      'torch 1.13.0, BLAS openblas /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so 54 GFLOP/s, 2 threads',
    );
    expect(parseTorchOutput('Segmentation fault').rows).toBeNull();
    const noBlas = parseTorchOutput(
      JSON.stringify({ torch: '1.13.0', blas: 'openblas', threads: 1, rows: [] }),
    );
    expect(noBlas.rows === null && noBlas.reason).toMatch(/no BLAS report/);
  });

  it('refuses a reference or slow BLAS in one line that says how to get OpenBLAS', () => {
    const openblas = {
      path: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so',
      kind: 'openblas',
      gflops: 54,
      config: 'generic',
    };
    expect(slowBlasReason(openblas)).toBeNull();
    const netlib = {
      path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0',
      kind: 'reference',
      gflops: 3.1,
      config: 'generic',
    };
    const why = slowBlasReason(netlib)!;
    expect(why).not.toContain('\n');
    expect(why).toContain('reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0, 3.1 GFLOP/s)');
    expect(why).toContain('apt-get install libopenblas0-pthread');
    expect(why).toContain('update-alternatives --set libblas.so.3-x86_64-linux-gnu');
    expect(why).toContain('--allow-slow-blas');
    expect(slowBlasReason({ ...openblas, kind: 'unknown', gflops: 2 })).toMatch(/2 GFLOP\/s, under 10/);
    expect(resolvePerfOptions({ allowSlowBlas: true }).allowSlowBlas).toBe(true);
    expect(resolvePerfOptions({}).allowSlowBlas).toBe(false);
  });

  it('pairs each TF.js backend with PyTorch on as many threads', () => {
    const present = ['wasm', 'wasm-2t', 'pytorch', 'pytorch-2t', 'tensorflow'];
    expect(pytorchPeer('wasm', present)).toBe('pytorch');
    expect(pytorchPeer('cpu', present)).toBe('pytorch');
    expect(pytorchPeer('wasm-2t', present)).toBe('pytorch-2t');
    expect(pytorchPeer('tensorflow', present)).toBe('pytorch-2t');
    const rows = [
      perfRow('train/mlp-w256/mip', 'wasm', [300], 'ms'),
      perfRow('train/mlp-w256/mip', 'wasm-2t', [240], 'ms'),
      perfRow('train/mlp-w256/mip', 'pytorch', [200], 'ms'),
      perfRow('train/mlp-w256/mip', 'pytorch-2t', [100], 'ms'),
    ];
    const table = renderPerfTable(rows);
    expect(table).toMatch(/mip\s+│ wasm\s+│.*│ 1\.50x/);
    expect(table).toMatch(/mip\s+│ wasm-2t\s+│.*│ 2\.40x/);
  });

  it('reports a failed script run as a reason', () => {
    const o = {
      widths: [8],
      layers: 1,
      batch: 2,
      horizon: 2,
      actDim: 1,
      obsSteps: 1,
      condDim: 1,
      warmup: 0,
      repeats: 1,
      sampleRepeats: 1,
      algorithms: ['flow'],
      threads: 1,
    };
    const failed = runTorchStep('py', o, () => ({ status: 1, stdout: '', stderr: 'boom\n' }));
    expect(failed.rows).toBeNull();
    expect(failed.rows === null && failed.reason).toMatch(/failed: boom/);
    const missing = runTorchStep(
      'py',
      o,
      () => ({ status: 0, stdout: '', stderr: '' }),
      '/nonexistent/torch_step.py',
    );
    expect(missing.rows === null && missing.reason).toMatch(/not found/);
  });
});

describe('options and plans', () => {
  it('times the train rows in the formulation the PyTorch companion times, unless --formulation page', () => {
    const byAlg = (f: Record<string, string>) =>
      Object.fromEntries(
        planFor('wasm', resolvePerfOptions({ quick: true, algorithms: 'flow,mip,lsd,esd', ...f })).train.map(
          (t) => [t.algorithm, t.lossOptions],
        ),
      );
    expect(byAlg({})).toEqual({
      flow: {},
      mip: { variant: 'reference' },
      lsd: { stopGradients: false },
      esd: { variant: 'reference' },
    });
    expect(byAlg({ formulation: 'page' })).toEqual({ flow: {}, mip: {}, lsd: {}, esd: {} });
    expect(() => resolvePerfOptions({ formulation: 'paper' })).toThrow(
      "--formulation 'paper': expected one of reference, page",
    );
  });

  it('defaults, --quick and validation', () => {
    const d = resolvePerfOptions({});
    expect(d).toMatchObject({
      backends: null,
      widths: [256, 512],
      repeats: 5,
      warmup: 2,
      memorySteps: 500,
      batch: 256,
    });
    expect(d.sections).toEqual(['train', 'sample', 'memory', 'sweep', 'serve', 'eval']);
    const q = resolvePerfOptions({ quick: true, backends: 'wasm', only: 'train,sample', repeats: '7' });
    expect(q).toMatchObject({
      backends: ['wasm'],
      sections: ['train', 'sample'],
      widths: [256],
      repeats: 7,
      memorySteps: 100,
    });
    expect(() => resolvePerfOptions({ backends: 'webgl' })).toThrow(ConfigError);
    expect(() => resolvePerfOptions({ only: 'speed' })).toThrow(/unknown section 'speed'/);
    expect(() => resolvePerfOptions({ repeats: '0' })).toThrow(/positive integer/);
  });

  it('repeats the wasm sections with threads in a child perf run, with the same settings', () => {
    const threads = process.env.MIPJS_WASM_THREADS;
    try {
      delete process.env.MIPJS_WASM_THREADS;
      expect(resolvePerfOptions({}).wasmThreads).toBe(Math.min(8, availableParallelism()));
      expect(resolvePerfOptions({ wasmThreads: '1' }).wasmThreads).toBe(1);
      process.env.MIPJS_WASM_THREADS = '2';
      expect(resolvePerfOptions({}).wasmThreads).toBe(1); // this run is already threaded
    } finally {
      if (threads === undefined) delete process.env.MIPJS_WASM_THREADS;
      else process.env.MIPJS_WASM_THREADS = threads;
    }
    const o = resolvePerfOptions({ quick: true, algorithms: 'flow,lsd', widths: '64', only: 'train,memory' });
    expect(threadedPerfArgs(o, '/tmp/rows.json')).toEqual([
      'perf',
      '--backends',
      'wasm',
      '--only',
      'train',
      '--no-torch',
      '--wasm-threads',
      '1',
      '--repeats',
      '3',
      '--warmup',
      '1',
      '--sample-repeats',
      '20',
      '--widths',
      '64',
      '--batch',
      '256',
      '--chiunet-batch',
      '32',
      '--json',
      '/tmp/rows.json',
      '--algorithms',
      'flow,lsd',
      '--quick',
      '--formulation',
      'reference',
    ]);
  });

  it('reduces the cpu train section unless --full', () => {
    const o = resolvePerfOptions({});
    const wasm = planFor('wasm', o);
    // Every built-in algorithm on the MLP at W256 and W512.
    expect(wasm.train.filter((i) => i.network === 'mlp')).toHaveLength(2 * builtinAlgorithms().length);
    expect(wasm.train.filter((i) => i.network === 'chiunet').map((i) => i.algorithm)).toEqual([
      'flow',
      'mip',
      'lsd',
    ]);
    const cpu = planFor('cpu', o);
    expect(cpu.train.map((i) => `${i.label}/${i.algorithm}`)).toEqual([
      'mlp-w256/flow',
      'mlp-w256/mip',
      'mlp-w256/lsd',
    ]);
    expect(cpu.skipped.join('; ')).toMatch(/widths 512.*chiunet/);
    // --full: every built-in algorithm on MLP W256, W512 and the ChiUNet.
    expect(planFor('cpu', resolvePerfOptions({ full: true })).train).toHaveLength(
      3 * builtinAlgorithms().length,
    );
  });
});

describe('tiny measurements (cpu backend)', () => {
  const tiny = { embDim: 8, nLayers: 1, timestepEmbDim: 4 };

  it('times every step of the real trainer', async () => {
    const spec = { algorithm: algorithm('lsd'), network: 'mlp', networkOptions: tiny, batch: 4, steps: 3 };
    const before = tf.memory().numTensors;
    const times = await timeTrainSteps(spec);
    expect(times).toHaveLength(3);
    expect(times.every((t) => t > 0)).toBe(true);
    // models, EMA, optimizer state and the teacher are all freed
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives ctm a teacher and samples memory after each step from step 2', async () => {
    const m = await trainMemory({
      algorithm: algorithm('ctm'),
      network: 'mlp',
      networkOptions: tiny,
      batch: 4,
      steps: 4,
    });
    expect(m.tensors).toHaveLength(3);
    expect(new Set(m.tensors).size).toBe(1);
    expect(m.rssMB.every((x) => x > 0)).toBe(true);
  });

  it('times batch-1 sampling after a warm-up', async () => {
    const times = await timeSampling({
      algorithm: algorithm('mip'),
      steps: 2,
      network: 'mlp',
      networkOptions: tiny,
      warmup: 1,
      repeats: 4,
    });
    expect(times).toHaveLength(4);
  });
});
