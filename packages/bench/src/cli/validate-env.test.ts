import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const REPO = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
/** The committed low-dimensional copy (no data/img). */
const LOWDIM = join(REPO, 'datasets/pusht/pusht_cchi_v7_lowdim.zarr');
/** The real replay buffer with images, outside the repository. */
const REPLAY = join(REPO, '../shared/data/pusht/pusht_cchi_v7_replay.zarr');

function mipjs(args: string[], cwd = tempDir()) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, cwd };
}

const realMissing = existsSync(join(REPLAY, 'data', 'img')) ? null : `no PushT images at ${REPLAY}`;
if (realMissing) console.warn(`SKIPPING validate-env on the real images: ${realMissing}`);

describe('mipjs validate-env --env pusht', () => {
  it('validates the first episodes of the repository copy, skips the render row with the reason, writes JSON', () => {
    const dir = tempDir();
    const json = join(dir, 'out', 'pusht.json');
    const r = mipjs(
      ['validate-env', '--env', 'pusht', '--data', LOWDIM, '--episodes', '3', '--json', json],
      dir,
    );
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PushT: 3 episodes, 417 transitions/m);
    for (const row of [
      'agentReplayMaxErrorPx',
      'oneStep.medianPositionErrorPx',
      'openLoop.finalCoverageWithin005',
    ])
      expect(r.out).toMatch(new RegExp(`^${row.replace('.', '\\.')}\\s+\\S+\\s+[<>]= \\S+\\s+ok$`, 'm'));
    expect(r.out).not.toMatch(/render\.meanAbsDiff/);
    expect(r.out).toMatch(/^render: skipped \(.*has no data\/img\)$/m);
    // A progress line per phase on a non-TTY stderr.
    expect(r.err).toMatch(/validate-env: physics/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report).toMatchObject({
      env: 'pusht',
      episodes: 3,
      transitions: 417,
      agentReplayMaxErrorPx: 0,
      render: null,
    });
    expect(report.data).toBe(LOWDIM);
    expect(report.oneStep.medianPositionErrorPx).toBeLessThan(0.01);
    expect(report.openLoop.finalCoverageWithin005).toBe(1);
    expect(report.keypointMaxError).toBeLessThan(0.5);
    expect(report.speed.singleStepsPerSecond).toBeGreaterThan(0);
    // The ratio to Chipmunk in C is there when the oracle builds here, else the reason is printed.
    if (report.speed.chipmunkStepsPerSecond === null)
      expect(r.out).toMatch(/^speed\.ratioToChipmunk: unavailable \(.+\)$/m);
    else expect(r.out).toMatch(/^speed\.ratioToChipmunk\s+\S+/m);
    expect(
      report.checks.every((c: { pass: boolean; name: string }) => c.pass || c.name.startsWith('speed')),
    ).toBe(true);
  });

  it.skipIf(realMissing !== null)('compares the renderer with data/img of the real replay buffer', () => {
    const dir = tempDir();
    const json = join(dir, 'pusht.json');
    const r = mipjs(
      ['validate-env', '--env', 'pusht', '--data', REPLAY, '--episodes', '2', '--json', json],
      dir,
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    // 2 episodes hold 161 + 118 frames, fewer than 1000: every one of them is rendered.
    expect(report.render.frames).toBe(279);
    expect(report.render.meanAbsDiff).toBeLessThan(3);
    expect(r.out).toMatch(/^render\.meanAbsDiff\s+\S+\s+<= 3\s+ok$/m);
    expect(r.err).toMatch(/validate-env: images/);
  });

  it.each([
    [
      ['--data', '/no/such/dir.zarr'],
      /validate-env: cannot read --data \/no\/such\/dir\.zarr: no such file or directory/,
    ],
    [['--data', 'NOTZARR'], /validate-env: --data .*NOTZARR is not a PushT Zarr replay buffer \(/],
    [['--env', 'cartpole', '--data', LOWDIM], /validate-env: unknown --env 'cartpole'; valid: pusht/],
    [['--data', LOWDIM, '--episodes', '0'], /validate-env: --episodes '0': expected a positive integer/],
    [['--data', LOWDIM, '--episodes', 'abc'], /validate-env: --episodes 'abc': expected a positive integer/],
    [['--data', LOWDIM, '--episodes', '1000'], /validate-env: --episodes 1000: .* has 206 episodes/],
    [[], /validate-env: --data <zarr> is required/],
  ])('%s is a one-line error', (args, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'NOTZARR'), 'not a zarr\n');
    const r = mipjs(
      ['validate-env', ...(args as string[]).map((a) => (a === 'NOTZARR' ? join(dir, 'NOTZARR') : a))],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mipjs: error: /);
    expect(lines[0]).toMatch(message as RegExp);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
