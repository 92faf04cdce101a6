import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oracleNumber, oracleReplayInput } from '../../node/oracle-input.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The C harness source (packages/envs/oracle/pusht_oracle.c). */
export const ORACLE_SOURCE = resolve(here, '../../../oracle/pusht_oracle.c');

let built: string | null | undefined;
let reason = '';

/**
 * Compiles the Chipmunk oracle with gcc against the system's libchipmunk (Debian
 * libchipmunk-dev 7.0.3). Returns the binary's path, or null with {@link oracleSkipReason}.
 */
export function buildOracle(): string | null {
  if (built !== undefined) return built;
  if (!existsSync('/usr/include/chipmunk/chipmunk.h')) {
    reason = 'libchipmunk-dev is not installed (/usr/include/chipmunk/chipmunk.h missing)';
    built = null;
    return null;
  }
  const out = join(mkdtempSync(join(tmpdir(), 'pusht-oracle-')), 'pusht_oracle');
  try {
    execFileSync('gcc', ['-O2', '-o', out, ORACLE_SOURCE, '-lchipmunk', '-lm'], { stdio: 'pipe' });
    built = out;
  } catch (e) {
    reason = `gcc could not build the oracle: ${(e as Error).message}`;
    built = null;
  }
  return built;
}

export function oracleSkipReason(): string {
  return reason;
}

/** One state line of the oracle: agent x y vx vy, block x y angle vx vy w, contact count. */
export interface OracleState {
  agent: [number, number, number, number];
  block: [number, number, number, number, number, number];
  n: number;
}

/** Runs a command script through the oracle; returns its state lines and debug lines. */
export function runOracle(commands: string[]): { states: OracleState[]; debug: string[] } {
  const bin = buildOracle();
  if (!bin) throw new Error(oracleSkipReason());
  const r = spawnSync(bin, [], {
    input: `${commands.join('\n')}\nq\n`,
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`oracle failed: ${r.stderr}`);
  const states: OracleState[] = [];
  const debug: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('#')) {
      debug.push(line);
      continue;
    }
    const t = line.trim().split(/\s+/).map(Number);
    if (t.length !== 11 || t.some((x) => Number.isNaN(x))) continue;
    states.push({
      agent: [t[0]!, t[1]!, t[2]!, t[3]!],
      block: [t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!],
      n: t[10]!,
    });
  }
  return { states, debug };
}

/** Formats a number so the oracle parses it back to the same double. */
export const num = oracleNumber;

/**
 * Runs the oracle's bench mode: open-loop replay of every episode from its first state.
 * Returns the block poses after each action and the C wall time.
 */
export function runOracleBench(
  states: ArrayLike<number>,
  actions: ArrayLike<number>,
  episodeEnds: readonly number[],
): { poses: Float64Array; seconds: number } {
  const bin = buildOracle();
  if (!bin) throw new Error(oracleSkipReason());
  const r = spawnSync(bin, ['bench'], {
    input: oracleReplayInput(states, actions, episodeEnds),
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`oracle bench failed: ${r.stderr}`);
  const vals = r.stdout
    .split('\n')
    .filter((l) => /^[-\d]/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).map(Number));
  const m = /seconds ([\d.]+)/.exec(r.stderr);
  return { poses: Float64Array.from(vals), seconds: m ? Number(m[1]) : Number.NaN };
}
