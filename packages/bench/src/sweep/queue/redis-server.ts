// A throw-away local Redis (Debian's redis-server) on a free loopback port: for the queue tests and `mipjs perf`.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server started by {@link startLocalRedis}. */
export interface LocalRedis {
  /** `redis://[:password@]127.0.0.1:<port>/0`. */
  url: string;
  port: number;
  /** Its data folder (removed by `stop`). */
  dir: string;
  /** Stops the server (SIGTERM; with persistence it writes its append-only file first). */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (after `kill`): what a restarted Redis looks like. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/**
 * The `redis-server` binary (from `MIPJS_REDIS_SERVER` or the PATH), or null with the reason
 * when there is none (the queue tests skip then and print it).
 */
export function findRedisServer(): { path: string } | { path: null; reason: string } {
  const path = process.env.MIPJS_REDIS_SERVER || 'redis-server';
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return {
      path: null,
      reason: `${path} is not installed (Debian: apt-get install redis-server; .ci/run installs it)`,
    };
  return { path };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts `redis-server` on a free 127.0.0.1 port with its own temporary folder, no system
 * service and nothing left behind: `--save ''` and, unless `persistence`, `--appendonly no`
 * (with it, `--appendonly yes --appendfsync always`, so a restart keeps every job). `password`
 * sets `--requirepass`. Resolves once the server accepts connections.
 *
 * ```ts
 * const redis = await startLocalRedis();
 * try { await remoteSweepStatus({ queue: redis.url, name: 'x', log, print }); } finally { await redis.stop(); }
 * ```
 */
export async function startLocalRedis(
  o: { persistence?: boolean; password?: string } = {},
): Promise<LocalRedis> {
  const found = findRedisServer();
  if (found.path === null) throw new Error(found.reason);
  const binary = found.path;
  const dir = mkdtempSync(join(tmpdir(), 'mipjs-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    ...(o.persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(o.password ? ['--requirepass', o.password] : []),
  ];
  let child: ChildProcess | null = null;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          c.stdout?.off('data', onData);
          c.stdout?.resume();
          resolve();
        }
      };
      c.stdout?.on('data', onData);
      c.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      c.once('exit', (code) =>
        reject(new Error(`redis-server exited (code ${code}): ${output.trim().split('\n').pop()}`)),
      );
      c.once('error', reject);
    });
  const kill = async () => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await launch();
  const auth = o.password ? `:${encodeURIComponent(o.password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}/0`,
    port,
    dir,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
