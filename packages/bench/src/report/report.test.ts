import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../evaluate/results.js';
import { writeJsonAtomic } from '../io/io.js';
import { tempDir } from '../test-utils/fixtures.js';
import { markdownTable, writeReport } from './report.js';

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
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# test/);
    expect(md).toMatch(
      /\| algorithm \| network \| task \| seed \| NFE \| kl \| inSupport \| train s \| steps \|/,
    );
    expect(md).toMatch(/\| lsd \| mlp \| checkerboard \| 0 \| 4 \| 0\.2500 \|/);
    expect(md).toMatch(/!\[Training loss\]\(plots\/loss\.png\)/);
    expect(files.every((f) => existsSync(f))).toBe(true);
  });

  it('fails clearly on a folder with no results', async () => {
    await expect(writeReport(tempDir())).rejects.toThrow(/no results.json and no run folders/);
  });

  it('formats the table', () => {
    expect(markdownTable(rows.slice(0, 1)).split('\n')).toHaveLength(3);
  });
});
