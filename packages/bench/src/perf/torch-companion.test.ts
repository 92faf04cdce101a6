// The PyTorch companion (scripts/torch_step.py) against independent values: its JVPs (the
// reference's functorch.jvp under vmap) against central finite differences of the flow map in
// float64, and every algorithm's loss finite, on the MLP and on the ChiUNet, whose parameter
// count is mip.js's. Needs a python with torch; skips, saying why, without (the parameter count of
// mip.js's perf-size ChiUNet is checked either way).
import { createNetwork } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PERF_SHAPE } from './measure.js';
import { CHIUNET_PERF_PARAMS, probeTorch, spawnRunner, TORCH_SCRIPT } from './torch.js';

const probe = probeTorch();
if (probe.python === null) console.log(`torch-companion tests skipped: ${probe.reason}`);

/** Parameters of mip.js's ChiUNet at a shape and options (the variables' sizes summed). */
function chiunetParams(
  shape: { horizon: number; actDim: number; obsSteps: number; condDim: number },
  options = {},
) {
  const net = createNetwork('chiunet', { ...shape, ...options, seed: 0 });
  try {
    return net.variables.reduce((n, v) => n + v.size, 0);
  } finally {
    net.dispose();
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ALL = [
  'ctm',
  'esd',
  'flow',
  'lmd',
  'lsd',
  'mf',
  'mip',
  'mip_origin',
  'psd',
  'regression',
  'straight_flow',
  'tsd',
];

describe("the companion's ChiUNet size", () => {
  it("is mip.js's ChiUNet at mipjs perf's shape (the number the script asserts)", () => {
    const { horizon, actDim, obsSteps, obsDim } = PERF_SHAPE;
    expect(chiunetParams({ horizon, actDim, obsSteps, condDim: obsDim })).toBe(CHIUNET_PERF_PARAMS);
  }, 60_000);
});

describe.skipIf(probe.python === null)('the PyTorch companion script', () => {
  it('takes JVPs that match finite differences and runs every algorithm', () => {
    const r = spawnRunner(probe.python as string, [TORCH_SCRIPT, '--self-check'], 120_000);
    expect(r.status, r.stderr).toBe(0);
    type Check = { errors: Record<string, number>; losses: Record<string, number> };
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Check & {
      chiunet: Check & { params: number };
    };
    for (const [net, c] of [
      ['mlp', out],
      ['chiunet', out.chiunet],
    ] as const) {
      expect(c.errors.primal, net).toBeLessThan(1e-12);
      for (const k of ['jvp_t', 'jvp_s', 'jvp_x']) expect(c.errors[k], `${net} ${k}`).toBeLessThan(1e-6);
      expect(Object.keys(c.losses).sort()).toEqual(ALL);
      for (const [name, v] of Object.entries(c.losses))
        expect(Number.isFinite(v) && v > 0, `${net} ${name}`).toBe(true);
    }
    // The self-check's tiny ChiUNet (A 2, H 8, To 2, D 3, E 16, model_dim 8, k 3, dim_mult [1, 2]).
    expect(out.chiunet.params).toBe(
      chiunetParams(
        { horizon: 8, actDim: 2, obsSteps: 2, condDim: 3 },
        { embDim: 16, modelDim: 8, kernelSize: 3, dimMult: [1, 2] },
      ),
    );
  }, 150_000);

  it("times the reference-size ChiUNet's full steps and refuses one of another size", () => {
    const args = (shape: string[], extra: string[]) => [
      TORCH_SCRIPT,
      '--widths=',
      ...shape,
      '--warmup=0',
      '--repeats=1',
      '--chiunet-batch=2',
      '--threads=1',
      ...extra,
    ];
    const perfShape = ['--horizon=16', '--act-dim=2', '--obs-steps=2', '--cond-dim=20'];
    const r = spawnRunner(
      probe.python as string,
      args(perfShape, ['--chiunet-algorithms=flow,lsd']),
      120_000,
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      rows: { name: string; samples: number[] }[];
    };
    expect(out.rows.map((x) => x.name)).toEqual(['train/chiunet-b2/flow', 'train/chiunet-b2/lsd']);
    for (const row of out.rows) expect(row.samples.length).toBe(1);
    const other = spawnRunner(
      probe.python as string,
      args(['--horizon=16', '--act-dim=3', '--obs-steps=2', '--cond-dim=20'], ['--chiunet-algorithms=flow']),
      120_000,
    );
    expect(other.status).not.toBe(0);
    expect(other.stderr.trim().split('\n').pop()).toMatch(
      /^torch_step\.py: the ChiUNet has \d+ parameters .*says 19541891$/,
    );
  }, 150_000);

  it('reports the BLAS torch really loaded: a library path or built in, a kind and a GEMM rate', () => {
    const r = spawnRunner(
      probe.python as string,
      [
        TORCH_SCRIPT,
        '--widths=16',
        '--layers=1',
        '--batch=4',
        '--horizon=2',
        '--act-dim=1',
        '--obs-steps=1',
        '--cond-dim=1',
        '--warmup=0',
        '--repeats=1',
        '--sample-repeats=1',
        '--algorithms=flow,lsd',
        '--chiunet-algorithms=',
        '--threads=1',
      ],
      120_000,
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      blas: { path: string; kind: string; gflops: number };
      threads: number;
      rows: { name: string }[];
    };
    expect(out.threads).toBe(1);
    expect(out.blas.kind).toMatch(/^(openblas|mkl|blis|atlas|reference|unknown|built-in)/);
    if (out.blas.path) expect(out.blas.path.startsWith('/')).toBe(true);
    expect(out.blas.gflops).toBeGreaterThan(0);
    expect(out.rows.map((x) => x.name)).toEqual([
      'train/mlp-w16/flow',
      'train/mlp-w16/lsd',
      'sample/mlp-w16/mip-2nfe',
      'sample/mlp-w16/flow-9nfe',
      'sample/mlp-w16/flowmap-1nfe',
    ]);
  }, 150_000);
});
