import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oracleReplayInput } from '@mipjs/envs/node';

/** The C steps/s of the Chipmunk oracle, or why it could not be measured. */
export type ChipmunkSpeed = { stepsPerSecond: number } | { unavailable: string };

const CHIPMUNK_HEADER = '/usr/include/chipmunk/chipmunk.h';

/**
 * `packages/envs/oracle/pusht_oracle.c`, next to the `@mipjs/envs` build (a workspace checkout;
 * the published package does not ship it), or null.
 */
export function pushTOracleSource(): string | null {
  try {
    const entry = fileURLToPath(import.meta.resolve('@mipjs/envs'));
    const source = join(dirname(entry), '..', 'oracle', 'pusht_oracle.c');
    return existsSync(source) ? source : null;
  } catch {
    return null;
  }
}

/**
 * Replays every episode open loop in Chipmunk 7 itself (the C harness of `@mipjs/envs`, built
 * with gcc against Debian's `libchipmunk-dev`, the engine that recorded the data) and returns its
 * control steps per second, or why that is not possible here.
 */
export function measureChipmunkSpeed(
  states: ArrayLike<number>,
  actions: ArrayLike<number>,
  episodeEnds: readonly number[],
): ChipmunkSpeed {
  const source = pushTOracleSource();
  if (!source)
    return { unavailable: 'the C oracle packages/envs/oracle/pusht_oracle.c is not next to @mipjs/envs' };
  if (!existsSync(CHIPMUNK_HEADER))
    return { unavailable: `libchipmunk-dev is not installed (${CHIPMUNK_HEADER} missing)` };
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-chipmunk-'));
  try {
    const bin = join(dir, 'pusht_oracle');
    try {
      execFileSync('gcc', ['-O2', '-o', bin, source, '-lchipmunk', '-lm'], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      const why = err.code === 'ENOENT' ? 'gcc not found' : String(err.stderr ?? e).split('\n')[0];
      return { unavailable: `gcc could not build the C oracle: ${why}` };
    }
    const r = spawnSync(bin, ['bench'], {
      input: oracleReplayInput(states, actions, episodeEnds),
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const m = /steps (\d+) seconds ([\d.]+)/.exec(r.stderr ?? '');
    if (r.status !== 0 || !m)
      return { unavailable: `the C oracle failed: ${(r.stderr || String(r.error)).trim().split('\n')[0]}` };
    const seconds = Number(m[2]);
    if (!(seconds > 0))
      return { unavailable: `the C oracle's replay took too little time to measure (${m[2]} s)` };
    return { stepsPerSecond: Number(m[1]) / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
