// Queue sweeps against a real Redis (a redis-server started here) and real `mipjs worker` processes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRow } from '../../evaluate/results.js';
import { tempDir } from '../../test-utils/fixtures.js';
import { jobIdFor } from './job-id.js';
import { QUEUE_PREFIX, type QueueJobData, type QueueRunResult } from './queue.js';
import { findRedisServer, type LocalRedis, startLocalRedis } from './redis-server.js';
import { parseRedisUrl } from './redis-url.js';
import { remoteSweepCollect, remoteSweepStatus } from './remote-sweep.js';

const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const SECRET = 's3cret-Pw-42';
const redisServer = findRedisServer();
if (redisServer.path === null) console.warn(`skipping the queue tests: ${redisServer.reason}`);

/** A `mipjs` process: its output so far and its exit. */
interface Cli {
  child: ChildProcess;
  out: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

/** Every line any `mipjs` process of these tests printed (searched for the password at the end). */
const transcript: string[] = [];

function mipjs(args: string[], cwd: string, env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.once('close', (code, signal) => {
      transcript.push(out);
      resolve({ code, signal, out });
    }),
  );
  return { child, out: () => out, done };
}

/** The smallest checkerboard runs that still train: a 1-layer width-16 MLP, a few hundred wasm steps. */
function writeConfig(dir: string, steps: number): string {
  const file = join(dir, `config-${steps}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      steps,
      batchSize: 32,
      logEvery: 25,
      checkpointEvery: 25,
      evalSamples: 128,
      evalNfe: [1, 2],
      networkOptions: { embDim: 16, nLayers: 1, timestepEmbDim: 8, dropout: 0 },
    }),
  );
  return file;
}

const withoutTime = (rows: ResultRow[]) => rows.map(({ trainSeconds: _, ...rest }) => rest);
const readRows = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultRow[];

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

function checkpointStep(runDir: string): number {
  const p = join(runDir, 'checkpoint', 'state.json');
  if (!existsSync(p)) return 0;
  try {
    return (JSON.parse(readFileSync(p, 'utf8')) as { step: number }).step;
  } catch {
    return 0; // read while being replaced
  }
}

/**
 * The two multi-process tests train several runs in four or five processes; alone they take about
 * 25 s on 2 cores, and on a machine that other jobs load they have been seen past the default 60 s.
 */
const SLOW_TEST_MS = 180_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined | false, ms = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.skipIf(redisServer.path === null)('sweeps on a Redis queue', () => {
  let redis: LocalRedis;
  let dir: string;
  /** The password travels in the URL for the submitting commands and in the environment for workers. */
  let urlWithPassword: string;
  let urlWithout: string;
  const workerEnv = { MIPJS_REDIS_PASSWORD: SECRET };

  beforeAll(async () => {
    redis = await startLocalRedis({ password: SECRET });
    dir = tempDir('mipjs-queue-');
    urlWithPassword = redis.url;
    urlWithout = `redis://127.0.0.1:${redis.port}/0`;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** In-process status and collect (the same code as the CLI's, without a process start each). */
  const address = (name: string) => ({
    queue: urlWithPassword,
    name,
    log: (line: string) => transcript.push(line),
    print: (text: string) => transcript.push(text),
  });

  const grid = (config: string, seeds: string) => [
    '--algorithms',
    'flow',
    '--tasks',
    'checkerboard',
    '--seeds',
    seeds,
    '--config',
    config,
    '--backend',
    'wasm',
    '--quiet',
  ];

  it('enqueues every run of the grid once: submitting it again adds nothing', async () => {
    const config = writeConfig(dir, 80);
    const submit = [
      'sweep',
      ...grid(config, '0,1,2,3'),
      '--queue',
      urlWithPassword,
      '--name',
      'grid',
      '--no-follow',
    ];
    const first = await mipjs(submit, dir).done;
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/4 runs queued; this grid added 4, 0 were already there/);
    const second = await mipjs(submit, dir).done;
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/4 runs queued; this grid added 0, 4 were already there/);

    const queue = new Queue<QueueJobData, QueueRunResult>('grid', {
      connection: parseRedisUrl(urlWithPassword).options,
      prefix: QUEUE_PREFIX,
    });
    try {
      expect(await queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toMatchObject({
        waiting: 4,
        active: 0,
        completed: 0,
        failed: 0,
      });
      const jobs = await queue.getJobs(['waiting']);
      // Each job's id is its config's hash.
      expect(jobs.map((j) => j.id).sort()).toEqual(jobs.map((j) => jobIdFor(j.data.config)).sort());
      expect(jobs.map((j) => j.data.run).sort()).toEqual([0, 1, 2, 3].map((s) => `checkerboard/flow_s${s}`));
    } finally {
      await queue.close();
    }
  });

  it(
    'shares the sweep between two worker processes, trains each run once, and collects what a local sweep gives',
    async () => {
      const config = join(dir, 'config-80.json');
      const store = join(dir, 'store');
      const worker = () =>
        mipjs(
          [
            'worker',
            '--queue',
            urlWithout,
            '--name',
            'grid',
            '--store',
            store,
            '--until-done',
            '--lock-seconds',
            '2',
          ],
          dir,
          workerEnv,
        );
      const [a, b] = await Promise.all([worker().done, worker().done]);
      expect(a.code, a.out).toBe(0);
      expect(b.code, b.out).toBe(0);
      const starts = (out: string) => [...out.matchAll(/: start (\S+)/g)].map((m) => m[1]);
      // Both took part, and every run was started once in all (no attempt was repeated).
      expect(starts(a.out).length).toBeGreaterThan(0);
      expect(starts(b.out).length).toBeGreaterThan(0);
      expect([...starts(a.out), ...starts(b.out)].sort()).toEqual(
        [0, 1, 2, 3].map((s) => `checkerboard/flow_s${s}`),
      );
      expect(`${a.out}${b.out}`).not.toMatch(/resumes from the checkpoint/);

      const status = await remoteSweepStatus(address('grid'));
      expect(status[0]).toBe('sweep grid: 4 runs: 4 finished, 0 running, 0 waiting, 0 failed');

      const collected = join(dir, 'collected');
      await remoteSweepCollect({ ...address('grid'), out: collected });
      expect(existsSync(join(collected, 'report.md'))).toBe(true);
      expect(existsSync(join(collected, 'plots', 'loss.png'))).toBe(true);

      const local = join(dir, 'local');
      const reference = await mipjs(
        ['sweep', ...grid(config, '0,1,2,3'), '--out', local, '--workers', '1'],
        dir,
      ).done;
      expect(reference.code, reference.out).toBe(0);
      const rows = readRows(collected);
      expect(rows).toHaveLength(8); // 4 runs x NFE 1, 2
      expect(withoutTime(rows)).toEqual(withoutTime(readRows(local)));
    },
    SLOW_TEST_MS,
  );

  it(
    'hands the run of a worker killed with SIGKILL to another worker, which resumes it from its checkpoint',
    async () => {
      const config = writeConfig(dir, 200);
      const store = join(dir, 'store');
      const submit = await mipjs(
        ['sweep', ...grid(config, '7'), '--queue', urlWithPassword, '--name', 'kill', '--no-follow'],
        dir,
      ).done;
      expect(submit.code, submit.out).toBe(0);
      const workerArgs = [
        'worker',
        '--queue',
        urlWithout,
        '--name',
        'kill',
        '--store',
        store,
        '--lock-seconds',
        '2',
      ];
      const first = mipjs(workerArgs, dir, workerEnv);
      const runDir = join(store, 'kill', 'checkerboard', 'flow_s7');
      await until('a first checkpoint', () => checkpointStep(runDir) >= 25);
      first.child.kill('SIGKILL');
      const killed = await first.done;
      expect(killed.signal).toBe('SIGKILL');
      // The killed worker's training process stops with it: the checkpoint no longer moves.
      await sleep(1000);
      const step = checkpointStep(runDir);
      await sleep(800);
      expect(checkpointStep(runDir)).toBe(step);
      expect(step).toBeGreaterThanOrEqual(25);
      expect(step).toBeLessThan(200);

      const second = await mipjs([...workerArgs, '--until-done'], dir, workerEnv).done;
      expect(second.code, second.out).toBe(0);
      expect(second.out).toMatch(/start checkerboard\/flow_s7 \(taken over, 1x\)/);
      expect(second.out).toContain(`checkerboard/flow_s7: resumes from the checkpoint at step ${step}`);

      const collected = join(dir, 'collected-kill');
      const { collected: result } = await remoteSweepCollect({ ...address('kill'), out: collected });
      expect(result.status.map((r) => [r.state, r.stalled])).toEqual([['completed', 1]]);
      const local = join(dir, 'local-kill');
      const reference = await mipjs(['sweep', ...grid(config, '7'), '--out', local], dir).done;
      expect(reference.code, reference.out).toBe(0);
      const rows = readRows(collected);
      expect(rows.map((r) => r.nfe)).toEqual([1, 2]); // recorded once
      expect(withoutTime(rows)).toEqual(withoutTime(readRows(local)));
    },
    SLOW_TEST_MS,
  );

  it('finishes a sweep whose Redis restarts in the middle (append-only file on)', async () => {
    const persistent = await startLocalRedis({ persistence: true });
    try {
      const config = writeConfig(dir, 120);
      const store = join(dir, 'store-restart');
      const out = join(dir, 'restarted');
      const sweep = mipjs(
        ['sweep', ...grid(config, '0,1'), '--queue', persistent.url, '--name', 'restart', '--out', out],
        dir,
      );
      const worker = mipjs(
        ['worker', '--queue', persistent.url, '--name', 'restart', '--store', store, '--until-done'],
        dir,
      );
      await until(
        'the first run to train',
        () => checkpointStep(join(store, 'restart', 'checkerboard', 'flow_s0')) >= 25,
      );
      await persistent.kill();
      await sleep(500);
      await persistent.restart();
      const [s, w] = await Promise.all([sweep.done, worker.done]);
      expect(w.code, w.out).toBe(0);
      expect(s.code, s.out).toBe(0);
      expect(readRows(out).map((r) => `${r.seed}/${r.nfe}`)).toEqual(['0/1', '0/2', '1/1', '1/2']);
    } finally {
      await persistent.stop();
    }
  });

  it('fails at once, in one line, on a bad URL or a Redis that is not there', async () => {
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      transcript.push(`${r.stdout}${r.stderr}`);
      return { code: r.status, err: r.stderr.trim() };
    };
    const bad = run(['worker', '--queue', 'http://127.0.0.1:1', '--store', join(dir, 'x')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(
      "mipjs: error: --queue 'http://127.0.0.1:1': unsupported scheme 'http:'; expected redis://[user:password@]host[:port][/db] or rediss://... (TLS)",
    );
    const noQueue = run(['sweep', 'status', '--name', 'grid']);
    expect([noQueue.code, noQueue.err]).toEqual([
      1,
      'mipjs: error: mipjs sweep status needs --queue <url> (and --name <name>)',
    ]);
    const closed = await startLocalRedis();
    const port = closed.port;
    await closed.stop();
    const gone = run([
      'sweep',
      'status',
      '--queue',
      `redis://:${SECRET}@127.0.0.1:${port}/0`,
      '--name',
      'grid',
    ]);
    expect(gone.code).toBe(1);
    expect(gone.err).toBe(
      `mipjs: error: cannot reach Redis at redis://:***@127.0.0.1:${port}/0: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const wrong = { ...address('grid'), queue: `redis://:nope@127.0.0.1:${redis.port}/0` };
    await expect(remoteSweepStatus(wrong)).rejects.toThrow(
      /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the credentials \(WRONGPASS[^\n]*\)$/,
    );
  });

  it('never writes or prints the password', () => {
    const files = allFiles(dir).filter((f) => !f.endsWith('.bin'));
    expect(files.some((f) => f.endsWith('config.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('results.json'))).toBe(true);
    for (const f of files) expect(readFileSync(f, 'utf8').includes(SECRET), f).toBe(false);
    expect(transcript.length).toBeGreaterThan(5);
    for (const out of transcript) {
      expect(out.includes(SECRET)).toBe(false);
      expect(out.includes(encodeURIComponent(SECRET))).toBe(false);
    }
    expect(transcript.join('\n')).toMatch(/redis:\/\/:\*\*\*@127\.0\.0\.1/);
  });
});
