import { describe, expect, it } from 'vitest';
import { createLieTask } from './lie-task.js';
import { firstPrimes, linspace } from './primes.js';
import { applyMatrix, createProjectionTask } from './projection-task.js';
import { createReconTask } from './recon-task.js';
import {
  boundaryPoints,
  intervalPoints,
  l1Error,
  l2Error,
  lieMetrics,
  projectionMetrics,
  spanProjector,
} from './toy-metrics.js';
import { toyDataset, toyGrid } from './toy-task.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
};

describe('toy tasks (spec §11.1)', () => {
  it('primes and linspace match numpy', () => {
    const p = firstPrimes(128);
    expect(p.slice(0, 6)).toEqual([2, 3, 5, 7, 11, 13]);
    expect(p[127]).toBe(719);
    const g = linspace(0, 1, 50);
    expect(g[49]).toBe(1);
    expect(g[7]).toBe(7 * (1 / 49));
    expect(toyGrid(100000).length).toBe(100000);
  });

  it('recon is sin(2c+0.3) + cos(5c+0.7) + sin(11c+1.3)', () => {
    const t = createReconTask();
    for (const c of [0, 0.25, 0.9]) {
      expect(t.target(c)[0]).toBeCloseTo(
        Math.sin(2 * c + 0.3) + Math.cos(5 * c + 0.7) + Math.sin(11 * c + 1.3),
        12,
      );
    }
    const inv = createReconTask({ weighting: 'inverse_frequency' });
    expect(inv.target(0.5)[0]).toBeCloseTo(Math.sin(1.3) / 2 + Math.cos(3.2) / 5 + Math.sin(6.8) / 11, 12);
    const ds = toyDataset(t, toyGrid(50));
    expect(ds.condition.shape).toEqual([50, 1]);
    expect(ds.target.shape).toEqual([50, 1]);
  });

  it('proj uses numpy seed 46+i projectors and matches numpy at c = 0.37', () => {
    const t = createProjectionTask();
    // numpy: np.random.seed(46); A = randn(8,3); P = A inv(AᵀA + 1e-10 I) Aᵀ
    close(
      t.projectors[0]!.subarray(0, 8),
      [
        0.44449806874306025, -0.1279836037336546, -0.06279137267851326, 0.04889544571441785,
        -0.0683534438287292, 0.01976886331309084, 0.02671306211685804, -0.46736455017421946,
      ],
      1e-12,
    );
    expect(t.projectors[0]![63]).toBeCloseTo(0.5251474402747067, 12);
    expect(t.intervalOf(0.37)).toBe(3);
    expect(t.intervalOf(1)).toBe(9);
    close(
      t.target(0.37),
      [
        -1.050238209447088, 0.8032334436032518, 0.36598827684739593, 1.9665167040148095, -0.2854576576087832,
        -0.19207641416914442, 0.18159388553481623, -1.4613708682540112,
      ],
      1e-10,
    );
    // Each P_i is a rank-3 orthogonal projector: P² = P, trace 3.
    const P = t.projectors[5]!;
    let trace = 0;
    for (let i = 0; i < 8; i++) trace += P[i * 9]!;
    expect(trace).toBeCloseTo(3, 8);
    close(
      applyMatrix(P, applyMatrix(P, [1, 2, 3, 4, 5, 6, 7, 8], 8), 8),
      applyMatrix(P, [1, 2, 3, 4, 5, 6, 7, 8], 8),
      1e-9,
    );
  });

  it('lie has e1 = [0.96337, -0.26816] and matches numpy/scipy at c = 0.37', () => {
    const t = createLieTask();
    close(t.e1, [0.9633736512703545, -0.2681626522057565], 1e-15);
    expect(t.alphas[7]).toBe(6.28);
    close(
      t.target(0.37),
      [
        -2.935516684618975, 0.8171242162411607, 1.624272953517784, 0.09831935757574345, -0.21245610054706685,
        -0.08792786128377493, 1.86141578088368, 1.6469464662863333, 0.11497040335304883, 0.20338120604117405,
        -0.06212504675191105, -0.33649651473715647, 0.13602946447539335, -0.9038712388219334,
        -0.35084312229884573, 0.6717430724814245,
      ],
      1e-10,
    );
  });
});

describe('toy metrics (spec §11.4)', () => {
  it('l1 and l2 errors', () => {
    expect(l1Error([1, 2, 3], [1, 0, 6])).toBeCloseTo(5 / 3, 12);
    expect(l2Error([1, 2, 3], [1, 0, 6])).toBeCloseTo(Math.sqrt(13 / 3), 12);
    expect(() => l1Error([1], [1, 2])).toThrow(/lengths/);
  });

  it('projection metrics: errors inside the right subspace give diag 0, the true target gives boundary < 1', () => {
    const t = createProjectionTask();
    // A prediction whose error lies in P_{interval}'s subspace: target + P_i · ones.
    const inSubspace = (c: number) => {
      const g = t.target(c);
      const e = applyMatrix(t.projectors[t.intervalOf(c)]!, [1, 1, 1, 1, 1, 1, 1, 1], 8);
      return g.map((v, i) => v + e[i]!);
    };
    const m = projectionMetrics(t, inSubspace);
    expect(m.subspaceDiag).toBeLessThan(1e-9);
    expect(m.subspaceOffDiag).toBeGreaterThan(0.3);
    // The target lies in span[P_{i-1}, P_i] on both sides of a boundary.
    expect(m.boundary).toBeLessThan(1e-9);
    // An error along a fixed direction leaves every subspace.
    const off = projectionMetrics(t, (c) => t.target(c).map((v, i) => v + (i === 0 ? 1 : 0)));
    expect(off.subspaceDiag).toBeGreaterThan(0.3);
    expect(intervalPoints(2).every((c) => c > 0.2 && c < 0.3)).toBe(true);
    const b = boundaryPoints(4);
    expect(b[0]).toBeCloseTo(0.37, 12);
    expect(b[19]).toBeCloseTo(0.43, 12);
    // Two generic 3-D subspaces of R^8 span 6 dimensions.
    const Pt = spanProjector([t.projectors[0]!, t.projectors[1]!], 8);
    let trace = 0;
    for (let i = 0; i < 8; i++) trace += Pt[i * 9]!;
    expect(trace).toBeCloseTo(6, 8);
  });

  it('lie metrics: the target scores cos ±1 / perp 0, a rotated prediction does not', () => {
    const t = createLieTask();
    const cs = linspace(0, 1, 200);
    const truth = Float64Array.from(Array.from(cs, (c) => Array.from(t.target(c))).flat());
    const m = lieMetrics(t, cs, truth);
    expect(m.avgPerpError).toBeLessThan(1e-12);
    expect(m.maxPerpError).toBeLessThan(1e-12);
    for (const c of m.cosSimilarity) expect(Math.abs(c)).toBeLessThanOrEqual(1);
    // Perpendicular vectors: rotate every component by 90 degrees.
    const rotated = truth.map((_v, i) => (i % 2 === 0 ? -truth[i + 1]! : truth[i - 1]!));
    const r = lieMetrics(t, cs, rotated);
    expect(r.avgPerpError).toBeCloseTo(1, 9);
    expect(Math.abs(r.avgCosSimilarity)).toBeLessThan(1e-9);
    // Positive multiples of the direction: cos = 1 exactly.
    const aligned = Float64Array.from(
      Array.from(cs, (c) =>
        Array.from({ length: 8 }, (_, k) => Array.from(t.direction(k, c).map((v) => 2 * v))).flat(),
      ).flat(),
    );
    const a = lieMetrics(t, cs, aligned);
    expect(a.minCosSimilarity).toBeCloseTo(1, 12);
  });
});
