import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../evaluate/results.js';
import { comparisonTable, variantTables } from './compare.js';
import { sweepGrid } from './sweep.js';

const row = (seed: number, variant: string | undefined, l1: number): ResultRow => ({
  algorithm: 'mip',
  network: 'vanilla_mlp',
  task: 'recon',
  seed,
  nfe: 2,
  metrics: { l1_error: l1 },
  trainSeconds: 1,
  steps: 10,
  ...(variant ? { variant } : {}),
});

describe('comparisonTable', () => {
  it('averages over seeds within a --set combination, never across combinations', () => {
    // l1: seeds 0.1, 0.3 -> 0.2 +- 0.1 (population std); film: 0.5, 0.9 -> 0.7 +- 0.2.
    const text = comparisonTable(
      [
        row(0, 'norm=l1_conditioning=concat', 0.1),
        row(1, 'norm=l1_conditioning=concat', 0.3),
        row(0, 'norm=l1_conditioning=film', 0.5),
        row(1, 'norm=l1_conditioning=film', 0.9),
      ],
      'h',
    );
    expect(text).toMatch(/options/);
    expect(text).toMatch(/norm=l1_conditioning=concat[^\n]*0\.2000 ± 0\.1000/);
    expect(text).toMatch(/norm=l1_conditioning=film[^\n]*0\.7000 ± 0\.2000/);
    // Without combinations there is no options column.
    expect(comparisonTable([row(0, undefined, 0.1)], 'h')).not.toMatch(/options/);
  });

  it('lays a sweep out as the paper does: a table per task and metric, combinations as columns', () => {
    const text = variantTables([
      row(0, 'norm=l1_conditioning=concat', 0.1),
      row(1, 'norm=l1_conditioning=concat', 0.3),
      row(0, 'norm=l1_conditioning=film', 0.5),
    ]);
    expect(text.split('\n')).toEqual([
      'recon, l1_error (mean ± std over seeds)',
      '| algorithm | NFE | norm=l1_conditioning=concat | norm=l1_conditioning=film |',
      '|---|---|---|---|',
      '| mip | 2 | 0.2000 ± 0.1000 | 0.5000 |',
    ]);
    expect(variantTables([row(0, undefined, 0.1)])).toBe('');
  });

  it("sweepGrid names each run's combination", () => {
    const runs = sweepGrid({
      algorithms: ['mip'],
      tasks: ['recon'],
      seeds: [0, 1],
      sets: [
        { key: 'lossOptions.norm', values: ['l1', 'l2'] },
        { key: 'networkOptions.conditioning', values: ['film'] },
      ],
      file: { network: 'vanilla_mlp' },
      flags: {},
    });
    expect(runs.map((r) => [r.run, r.variant])).toEqual([
      ['recon/mip_norm=l1_conditioning=film_s0', 'norm=l1_conditioning=film'],
      ['recon/mip_norm=l1_conditioning=film_s1', 'norm=l1_conditioning=film'],
      ['recon/mip_norm=l2_conditioning=film_s0', 'norm=l2_conditioning=film'],
      ['recon/mip_norm=l2_conditioning=film_s1', 'norm=l2_conditioning=film'],
    ]);
    expect(runs[2].config.lossOptions).toMatchObject({ norm: 'l2' });
    expect(runs[0].config.networkOptions).toEqual({ conditioning: 'film' });
  });
});
