import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';

/** How a load client talks to the server. */
export const LOAD_TRANSPORTS = ['json', 'binary', 'ws'] as const;
export type LoadTransport = (typeof LOAD_TRANSPORTS)[number];

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Server base URL (`http://127.0.0.1:8731`); loopback only for a benchmark. */
  url: string;
  policy: string;
  transport: LoadTransport;
  /** Concurrent robots, each in a closed loop (send, wait for the answer, send again). */
  clients: number;
  /** How long the loop runs (after a short untimed warm-up per client). */
  durationMs: number;
  /** Observation history size To·D (json / binary) and observation width D (ws). */
  obsSteps: number;
  obsDim: number;
  token?: string;
  /** Upper bound on requests per client (the loop also stops at `durationMs`). Default 100 000. */
  maxRequestsPerClient?: number;
  /** WebSocket session query (e.g. `prefetch=1`). */
  sessionQuery?: string;
}

/** What a load run measured. */
export interface LoadResult {
  transport: LoadTransport;
  clients: number;
  requests: number;
  errors: number;
  seconds: number;
  /** Answered requests (ws: steps) per second, all clients together. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** The q-quantile (0…1) of sorted samples, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A plausible PushT-like observation for client `c`, step `t` (pixels and radians; deterministic). */
function observationValue(c: number, t: number, i: number): number {
  return 100 + ((c * 131 + t * 17 + i * 37) % 300) + (i % 5 === 4 ? -99.5 : 0);
}

const LOOPBACK_URL = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/**
 * Drives `clients` concurrent closed-loop robots against a policy server for a bounded time and
 * returns throughput and latency. A benchmark sends traffic to loopback addresses only; any
 * other URL is refused. `json` and `binary` post whole observation histories to
 * `/policies/:name/act` (one chunk per request); `ws` streams one observation per step over a
 * session (most steps are answered from the session's queue, one in Ta draws a chunk).
 *
 * ```ts
 * const r = await runLoad({ url: server.url, policy: 'mip', transport: 'binary', clients: 8, durationMs: 2000, obsSteps: 2, obsDim: 5 });
 * r.p99Ms;
 * ```
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (!LOOPBACK_URL.test(o.url))
    throw new Error(`runLoad: ${o.url} is not a loopback URL; the benchmark talks to this machine only`);
  const latencies: number[] = [];
  let errors = 0;
  const maxPerClient = o.maxRequestsPerClient ?? 100_000;
  const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  // Connect and warm up every client first (connection, JIT, first chunk), then time them together.
  const senders = await Promise.all(
    Array.from({ length: o.clients }, async (_, c) => {
      const send = await connect(o, c, headers);
      for (let w = 0; w < 3; w++) await send(w);
      return send;
    }),
  );
  const start = performance.now();
  const deadline = start + o.durationMs;
  const client = async (send: Sender) => {
    for (let t = 0; t < maxPerClient && performance.now() < deadline; t++) {
      const t0 = performance.now();
      try {
        await send(t + 3);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  try {
    await Promise.all(senders.map(client));
  } finally {
    for (const s of senders) s.close();
  }
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    transport: o.transport,
    clients: o.clients,
    requests: sorted.length,
    errors,
    seconds,
    rps: sorted.length / seconds,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    meanMs: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

type Sender = ((t: number) => Promise<void>) & { close(): void };

async function connect(o: LoadOptions, c: number, headers: Record<string, string>): Promise<Sender> {
  const { obsSteps: To, obsDim: D } = o;
  const actUrl = `${o.url}/policies/${o.policy}/act`;
  if (o.transport === 'json' || o.transport === 'binary') {
    // node:http with one keep-alive socket per robot: a lighter client than fetch, so that the
    // client process is not what limits the measured throughput.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(actUrl);
    const send = (t: number) => {
      let body: Buffer;
      let type: string;
      if (o.transport === 'json') {
        const observations = Array.from({ length: To }, (_, s) =>
          Array.from({ length: D }, (_, i) => observationValue(c, t + s, i)),
        );
        body = Buffer.from(JSON.stringify({ observations }));
        type = 'application/json';
      } else {
        const values = new Float32Array(To * D);
        for (let s = 0; s < To; s++)
          for (let i = 0; i < D; i++) values[s * D + i] = observationValue(c, t + s, i);
        body = Buffer.from(values.buffer);
        type = 'application/octet-stream';
      }
      return new Promise<void>((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'POST',
            agent,
            headers: { ...headers, 'content-type': type, 'content-length': body.length },
          },
          (res) => {
            res.on('data', () => {});
            res.on('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    };
    return Object.assign(send, { close: () => agent.destroy() });
  }
  const wsUrl = `${o.url.replace(/^http/, 'ws')}/policies/${o.policy}/session${o.sessionQuery ? `?${o.sessionQuery}` : ''}`;
  const socket = new WebSocket(wsUrl, { headers });
  const inbox: ((data: Buffer, binary: boolean) => void)[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // The first message is the session's hello.
    socket.once('message', () => resolve());
  });
  socket.on('message', (data: Buffer, binary: boolean) => inbox.shift()?.(data, binary));
  const send = (t: number) =>
    new Promise<void>((resolve, reject) => {
      inbox.push((data, binary) => (binary ? resolve() : reject(new Error(data.toString('utf8')))));
      const obs = new Float32Array(D);
      for (let i = 0; i < D; i++) obs[i] = observationValue(c, t, i);
      socket.send(obs);
    });
  return Object.assign(send, { close: () => socket.close() });
}
