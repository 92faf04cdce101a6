/**
 * What a new user reads on the console: TF.js's "Hi, looks like you are running TensorFlow.js in
 * Node.js" banner never (mip.js says which backend `auto` chose, in one line, once per command,
 * workers included, and nothing when the user named the backend); `mipjs info` counts NFE, the
 * unit the tables use; the progress's last loss is the report's final loss, and both say what
 * they average.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const BANNER = 'looks like you are running TensorFlow.js';

function mipjs(args: string[]) {
  const cwd = tempDir();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, all: `${r.stdout}\n${r.stderr}`, cwd };
}

const TINY = [
  '--task',
  'checkerboard',
  '--steps',
  '12',
  '--batch',
  '16',
  '--eval-samples',
  '64',
  '--nfe',
  '1',
  '--network-options',
  '{"embDim":16,"nLayers":1,"timestepEmbDim":8}',
];

const backendLines = (text: string) => text.split('\n').filter((l) => /^backend: /.test(l));

describe('the console of a mipjs command', () => {
  it('says once which backend auto chose, and never prints the TF.js banner', () => {
    const r = mipjs(['train', '--algorithm', 'flow', ...TINY, '--out', 'run']);
    expect(r.code, r.all).toBe(0);
    expect(r.all).not.toContain(BANNER);
    const lines = backendLines(r.all);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^backend: (wasm, \d+ threads?|cpu|tensorflow|tensorflow-gpu) \(auto[;)]/);
  });

  it('prints no backend line and no banner when the user named the backend (cpu prints the banner)', () => {
    const r = mipjs(['train', '--algorithm', 'flow', ...TINY, '--backend', 'cpu', '--out', 'run']);
    expect(r.code, r.all).toBe(0);
    expect(r.all).not.toContain(BANNER);
    expect(backendLines(r.all)).toEqual([]);
  });

  it('announces the backend once for a compare on two worker processes', () => {
    const r = mipjs([
      'compare',
      '--algorithms',
      'flow,regression',
      '--workers',
      '2',
      ...TINY,
      '--out',
      'cmp',
    ]);
    expect(r.code, r.all).toBe(0);
    expect(r.all).not.toContain(BANNER);
    expect(backendLines(r.all)).toHaveLength(1);
    // The table: seconds to a tenth, no four-decimal times.
    const row = r.all.split('\n').find((l) => /│ checkerboard │ flow/.test(l));
    expect(row).toBeDefined();
    expect(row!.trim().split('│').at(-2)!.trim()).toMatch(/^\d+\.\d$/);
  });

  it('ends the progress on the loss the report calls final, saying what it averages', () => {
    const r = mipjs(['train', '--algorithm', 'flow', ...TINY, '--backend', 'cpu', '--out', 'run']);
    expect(r.code, r.all).toBe(0);
    const last = r.all
      .split('\n')
      .filter((l) => / step 12\/12 loss /.test(l))
      .at(-1);
    const progress = / loss (\S+) \(mean of steps (\d+)-12\)/.exec(last ?? '');
    expect(progress, r.all).not.toBeNull();
    const metrics = readFileSync(join(r.cwd, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const final = JSON.parse(metrics.at(-1)!) as { step: number; loss: number };
    expect(final.step).toBe(12);
    expect(Number(progress![1])).toBeCloseTo(final.loss, 3);
    // logEvery 50 > 12 steps: one window, steps 1-12.
    expect(progress![2]).toBe('1');
    const report = mipjs(['report', join(r.cwd, 'run')]);
    expect(report.code, report.all).toBe(0);
    const md = readFileSync(join(r.cwd, 'run', 'report.md'), 'utf8');
    expect(md).toMatch(/final loss \S+ \(mean of steps 1-12\)/);
  });

  it('lists each algorithm by the NFE it is evaluated at', () => {
    const r = mipjs(['info']);
    expect(r.code, r.all).toBe(0);
    expect(r.all).not.toMatch(/steps \[/);
    expect(r.all).toMatch(/^ {2}flow +NFE 9, 3, 1 /m);
    expect(r.all).toMatch(/^ {2}mip +NFE 2 \(fixed\)/m);
  });
});
