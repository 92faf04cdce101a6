import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleCheckerboard } from '@mipjs/data';
import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../evaluate/results.js';
import { writeJsonAtomic } from '../io/io.js';
import { tempDir } from '../test-utils/fixtures.js';
import { HAVE_PUSHT_DATA, trainTinyPushTRun } from '../test-utils/pusht-run.js';
import { checkerboardSupportRects, markdownTable, writeReport } from './report.js';

const rows: ResultRow[] = [1, 2, 4].flatMap((nfe) =>
  ['flow', 'lsd'].map((algorithm) => ({
    algorithm,
    network: 'mlp',
    task: 'checkerboard',
    seed: 0,
    nfe,
    metrics: { kl: 1 / nfe, inSupport: 0.5 + nfe / 10 },
    trainSeconds: 3.5,
    steps: 100,
  })),
);

describe('report', () => {
  it('writes markdown with a table and SVG + PNG plots', async () => {
    const dir = tempDir();
    writeJsonAtomic(join(dir, 'results.json'), rows);
    const run = join(dir, 'flow-s0');
    writeJsonAtomic(join(run, 'config.json'), { algorithm: 'flow', task: 'checkerboard', seed: 0 });
    const { writeFileAtomic } = await import('../io/io.js');
    writeFileAtomic(join(run, 'metrics.jsonl'), '{"step":10,"loss":1}\n{"step":20,"loss":0.5}\n');
    writeJsonAtomic(join(run, 'samples.json'), {
      '1': [
        [0.1, 0.2],
        [-0.3, 0.4],
      ],
    });
    const files = await writeReport(dir, { title: 'test' });
    for (const name of ['loss', 'nfe-kl', 'nfe-inSupport', 'samples']) {
      const png = readFileSync(join(dir, 'plots', `${name}.png`));
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(readFileSync(join(dir, 'plots', `${name}.svg`), 'utf8')).toMatch(/^<svg/);
    }
    // Checkerboard: a data panel first, then NFE 1, each over the 8 support cells.
    const svg = readFileSync(join(dir, 'plots', 'samples.svg'), 'utf8');
    expect([...svg.matchAll(/>(data|NFE \d+)</g)].map((m) => m[1])).toEqual(['data', 'NFE 1']);
    const rects = [
      ...svg.matchAll(
        /aria-label="x: ([^;]+); y: ([^;]+); x2: ([^;]+); y2: ([^"]+)"[^>]*aria-roledescription="rect mark"/g,
      ),
    ];
    expect(rects).toHaveLength(2 * 8);
    const num = (s: string) => Number(s.replace('\u2212', '-'));
    const cells = rects.slice(0, 8).map((m) => m.slice(1, 5).map(num));
    expect(cells).toEqual(checkerboardSupportRects().map((r) => [r.x, r.y, r.x2, r.y2]));
    // The data panel's points: sampleCheckerboard, seed 0, as many as the largest NFE column (2).
    const circles = [
      ...svg.matchAll(
        /aria-label="x: ([^;]+); y: ([^"]+)" role="graphics-symbol" aria-roledescription="circle"/g,
      ),
    ];
    expect(circles).toHaveLength(2 + 2);
    const data = sampleCheckerboard(2, { seed: 0 }).data;
    circles.slice(0, 2).forEach((m, k) => {
      expect(num(m[1]!)).toBeCloseTo(data[2 * k]!, 3);
      expect(num(m[2]!)).toBeCloseTo(data[2 * k + 1]!, 3);
    });
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# test/);
    expect(md).toMatch(
      /\| algorithm \| network \| task \| seed \| NFE \| kl \| inSupport \| train s \| steps \|/,
    );
    expect(md).toMatch(/\| lsd \| mlp \| checkerboard \| 0 \| 4 \| 0\.2500 \|/);
    expect(md).toMatch(/!\[Training loss\]\(plots\/loss\.png\)/);
    expect(files.every((f) => existsSync(f))).toBe(true);
  });

  it('gives the 8 support cells of the checkerboard (4 per side, i + j even)', () => {
    const rects = checkerboardSupportRects();
    expect(rects).toHaveLength(8);
    const edges = [-1, -0.5, 0, 0.5, 1];
    const expected = [];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        if ((i + j) % 2 === 0)
          expected.push({ x: edges[i], x2: edges[i + 1], y: edges[j], y2: edges[j + 1] });
    expect(rects).toEqual(expected);
  });

  it('fails clearly on a folder with no results', async () => {
    await expect(writeReport(tempDir())).rejects.toThrow(/no results.json and no run folders/);
  });

  it("a sweep's option combinations get a table column and their own lines, tasks their own panels", async () => {
    const dir = tempDir();
    const sweepRows: ResultRow[] = ['recon', 'proj'].flatMap((task) =>
      ['norm=l1_conditioning=concat', 'norm=l1_conditioning=film'].map((variant, i) => ({
        algorithm: 'mip',
        network: 'vanilla_mlp',
        task,
        seed: 0,
        nfe: 2,
        metrics: { l1_error: 0.1 + i },
        trainSeconds: 1,
        steps: 10,
        variant,
      })),
    );
    writeJsonAtomic(join(dir, 'results.json'), sweepRows);
    await writeReport(dir, { title: 'sweep' });
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| algorithm \| options \| network \| task \|/);
    expect(md).toMatch(/\| mip \| norm=l1_conditioning=film \| vanilla_mlp \| proj \|/);
    const svg = readFileSync(join(dir, 'plots', 'nfe-l1_error.svg'), 'utf8');
    for (const label of ['mip norm=l1_conditioning=concat', 'mip norm=l1_conditioning=film', 'recon', 'proj'])
      expect(svg).toContain(label);
  });

  it("prints a sweep's tables in the paper's layout and one plot per task", async () => {
    const dir = tempDir();
    // Seeds 0, 1 of each (task, algorithm, combination): l1 = base + seed * step, so the mean is
    // base + step / 2 and the population std step / 2, worked out by hand below.
    const combos = ['norm=l1_conditioning=concat', 'norm=l2_conditioning=film'];
    const sweepRows: ResultRow[] = ['recon', 'lie'].flatMap((task, ti) =>
      (
        [
          ['regression', 1],
          ['flow', 9],
        ] as const
      ).flatMap(([algorithm, nfe], ai) =>
        combos.flatMap((variant, vi) =>
          [0, 1].map((seed) => ({
            algorithm,
            network: 'vanilla_mlp',
            task,
            seed,
            nfe,
            metrics: {
              l1_error: 0.1 * (1 + ti) + 0.01 * ai + 0.001 * vi + 0.02 * seed,
              ...(task === 'lie' ? { avgCosSimilarity: 0.5 + 0.1 * seed } : {}),
            },
            trainSeconds: 1,
            steps: 10,
            variant,
          })),
        ),
      ),
    );
    writeJsonAtomic(join(dir, 'results.json'), sweepRows);
    const files = await writeReport(dir, { title: 'toy sweep' });
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/## Tables \(the paper's layout\)/);
    const table = (title: string) => {
      const at = md.indexOf(`### ${title}\n\n`);
      expect(at).toBeGreaterThanOrEqual(0);
      return md
        .slice(at)
        .split('\n')
        .slice(2)
        .filter((l, i, a) => l.startsWith('|') && a.slice(0, i).every((x) => x.startsWith('|')));
    };
    // recon, regression, concat: seeds 0.1000, 0.1200 -> 0.1100 ± 0.0100; film adds 0.001.
    expect(table('recon, l1_error (mean ± std over seeds)')).toEqual([
      '| algorithm | NFE | norm=l1_conditioning=concat | norm=l2_conditioning=film |',
      '|---|---|---|---|',
      '| regression | 1 | 0.1100 ± 0.0100 | 0.1110 ± 0.0100 |',
      '| flow | 9 | 0.1200 ± 0.0100 | 0.1210 ± 0.0100 |',
    ]);
    expect(table('lie, avgCosSimilarity (mean ± std over seeds)')[2]).toBe(
      '| regression | 1 | 0.5500 ± 0.0500 | 0.5500 ± 0.0500 |',
    );
    // recon has no avgCosSimilarity table; the tables come before the per-run results table.
    expect(md).not.toMatch(/### recon, avgCosSimilarity/);
    expect(md.indexOf('## Tables')).toBeLessThan(md.indexOf('## Results'));
    for (const task of ['recon', 'lie']) {
      const png = join(dir, 'plots', `task-${task}.png`);
      expect(files).toContain(png);
      expect([...readFileSync(png).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect(md).toContain(`![${task}: every metric by mode and options](plots/task-${task}.png)`);
    }
    // The lie plot: a panel per metric, a bar per mode and combination (2 x 2 per panel).
    const svg = readFileSync(join(dir, 'plots', 'task-lie.svg'), 'utf8');
    for (const label of ['l1_error', 'avgCosSimilarity', 'regression (NFE 1)', 'flow (NFE 9)'])
      expect(svg).toContain(label);
    expect([...svg.matchAll(/aria-roledescription="bar"/g)]).toHaveLength(8);
    // A results folder without --set combinations gets no paper tables.
    const plain = tempDir();
    writeJsonAtomic(join(plain, 'results.json'), rows);
    await writeReport(plain);
    expect(readFileSync(join(plain, 'report.md'), 'utf8')).not.toMatch(/## Tables/);
  });

  it('formats the table', () => {
    expect(markdownTable(rows.slice(0, 1)).split('\n')).toHaveLength(3);
  });

  it.skipIf(!HAVE_PUSHT_DATA)(
    'embeds two rollout GIFs per pusht algorithm with their scores, and notes a run without policy.json',
    async () => {
      const dir = tempDir();
      const { rows } = await trainTinyPushTRun(join(dir, 'mip-s0'));
      writeJsonAtomic(join(dir, 'results.json'), rows);
      const bare = join(dir, 'a-no-policy');
      mkdirSync(bare);
      for (const f of ['config.json', 'metrics.jsonl']) cpSync(join(dir, 'mip-s0', f), join(bare, f));
      const t0 = performance.now();
      const files = await writeReport(dir, { title: 'pusht' });
      expect(performance.now() - t0).toBeLessThan(30_000);
      const md = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(md).toMatch(/## Rollouts/);
      expect(md).toMatch(/`a-no-policy` \(mip\/pusht\/s0\): no policy.json, no rollout/);
      for (const seed of [100000, 100001]) {
        const gif = join(dir, 'rollouts', `mip-pusht-s0-seed${seed}.gif`);
        expect(files).toContain(gif);
        expect(String.fromCharCode(...readFileSync(gif).subarray(0, 6))).toBe('GIF89a');
        expect(md).toMatch(
          new RegExp(`!\\[mip seed ${seed}\\]\\(rollouts/mip-pusht-s0-seed${seed}\\.gif\\)`),
        );
      }
      expect(md).toMatch(/### mip \(`mip-s0`, NFE 2\)\n\n\| seed 100000 \| seed 100001 \|/);
      expect(md).toMatch(
        /\| max reward \d\.\d{3}, (no )?success, \d+ steps \| max reward \d\.\d{3}, (no )?success, \d+ steps \|/,
      );
      // The rollouts folder is not mistaken for a run folder, and a rollout-free report is possible.
      const again = await writeReport(dir, { rollouts: false });
      expect(again.some((f) => f.endsWith('.gif'))).toBe(false);
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).not.toMatch(/## Rollouts/);
    },
    120_000,
  );
});
