// The PyTorch companion (scripts/torch_step.py) against independent values: its JVPs (the
// reference's functorch.jvp under vmap) against central finite differences of the flow map in
// float64, and every algorithm's loss finite, on the MLP and on the ChiUNet, whose parameter
// count is mip.js's. Needs a python with torch; skips, saying why, without (the parameter count of
// mip.js's perf-size ChiUNet is checked either way).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interpolant, RandomStream } from '@mipjs/interpolant';
import {
  esdLoss,
  flowLoss,
  type LossContext,
  type LossDraws,
  type LossResult,
  lsdLoss,
  mfLoss,
  mipLoss,
  psdLoss,
  regressionLoss,
  straightFlowLoss,
  tsdLoss,
} from '@mipjs/losses';
import { createNetwork, FlowMap } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_FORMULATION } from './command.js';
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

/** A loss of @mipjs/losses as the anchor calls it. */
type AnchorLoss = (
  ctx: LossContext<never>,
  batch: { action: tf.Tensor3D; cond: tf.Tensor3D },
  draws?: LossDraws,
) => LossResult;

/** The anchor's network: a kind, the shape and mip.js's options of that kind. */
type AnchorNetwork = {
  kind: 'mlp' | 'chiunet';
  horizon: number;
  actDim: number;
  obsSteps: number;
  condDim: number;
} & Record<string, unknown>;

/**
 * Every anchored loss on `network` with seeded weights (each parameter moved off its init, so
 * each one counts), batch and draws, through @mipjs/losses (cpu, float32) and through the
 * companion's `--loss-anchor` (float64), in the reference's formulation (variant 'reference',
 * lossScale 1). Returns the losses run, PyTorch's values and those more than 1e-5 relative off.
 */
function anchor(
  python: string,
  network: AnchorNetwork,
): { names: string[]; theirs: Record<string, number>; off: string[] } {
  const net = createNetwork(network.kind, { ...network, dropout: 0, seed: 0 });
  const [B, H, A] = [4, network.horizon, network.actDim];
  net.variables.forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.2, 'float32', 100 + i))));
  const json = (t: tf.Tensor) => ({ shape: t.shape, data: Array.from(t.dataSync()) });
  const action = tf.randomNormal([B, H, A], 0, 1, 'float32', 1) as tf.Tensor3D;
  const cond = tf.randomNormal([B, network.obsSteps, network.condDim], 0, 1, 'float32', 2) as tf.Tensor3D;
  const u = (seed: number) => tf.randomUniform([B], 0, 1, 'float32', seed) as tf.Tensor1D;
  const n = (seed: number) => tf.randomNormal([B, H, A], 0, 1, 'float32', seed) as tf.Tensor3D;
  const pair = { tFlow: u(10), z: n(11), s: u(12), t: u(13) };
  // The options are the ones `mipjs perf` times its rows with (REFERENCE_FORMULATION), so this also
  // checks that the timed mip.js steps compute what the companion's steps compute.
  const cases: [string, AnchorLoss, LossDraws][] = [
    ['flow', flowLoss as AnchorLoss, { t: pair.tFlow, z: pair.z }],
    ['regression', regressionLoss as AnchorLoss, {}],
    ['straight_flow', straightFlowLoss as AnchorLoss, { z: pair.z }],
    ['mip', mipLoss as AnchorLoss, { z: pair.z }],
    ['tsd', tsdLoss as AnchorLoss, { z: pair.z, noise: n(14) }],
    ['psd', psdLoss as AnchorLoss, { ...pair, h: u(15) }],
    ['lsd', lsdLoss as AnchorLoss, pair],
    ['esd', esdLoss as AnchorLoss, pair],
    ['mf', mfLoss as AnchorLoss, pair],
  ];
  const ours: Record<string, number> = {};
  const draws: Record<string, Record<string, { shape: number[]; data: number[] }>> = {};
  for (const [name, loss, d] of cases) {
    const options = REFERENCE_FORMULATION[name] ?? {};
    const ctx = {
      flowMap: new FlowMap(net),
      interpolant: new Interpolant('linear'),
      rng: new RandomStream(0),
      training: false,
      options: { lossScale: 1, ...options },
    } as unknown as LossContext<never>;
    const r = loss(ctx, { action, cond }, d);
    ours[name] = r.loss.dataSync()[0]!;
    tf.dispose([r.loss, ...Object.values(r.terms)]);
    // mip.js's flow calls its time t; the companion's flow term reads tFlow for every loss.
    const forTorch: Record<string, tf.Tensor> = name === 'flow' ? { tFlow: d.t!, z: d.z! } : { ...d };
    draws[name] = Object.fromEntries(Object.entries(forTorch).map(([k, t]) => [k, json(t)]));
  }
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-anchor-'));
  try {
    const file = join(dir, 'anchor.json');
    // mip.js's variables in creation order and layouts: the script converts them (load_mipjs_weights).
    const weights = net.variables.map(json);
    writeFileSync(file, JSON.stringify({ network, weights, action: json(action), cond: json(cond), draws }));
    const r = spawnRunner(python, [TORCH_SCRIPT, `--loss-anchor=${file}`], 120_000);
    if (r.status !== 0) throw new Error(`--loss-anchor failed: ${r.stderr}`);
    const theirs = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { losses: Record<string, number> })
      .losses;
    const off = Object.entries(theirs)
      .filter(([name, v]) => !(Math.abs(ours[name]! - v) <= 1e-5 * Math.max(1, Math.abs(v))))
      .map(([name, v]) => `${name}: mip.js ${ours[name]} vs PyTorch ${v}`);
    return { names: cases.map((c) => c[0]), theirs, off };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    net.dispose();
  }
}

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

  const shape = { actDim: 2, obsSteps: 2, condDim: 3 };
  it.each<AnchorNetwork>([
    // maxFreq 20, not the default 100: d/dt sin(100 t) scales float32 rounding by 100 in the JVP
    // losses (lsd was 9e-6 off with 100, 1e-5 being the bound); the code path is the same.
    { kind: 'mlp', ...shape, horizon: 3, embDim: 16, nLayers: 2, timestepEmbDim: 8, maxFreq: 20 },
    { kind: 'chiunet', ...shape, horizon: 8, embDim: 16, modelDim: 8, kernelSize: 3, dimMult: [1, 2] },
  ])(
    'computes the losses of @mipjs/losses on the same $kind weights, batch and draws (1e-5)',
    (network) => {
      const r = anchor(probe.python as string, network);
      expect(Object.keys(r.theirs)).toEqual(r.names);
      expect(r.off).toEqual([]);
    },
    150_000,
  );
});
