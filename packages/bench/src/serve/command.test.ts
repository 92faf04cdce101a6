import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Policy } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_PUSHT_DATA, trainTinyPushTRun } from '../test-utils/pusht-run.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mipjs-serve-cli-'));
const run = it.skipIf(!HAVE_PUSHT_DATA);
if (!HAVE_PUSHT_DATA)
  console.warn('SKIPPING the mipjs serve tests: no PushT dataset (datasets/pusht) to train a run on');
let oracle: Policy;

beforeAll(async () => {
  if (!HAVE_PUSHT_DATA) return;
  await trainTinyPushTRun(dir);
  oracle = await loadPolicyFromRun(dir);
}, 120_000);

afterAll(() => {
  oracle?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function mipjs(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, err: r.stderr };
}

/** A port nobody listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, headers: Record<string, string> = {}) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`mipjs serve exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`, { headers });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('mipjs serve did not come up in 30 s');
}

describe('mipjs serve (the CLI)', () => {
  run(
    'refuses bad flags with one clear line',
    () => {
      const cases: [string[], RegExp][] = [
        [[dir, '--host', '0.0.0.0'], /--host 0\.0\.0\.0: binding a non-loopback address needs --token/],
        [[dir, '--port', '70000'], /--port: expected an integer in \[0, 65535\]/],
        [[dir, '--token', 'short'], /--token: expected at least 16 characters/],
        [[dir, '--backend', 'gpu9'], /--backend: unknown backend 'gpu9'/],
        [[join(dir, 'nope')], /no policy\.json/],
        [[`bad name=${dir}`], /policy name 'bad name' must be/],
        [[dir, `${dir}`], /two runs are named/],
      ];
      for (const [args, message] of cases) {
        const r = mipjs(['serve', ...args, '--backend', args.includes('--backend') ? 'gpu9' : 'cpu']);
        expect(r.code, args.join(' ')).toBe(1);
        const lines = r.err.trim().split('\n');
        expect(lines.at(-1)).toMatch(/^mipjs: error: /);
        expect(lines.at(-1)).toMatch(message);
        expect(r.err).not.toMatch(/^\s+at /m);
      }
    },
    120_000,
  );

  run(
    'serves a run until SIGTERM, with the token from the environment, and logs JSON lines without it',
    async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const token = 'cli-test-token-fedcba9876543210';
      const child = spawn(
        process.execPath,
        [CLI, 'serve', `tiny=${dir}`, '--port', String(port), '--backend', 'cpu'],
        {
          env: { ...process.env, MIPJS_SERVE_TOKEN: token },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr!.on('data', (d) => {
        stderr += String(d);
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const auth = { authorization: `Bearer ${token}` };
      try {
        await waitForHealth(url, child, auth);
        expect((await fetch(`${url}/policies`)).status).toBe(401);
        const history = [
          [100, 200, 300, 250, 1.5],
          [102, 201, 300, 250, 1.5],
        ];
        const res = await fetch(`${url}/policies/tiny/act`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ observations: history }),
        });
        expect(res.status).toBe(200);
        const { actions } = (await res.json()) as { actions: number[][][] };
        const want = oracle.act([history.flat()]);
        expect(actions.flat(2)).toEqual(Array.from(want.data));
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(stderr).toContain('mipjs serve: SIGTERM: finishing in-flight requests');
      expect(stderr).toContain('mipjs serve: stopped');
      expect(stderr).not.toContain(token);
      const records = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      expect(records.some((r) => r.req?.url === '/policies/tiny/act' && r.req?.method === 'POST')).toBe(true);
      expect(records.some((r) => r.res?.statusCode === 200)).toBe(true);
    },
    60_000,
  );
});
