// The PyTorch companion (scripts/torch_step.py) against independent values: its JVPs (the
// reference's functorch.jvp under vmap) against central finite differences of the flow map in
// float64, and every algorithm's loss finite. Needs a python with torch; skips, saying why, without.
import { describe, expect, it } from 'vitest';
import { probeTorch, spawnRunner, TORCH_SCRIPT } from './torch.js';

const probe = probeTorch();
if (probe.python === null) console.log(`torch-companion tests skipped: ${probe.reason}`);

describe.skipIf(probe.python === null)('the PyTorch companion script', () => {
  it('takes JVPs that match finite differences and runs every algorithm', () => {
    const r = spawnRunner(probe.python as string, [TORCH_SCRIPT, '--self-check'], 120_000);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      errors: Record<string, number>;
      losses: Record<string, number>;
    };
    expect(out.errors.primal).toBeLessThan(1e-12);
    for (const k of ['jvp_t', 'jvp_s', 'jvp_x']) expect(out.errors[k], k).toBeLessThan(1e-6);
    expect(Object.keys(out.losses).sort()).toEqual([
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
    ]);
    for (const [name, v] of Object.entries(out.losses)) expect(Number.isFinite(v) && v > 0, name).toBe(true);
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
