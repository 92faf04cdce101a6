import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BatcherStats } from './batcher.js';
import type { ServedPolicy } from './catalog.js';
import { type LoadOptions, type LoadResult, type LoadTransport, runLoad } from './load.js';
import { startPolicyServer } from './server.js';

const LOAD_WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));

/** One measurement of the serve benchmark. */
export interface ServeBenchRow extends LoadResult {
  batching: boolean;
  /** Rows per policy call (1 without batching; ws counts chunks, not steps). */
  meanBatch: number;
  /** Policy calls per second. */
  callsPerSecond: number;
}

/** Options of {@link runServeBenchmark}. */
export interface ServeBenchOptions {
  /** The policy to load (its first entry is measured). */
  policy: ServedPolicy;
  /** Concurrent robots of the scaling rows (binary transport, with and without batching). Default 1, 8, 32. */
  clients?: number[];
  /** Seconds per measurement. Default 3. */
  seconds?: number;
  /** Batching wait of the batched rows, ms. Default 0 (the end of the event-loop turn). */
  maxWaitMs?: number;
  /** Run the clients in this process (tests) instead of a forked client process. */
  inProcess?: boolean;
  log?: (line: string) => void;
}

async function measure(options: LoadOptions, inProcess: boolean): Promise<LoadResult> {
  if (inProcess) return runLoad(options);
  return new Promise((resolve, reject) => {
    const child = fork(LOAD_WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answered = false;
    child.once('message', (m: { ok: boolean; result?: LoadResult; error?: string }) => {
      answered = true;
      if (m.ok) resolve(m.result!);
      else reject(new Error(`serve benchmark client: ${m.error}`));
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!answered) reject(new Error(`serve benchmark client exited with code ${code} before answering`));
    });
    child.send(options);
  });
}

/**
 * The serve load benchmark: a server on a free loopback port, robots in a separate client
 * process. Rows: batch-1 latency over HTTP JSON, HTTP binary and a WebSocket session (1 robot),
 * then `clients` concurrent binary robots with batching and without. Each row runs for a bounded
 * time and reports answers per second and p50 / p99 latency.
 *
 * ```ts
 * const [policy] = await loadCatalog(['mip=apps/playground/public/policies/mip']);
 * const rows = await runServeBenchmark({ policy, seconds: 3 });
 * console.log(serveBenchTable(rows));
 * ```
 */
export async function runServeBenchmark(o: ServeBenchOptions): Promise<ServeBenchRow[]> {
  const seconds = o.seconds ?? 3;
  const clients = o.clients ?? [1, 8, 32];
  const log = o.log ?? (() => {});
  const plan: { transport: LoadTransport; clients: number; batching: boolean }[] = [
    { transport: 'json', clients: 1, batching: true },
    { transport: 'binary', clients: 1, batching: true },
    { transport: 'ws', clients: 1, batching: true },
    ...clients.flatMap((n) => [
      // The batched one-robot binary row is the batch-1 row above: measured once.
      ...(n === 1 ? [] : [{ transport: 'binary' as const, clients: n, batching: true }]),
      { transport: 'binary' as const, clients: n, batching: false },
    ]),
  ];
  const rows: ServeBenchRow[] = [];
  for (const batching of [true, false]) {
    const items = plan.filter((p) => p.batching === batching);
    if (items.length === 0) continue;
    const server = await startPolicyServer({
      policies: [o.policy],
      port: 0,
      batching: { enabled: batching, maxWaitMs: o.maxWaitMs ?? 0, maxBatch: 64 },
    });
    try {
      for (const item of items) {
        const before = server.stats()[o.policy.name]!;
        const result = await measure(
          {
            url: server.url,
            policy: o.policy.name,
            transport: item.transport,
            clients: item.clients,
            durationMs: seconds * 1000,
            obsSteps: o.policy.policy.obsSteps,
            obsDim: o.policy.policy.obsDim,
            sessionQuery: 'prefetch=1',
          },
          o.inProcess ?? false,
        );
        const after = server.stats()[o.policy.name]!;
        const row = withCalls(result, batching, before, after);
        log(
          `serve ${item.transport} x${item.clients} ${batching ? 'batched' : 'unbatched'}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms`,
        );
        rows.push(row);
      }
    } finally {
      await server.close();
    }
  }
  // Plan order: batch-1 rows, then each client count batched / unbatched.
  return plan.map(
    (p) =>
      rows.find((r) => r.transport === p.transport && r.clients === p.clients && r.batching === p.batching)!,
  );
}

function withCalls(
  r: LoadResult,
  batching: boolean,
  before: BatcherStats,
  after: BatcherStats,
): ServeBenchRow {
  const calls = after.calls - before.calls;
  const rowsDrawn = after.rows - before.rows;
  return { ...r, batching, meanBatch: calls > 0 ? rowsDrawn / calls : 0, callsPerSecond: calls / r.seconds };
}

/** A Markdown table of the benchmark rows, with the batching speed-up at the largest client count. */
export function serveBenchTable(rows: readonly ServeBenchRow[]): string {
  const lines = [
    '| transport | robots | batching | answers/s | p50 ms | p99 ms | rows per call | errors |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.transport} | ${r.clients} | ${r.batching ? 'on' : 'off'} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.meanBatch.toFixed(1)} | ${r.errors} |`,
    ),
  ];
  const most = Math.max(...rows.map((r) => r.clients));
  const on = rows.find((r) => r.clients === most && r.transport === 'binary' && r.batching);
  const off = rows.find((r) => r.clients === most && r.transport === 'binary' && !r.batching);
  if (on && off && off.rps > 0 && most > 1) {
    lines.push('', `batching at ${most} robots: ${(on.rps / off.rps).toFixed(2)}x the throughput`);
  }
  return lines.join('\n');
}
