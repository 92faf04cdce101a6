// The queue side of `mipjs sweep --queue`: submit a grid, follow it, and `sweep status|collect`.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackendName } from '../../backend/backend.js';
import { ConfigError } from '../../config/config.js';
import type { ResultRow } from '../../evaluate/results.js';
import { preflight } from '../jobs.js';
import { type SweepGridSpec, sweepGrid } from '../sweep.js';
import { type CollectResult, collectSweep } from './collect.js';
import { followSweep } from './follow.js';
import {
  checkSweepName,
  type EnqueueSummary,
  enqueueRuns,
  openQueue,
  openRedis,
  type QueueJobData,
  type QueueRunResult,
  readManifest,
  type SweepManifest,
  statusLines,
  sweepStatus,
} from './queue.js';
import { checkRedis, hideCredentials, parseRedisUrl, type RedisTarget } from './redis-url.js';

/** Where a queue sweep is: the Redis URL (`--queue`) and the sweep's name (`--name`). */
export interface QueueAddress {
  queue: string;
  name: string;
  log: (line: string) => void;
  print: (text: string) => void;
}

/** Options of {@link remoteSweep}. */
export interface RemoteSweepOptions extends SweepGridSpec, QueueAddress {
  backend: BackendName;
  /** The results folder written once the sweep has finished (see {@link collectSweep}). */
  out: string;
  json?: string;
  /** Wait for the workers and collect (default true); false: enqueue and return. */
  follow?: boolean;
  quiet?: boolean;
  /** Seconds between two looks at the queue while following (default 1). */
  followEvery?: number;
  signal?: AbortSignal;
}

interface Connection {
  target: RedisTarget;
  queue: Queue<QueueJobData, QueueRunResult>;
  client: Redis;
  /** Reports a Redis error line once per distinct text, credentials hidden. */
  onError(line: string): void;
  close(): Promise<void>;
}

async function connect(o: QueueAddress): Promise<Connection> {
  checkSweepName(o.name);
  const target = parseRedisUrl(o.queue);
  await checkRedis(target);
  const seen = new Set<string>();
  const onError = (line: string) => {
    if (seen.has(line)) return; // one line per distinct error (a restart repeats them each retry)
    seen.add(line);
    o.log(line);
  };
  const queue = openQueue(target, o.name, onError);
  const client = openRedis(target, onError);
  return {
    target,
    queue,
    client,
    onError: (line) => onError(hideCredentials(target, line)),
    async close() {
      await queue.close().catch(() => {});
      client.disconnect();
    },
  };
}

async function manifestOf(c: Connection, name: string): Promise<SweepManifest> {
  const manifest = await readManifest(c.client, name);
  if (!manifest)
    throw new ConfigError(
      `no sweep named '${name}' on ${c.target.display}; enqueue one with mipjs sweep --queue URL --name ${name}`,
    );
  return manifest;
}

/** The grid line of a sweep (also the local sweep's report line). */
function gridLine(o: SweepGridSpec, runs: number): string {
  return (
    `${runs} runs: algorithms ${o.algorithms.join(',')} x tasks ${o.tasks.join(',')} x seeds ${o.seeds.join(',')}` +
    (o.sets.length ? ` x ${o.sets.map((s) => `${s.key}=${s.values.join('|')}`).join(' x ')}` : '')
  );
}

/**
 * `mipjs sweep ... --queue URL --name NAME`: checks the grid as a local sweep does (algorithms,
 * tasks, data; the backend is each worker's to check), enqueues every run as a job whose id is
 * its config's hash (so submitting the same grid again adds nothing, and retries the failed
 * runs), then, unless `follow` is false, follows the workers with a progress bar and collects the
 * results into `out` ({@link collectSweep}). The URL is printed only with its password hidden.
 * Throws after collecting when a run failed, as the local sweep does.
 *
 * ```ts
 * await remoteSweep({
 *   queue: 'redis://10.0.0.5:6379/0', name: 'lr-study', algorithms: ['flow', 'mip'], tasks: ['checkerboard'],
 *   seeds: [0, 1], sets: [], file: {}, flags: {}, backend: 'auto', out: 'runs/lr-study',
 *   log: console.error, print: console.log,
 * });
 * ```
 */
export async function remoteSweep(
  o: RemoteSweepOptions,
): Promise<{ summary: EnqueueSummary; collected: CollectResult | null }> {
  const runs = sweepGrid(o);
  checkSweepName(o.name);
  // The submitting machine need not have the workers' backend: check the rest on cpu.
  await preflight(
    runs.map((r) => r.config),
    'cpu',
    () => {},
  );
  const c = await connect(o);
  try {
    const summary = await enqueueRuns(c.queue, c.client, o.name, gridLine(o, runs.length), runs, o.backend);
    o.log(
      `sweep ${o.name} on ${c.target.display}: ${summary.manifest.runs.length} runs queued; this grid added ${summary.added}, ` +
        `${summary.existing} were already there${summary.retried ? ` (${summary.retried} failed ones put back)` : ''}`,
    );
    if (o.follow === false) {
      o.print(
        `enqueued; start workers with: mipjs worker --queue ${c.target.display} --name ${o.name} --store DIR; ` +
          `then: mipjs sweep collect --queue ${c.target.display} --name ${o.name} --out ${o.out}`,
      );
      return { summary, collected: null };
    }
    o.log(`waiting for workers (mipjs worker --queue ${c.target.display} --name ${o.name})`);
    await followSweep(c.queue, summary.manifest, {
      quiet: o.quiet,
      every: o.followEvery,
      signal: o.signal,
      onError: c.onError,
    });
    const collected = await collectSweep(c.queue, await manifestOf(c, o.name), {
      out: o.out,
      json: o.json,
      print: o.print,
    });
    failIfFailed(collected);
    return { summary, collected };
  } finally {
    await c.close();
  }
}

function failIfFailed(collected: CollectResult): void {
  if (collected.failed.length === 0) return;
  throw new Error(
    `${collected.failed.length} run(s) failed (submit the same sweep again to retry them):\n  ` +
      collected.failed.map((f) => `${f.run}: ${f.message}`).join('\n  '),
  );
}

/**
 * `mipjs sweep status --queue URL --name NAME`: prints how many runs are finished, running (with
 * their step and worker), waiting and failed (with the reason). Returns the lines.
 */
export async function remoteSweepStatus(o: QueueAddress): Promise<string[]> {
  const c = await connect(o);
  try {
    const lines = statusLines(o.name, await sweepStatus(c.queue, await manifestOf(c, o.name)));
    for (const line of lines) o.print(line);
    return lines;
  } finally {
    await c.close();
  }
}

/**
 * `mipjs sweep collect --queue URL --name NAME --out DIR`: writes the finished runs' results and
 * the report ({@link collectSweep}) without waiting for the rest; throws when a run failed.
 */
export async function remoteSweepCollect(
  o: QueueAddress & { out: string; json?: string },
): Promise<{ rows: ResultRow[]; collected: CollectResult }> {
  const c = await connect(o);
  try {
    const collected = await collectSweep(c.queue, await manifestOf(c, o.name), {
      out: o.out,
      json: o.json,
      print: o.print,
    });
    failIfFailed(collected);
    return { rows: collected.rows, collected };
  } finally {
    await c.close();
  }
}
