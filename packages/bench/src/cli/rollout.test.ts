import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeJsonAtomic } from '../io/io.js';
import { tempDir, tinyConfig } from '../test-utils/fixtures.js';
import { HAVE_PUSHT_DATA, trainTinyPushTRun } from '../test-utils/pusht-run.js';
import { main } from './program.js';

/** `mipjs ARGS` in this process: exit code, stdout, stderr. */
async function mipjs(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  try {
    const code = await main(['node', 'mipjs', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe.skipIf(!HAVE_PUSHT_DATA)('mipjs rollout', () => {
  const dir = tempDir('mipjs-rollout-cli-');
  const run = join(dir, 'run');
  beforeAll(async () => {
    await trainTinyPushTRun(run);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a strip and prints the episode', async () => {
    const out = join(dir, 'strip.png');
    const r = await mipjs([
      'rollout',
      run,
      '--env',
      'pusht',
      '--seed',
      '100002',
      '--size',
      '64',
      '--out',
      out,
      '--backend',
      'cpu',
    ]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^mip pusht seed 100002 NFE 2: max reward \d\.\d{3}, (no )?success, \d+ steps/);
    expect(r.out).toMatch(/wrote .*strip\.png \(strip of frames/);
    expect(readFileSync(out).readUInt32BE(16)).toBe(6 * 64 + 5 * 4);
  });

  it.each([
    [['--env', 'bogus', '--out', 'x.gif'], /unknown env 'bogus'; valid: pusht/],
    [['--env', 'pusht', '--out', 'x.jpg'], /--out x\.jpg: expected a \.gif .* or \.png/],
    [
      ['--env', 'pusht', '--out', 'x.gif', '--seed', '-1'],
      /--seed: expected an integer in \[0, 2\^32\), got -1/,
    ],
    [['--env', 'pusht', '--out', 'x.gif', '--seed', 'abc'], /--seed: expected a number, found 'abc'/],
    [['--env', 'pusht', '--out', 'x.gif', '--nfe', '1,2'], /--nfe: /],
  ])('%s fails in one line', async (flags, message) => {
    const r = await mipjs(['rollout', run, ...(flags as string[])]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message as RegExp);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('names a run without policy.json and a run of another task', async () => {
    const bare = join(dir, 'bare');
    mkdirSync(bare, { recursive: true });
    writeJsonAtomic(join(bare, 'config.json'), JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')));
    let r = await mipjs(['rollout', bare, '--env', 'pusht', '--out', join(bare, 'x.gif')]);
    expect(r.err).toMatch(/^mipjs: error: cannot roll out .*bare: no policy\.json/);
    expect(existsSync(join(bare, 'x.gif'))).toBe(false);
    const toy = join(dir, 'toy');
    writeJsonAtomic(join(toy, 'config.json'), tinyConfig());
    r = await mipjs(['rollout', toy, '--env', 'pusht', '--out', join(toy, 'x.gif')]);
    expect(r.err).toMatch(/trained on task 'checkerboard'/);
  });
});
