import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Policy, RecedingHorizon } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConfigError } from '../config/config.js';
import { HAVE_PUSHT_DATA, trainTinyPushTRun } from '../test-utils/pusht-run.js';
import { ActBatcher } from './batcher.js';
import { runServeBenchmark, serveBenchTable } from './benchmark.js';
import { isSeedFree, loadCatalog, type ServedPolicy } from './catalog.js';
import { type PolicyServerOptions, type RunningPolicyServer, startPolicyServer } from './server.js';
import { closeOnSignal } from './shutdown.js';

/** A real `ws` client with an inbox: `next()` resolves with the next message, in order. */
interface TestSocket {
  socket: WebSocket;
  next(): Promise<{ data: Buffer; binary: boolean }>;
  nextJson(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Opens a WebSocket to `url` and waits for the connection (rejects with the HTTP status of a refused upgrade). */
function openSocket(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const inbox: { data: Buffer; binary: boolean }[] = [];
    const waiting: ((m: { data: Buffer; binary: boolean }) => void)[] = [];
    socket.on('message', (data: Buffer, binary: boolean) => {
      const m = { data, binary };
      const w = waiting.shift();
      if (w) w(m);
      else inbox.push(m);
    });
    socket.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    socket.once('error', reject);
    socket.once('open', () => {
      const next = () =>
        new Promise<{ data: Buffer; binary: boolean }>((r) => {
          const m = inbox.shift();
          if (m) r(m);
          else waiting.push(r);
        });
      resolve({
        socket,
        next,
        nextJson: async () => JSON.parse((await next()).data.toString('utf8')),
        close: () =>
          new Promise<void>((r) => {
            if (socket.readyState === socket.CLOSED) return r();
            socket.once('close', () => r());
            socket.close();
          }),
      });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mipjs-serve-'));
const run = it.skipIf(!HAVE_PUSHT_DATA);
if (!HAVE_PUSHT_DATA)
  console.warn('SKIPPING the mipjs serve tests: no PushT dataset (datasets/pusht) to train a run on');
let served: ServedPolicy;
let oracle: Policy;
const servers: RunningPolicyServer[] = [];

beforeAll(async () => {
  if (!HAVE_PUSHT_DATA) return;
  await trainTinyPushTRun(dir);
  [served] = (await loadCatalog([`tiny=${dir}`])) as [ServedPolicy];
  oracle = await loadPolicyFromRun(dir); // the in-process policy the answers must equal
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  served?.policy.dispose();
  oracle?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function start(extra: Partial<PolicyServerOptions> = {}): Promise<RunningPolicyServer> {
  const server = await startPolicyServer({ policies: [served], port: 0, ...extra });
  servers.push(server);
  return server;
}

/** A PushT-like observation [agent x, agent y, block x, block y, angle], deterministic in (robot, step). */
function observation(robot: number, step: number): number[] {
  const f = (k: number) => Math.fround(60 + ((robot * 97 + step * 13 + k * 41) % 390) + 0.25 * k);
  return [f(0), f(1), f(2), f(3), Math.fround(((robot + step) % 6) + 0.5)];
}
const history = (robot: number, step = 0) => [observation(robot, step), observation(robot, step + 1)];

/** The JSON of an act answer or an error. */
interface ActAnswer {
  policy?: string;
  shape?: number[];
  nfe?: number;
  seed?: number;
  actions?: number[][][];
  error?: { code: string; field: string; expected: string; message: string };
}

async function postJson(
  server: RunningPolicyServer,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as ActAnswer };
}

/** Counts the network's forward passes (the real network, wrapped). */
function countNetworkCalls(policy: Policy) {
  const net = policy.network as { apply: (...args: unknown[]) => unknown };
  const original = net.apply;
  let count = 0;
  net.apply = function counted(this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  return {
    get count() {
      return count;
    },
    restore: () => {
      net.apply = original;
    },
  };
}

const rowsOf = (chunk: { data: Float32Array; shape: number[] }) => {
  const [B, H, A] = chunk.shape as [number, number, number];
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: H }, (_, h) =>
      Array.from(chunk.data.subarray((b * H + h) * A, (b * H + h + 1) * A)),
    ),
  );
};

describe('mipjs serve over HTTP', () => {
  run('describes its policies and their shapes', async () => {
    const server = await start();
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', sessions: 0 });
    const { policies } = await (await fetch(`${server.url}/policies`)).json();
    const m = oracle.manifest;
    expect(policies).toHaveLength(1);
    expect(policies[0]).toMatchObject({
      name: 'tiny',
      algorithm: 'mip',
      task: 'pusht',
      nfe: m.defaultNfe,
      obsSteps: 2,
      horizon: m.horizon,
      actionSteps: m.actionSteps,
      observation: { shape: [2, 5] },
      action: { shape: [m.horizon, 2] },
      sampler: { name: m.sampler.name, start: 'zero' },
      executedRows: [1, 1 + m.actionSteps],
    });
    expect(await (await fetch(`${server.url}/policies/tiny`)).json()).toEqual(policies[0]);
  });

  run("answers JSON and binary act requests with the in-process policy's chunk", async () => {
    const server = await start();
    // One robot as [To][D], three as [B][To][D], and a seed / nfe passed through.
    const one = await postJson(server, '/policies/tiny/act', { observations: history(0) });
    expect(one.status).toBe(200);
    expect(one.json.shape).toEqual([1, oracle.horizon, 2]);
    expect(one.json.actions).toEqual(rowsOf(oracle.act([history(0).flat()])));
    const three = [history(1), history(2), history(3)];
    const many = await postJson(server, '/policies/tiny/act', { observations: three, seed: 7, nfe: 2 });
    expect(many.json).toMatchObject({ policy: 'tiny', shape: [3, oracle.horizon, 2], seed: 7 });
    expect(many.json.actions).toEqual(
      rowsOf(
        oracle.act(
          three.map((h) => h.flat()),
          { seed: 7, nfe: 2 },
        ),
      ),
    );

    const body = new Float32Array(history(4).flat());
    const res = await fetch(`${server.url}/policies/tiny/act?seed=3`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(body.buffer),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-mipjs-shape')).toBe(`1,${oracle.horizon},2`);
    expect(res.headers.get('x-mipjs-seed')).toBe('3');
    const got = new Float32Array(await res.arrayBuffer());
    expect(Array.from(got)).toEqual(Array.from(oracle.act(body, { seed: 3 }).data));
  });

  run('batches concurrent requests into one network call, exactly', async () => {
    const fixed = oracle.manifest.fixedNfe ?? oracle.defaultNfe;
    // The batch runs when its 8th row arrives (the 10 s wait is never reached): no timing involved.
    const server = await start({ batching: { maxWaitMs: 10_000, maxBatch: 8 } });
    const counter = countNetworkCalls(served.policy);
    let answers: Awaited<ReturnType<typeof postJson>>[];
    try {
      answers = await Promise.all(
        Array.from({ length: 8 }, (_, r) =>
          postJson(server, '/policies/tiny/act', { observations: history(r, r) }),
        ),
      );
    } finally {
      counter.restore();
    }
    expect(counter.count).toBe(fixed); // one 8-row call of the 2-NFE MIP sampler, not 8 x 2
    expect(server.stats().tiny).toEqual({ requests: 8, calls: 1, rows: 8, largestBatch: 8 });
    answers.forEach((a, r) => {
      expect(a.status).toBe(200);
      expect(a.json.actions).toEqual(rowsOf(oracle.act([history(r, r).flat()])));
    });

    const unbatched = await start({ batching: { enabled: false } });
    const counter2 = countNetworkCalls(served.policy);
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, r) =>
          postJson(unbatched, '/policies/tiny/act', { observations: history(r) }),
        ),
      );
    } finally {
      counter2.restore();
    }
    expect(counter2.count).toBe(8 * fixed);
    expect(unbatched.stats().tiny!.calls).toBe(8);
  });

  run('answers a request still waiting for its batch with a 503 after the request timeout', async () => {
    const server = await start({ requestTimeoutMs: 50, batching: { maxWaitMs: 5_000 } });
    const r = await postJson(server, '/policies/tiny/act', { observations: history(0) });
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ code: 'timeout', field: 'request' });
  });
});

describe('ActBatcher', () => {
  run('merges the requests of one event-loop turn into one call, rows equal to single calls', async () => {
    expect(isSeedFree(served.policy)).toBe(true); // mip from zero: the seed changes nothing
    const batcher = new ActBatcher(served.policy, true); // default: no timer, the end of the turn
    const requests = [0, 1, 2, 3, 4].map((r) => ({
      observations: new Float32Array(history(r).flat()),
      batch: 1,
      seed: r,
    }));
    const chunks = await Promise.all(requests.map((q) => batcher.submit(q)));
    expect(batcher.stats).toEqual({ requests: 5, calls: 1, rows: 5, largestBatch: 5 });
    chunks.forEach((c, r) => {
      expect(c.shape).toEqual([1, oracle.horizon, 2]);
      expect(c.seed).toBe(r);
      expect(Array.from(c.data)).toEqual(Array.from(oracle.act(requests[r]!.observations, { seed: r }).data));
    });
    // Different NFEs never share a call.
    await Promise.all([
      batcher.submit({ ...requests[0]!, nfe: 1 }),
      batcher.submit({ ...requests[1]!, nfe: 2 }),
    ]);
    expect(batcher.stats.calls).toBe(3);
  });

  run('keeps one call per request for a policy whose chunks depend on the seed', async () => {
    const batcher = new ActBatcher(served.policy, false);
    const obs = new Float32Array(history(7).flat());
    await Promise.all([3, 4, 5].map((seed) => batcher.submit({ observations: obs, batch: 1, seed })));
    expect(batcher.stats).toEqual({ requests: 3, calls: 3, rows: 3, largestBatch: 1 });
  });
});

describe('mipjs serve over WebSocket', () => {
  run('keeps the receding horizon of RecedingHorizon step for step (JSON and binary messages)', async () => {
    const server = await start();
    const ws = await openSocket(`${server.url.replace('http', 'ws')}/policies/tiny/session?seed=5`);
    const hello = await ws.nextJson();
    expect(hello).toMatchObject({
      type: 'hello',
      policy: { name: 'tiny' },
      session: { seed: 5, prefetch: 0 },
    });
    const Ta = oracle.actionSteps;
    const control = new RecedingHorizon(oracle, { seed: 5 });
    for (let t = 0; t < 2 * Ta + 3; t++) {
      const obs = observation(9, t);
      const want = Array.from(control.step(obs));
      if (t % 2 === 0) {
        ws.socket.send(JSON.stringify({ observation: obs }));
        const reply = await ws.nextJson();
        expect(reply).toEqual({
          type: 'action',
          step: t,
          chunk: Math.floor(t / Ta),
          waited: t % Ta === 0,
          action: want,
        });
      } else {
        ws.socket.send(new Float32Array(obs));
        const reply = await ws.next();
        expect(reply.binary).toBe(true);
        expect(Array.from(new Float32Array(new Uint8Array(reply.data).buffer))).toEqual(want);
      }
    }
    expect(control.chunksRequested).toBe(3);
    // A reset starts a new episode: the next step is chunk 0 again.
    ws.socket.send(JSON.stringify({ type: 'reset' }));
    expect(await ws.nextJson()).toEqual({ type: 'reset', step: 0 });
    control.reset();
    ws.socket.send(JSON.stringify({ observation: observation(3, 0) }));
    expect((await ws.nextJson()).action).toEqual(Array.from(control.step(observation(3, 0))));
    await ws.close();
  });

  run("prefetches the next chunk one step early, from that step's history", async () => {
    const server = await start();
    const ws = await openSocket(`${server.url.replace('http', 'ws')}/policies/tiny/session?prefetch=1`);
    expect((await ws.nextJson()).session).toMatchObject({ prefetch: 1 });
    const { actionSteps: Ta, horizon: H } = oracle;
    // The oracle by hand: chunk 0 at step 0 (rows 1..Ta); chunk k >= 1 drawn at step k·Ta − 1 with
    // seed k from that step's history, rows 2..Ta+1 executed at steps k·Ta ... k·Ta + Ta − 1.
    let hist: number[][] = [];
    let queue: number[][] = [];
    let chunks = 0;
    let prefetched: Float32Array | null = null;
    for (let t = 0; t < 3 * Ta; t++) {
      const obs = observation(4, t);
      hist = hist.length === 0 ? [obs, obs] : [hist[1]!, obs];
      if (queue.length === 0) {
        const data = prefetched ?? oracle.act([hist.flat()], { seed: chunks }).data;
        const from = prefetched ? 2 : 1;
        queue = Array.from({ length: Ta }, (_, i) =>
          Array.from(data.subarray((from + i) * 2, (from + i + 1) * 2)),
        );
        prefetched = null;
        chunks++;
      }
      const want = queue.shift()!;
      if (queue.length === 1) prefetched = oracle.act([hist.flat()], { seed: chunks }).data;
      ws.socket.send(JSON.stringify({ observation: obs }));
      const reply = await ws.nextJson();
      expect(reply.action, `step ${t}`).toEqual(want);
      expect(reply.chunk).toBe(Math.floor(t / Ta));
      expect(reply.waited).toBe(t === 0); // only the first chunk is waited for
    }
    expect(H).toBeGreaterThanOrEqual(Ta + 2);
    await ws.close();
  });

  run('refuses a bad session URL before the upgrade', async () => {
    const server = await start();
    const base = server.url.replace('http', 'ws');
    await expect(openSocket(`${base}/policies/nope/session`)).rejects.toThrow('HTTP 404');
    const plain = await fetch(`${server.url}/policies/tiny/session`);
    expect(plain.status).toBe(426);
    expect(((await plain.json()) as ActAnswer).error?.field).toBe('upgrade');
    await expect(openSocket(`${base}/policies/tiny/session?prefetch=99`)).rejects.toThrow('HTTP 400');
    await expect(openSocket(`${base}/policies/tiny/session?speed=2`)).rejects.toThrow('HTTP 400');
  });
});

describe('bad requests', () => {
  /** [what is sent, expected status, expected error field]; cycled to a few hundred requests. */
  function badRequests(): { send: () => Promise<Response>; status: number; field: string }[] {
    const url = (path: string) => `${server.url}${path}`;
    const json =
      (body: string, path = '/policies/tiny/act', type = 'application/json') =>
      () =>
        fetch(url(path), { method: 'POST', headers: { 'content-type': type }, body });
    const binary =
      (values: number[] | Uint8Array<ArrayBuffer>, query = '') =>
      () =>
        fetch(url(`/policies/tiny/act${query}`), {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: values instanceof Uint8Array ? values : new Uint8Array(new Float32Array(values).buffer),
        });
    const good = history(0);
    return [
      {
        send: json(JSON.stringify({ observations: [[1, 2, 3], good[1]] })),
        status: 400,
        field: 'observations[0]',
      },
      {
        send: json(JSON.stringify({ observations: [good[0], [1, 2, 3, null, 5]] })),
        status: 400,
        field: 'observations[1][3]',
      },
      {
        send: json(JSON.stringify({ observations: [good[0], [1, 2, 'x', 4, 5]] })),
        status: 400,
        field: 'observations[1][2]',
      },
      { send: json(JSON.stringify({ nfe: 2 })), status: 400, field: 'observations' },
      { send: json(JSON.stringify({ observations: [] })), status: 400, field: 'observations' },
      {
        send: json(JSON.stringify({ observations: [good[0], good[1], good[1]] })),
        status: 400,
        field: 'observations',
      },
      { send: json(JSON.stringify({ observations: [[good[0]]] })), status: 400, field: 'observations[0]' },
      { send: json(JSON.stringify({ observations: [1, 2, 3] })), status: 400, field: 'observations' },
      { send: json(JSON.stringify({ observations: good, nfe: 0 })), status: 400, field: 'nfe' },
      { send: json(JSON.stringify({ observations: good, nfe: 1e9 })), status: 400, field: 'nfe' },
      { send: json(JSON.stringify({ observations: good, seed: -1 })), status: 400, field: 'seed' },
      { send: json(JSON.stringify({ observations: good, seed: 'abc' })), status: 400, field: 'seed' },
      { send: json('{"observations": [[NaN, 1, 2, 3, 4]]}'), status: 400, field: 'body' },
      { send: json('{"observations": '), status: 400, field: 'body' },
      { send: json('[1, 2]'), status: 400, field: 'body' },
      { send: json('"text"'), status: 400, field: 'body' },
      {
        send: json(JSON.stringify({ observations: good }), '/policies/nope/act'),
        status: 404,
        field: 'name',
      },
      {
        send: json(JSON.stringify({ observations: good }), '/policies/tiny/act', 'text/plain'),
        status: 415,
        field: 'content-type',
      },
      { send: json(JSON.stringify({ observations: Array(9000).fill(1) })), status: 413, field: 'body' },
      {
        send: json(JSON.stringify({ observations: Array(70).fill(good) })),
        status: 400,
        field: 'observations',
      },
      { send: binary([1, 2, 3]), status: 400, field: 'body' },
      { send: binary([...good.flat().slice(0, 9), Number.NaN]), status: 400, field: 'body[9]' },
      { send: binary([...good.flat().slice(0, 9), Number.POSITIVE_INFINITY]), status: 400, field: 'body[9]' },
      { send: binary(new Uint8Array(41)), status: 400, field: 'body' },
      { send: binary(new Uint8Array(0)), status: 400, field: 'body' },
      { send: binary(good.flat(), '?nfe=zero'), status: 400, field: 'query.nfe' },
      { send: () => fetch(url('/nowhere')), status: 404, field: 'url' },
    ];
  }
  let server: RunningPolicyServer;

  run(
    'get a 4xx naming the field, and disturb neither the server nor an open session',
    async () => {
      server = await start({ bodyLimit: 16 * 1024, maxRequestBatch: 64 });
      // A session is open while the bad requests arrive; its steps must stay exact.
      const ws = await openSocket(`${server.url.replace('http', 'ws')}/policies/tiny/session`);
      await ws.nextJson();
      const control = new RecedingHorizon(oracle);
      const cases = badRequests();
      let sent = 0;
      for (let round = 0; sent < 300; round++) {
        await Promise.all(
          cases.map(async (c, i) => {
            const res = await c.send();
            const body = (await res.json()) as { error: Record<string, string> };
            expect([res.status, body.error.field], `case ${i}`).toEqual([c.status, c.field]);
            expect(body.error.message.length, `case ${i}`).toBeGreaterThan(10);
            expect(body.error.message).not.toMatch(/\n|at .*\.js/); // one line, no stack trace
          }),
        );
        sent += cases.length;
        // Bad WebSocket messages on the same session, then a good step.
        for (const [message, field] of [
          ['{"observation": [1, 2]}', 'observation'],
          ['{"observation": [1, 2, 3, 4, null]}', 'observation[4]'],
          ['not json', 'message'],
          ['{"type": "jump"}', 'type'],
          [new Uint8Array(7), 'observation'],
        ] as const) {
          ws.socket.send(message);
          const reply = await ws.nextJson();
          expect(reply.type).toBe('error');
          expect((reply.error as { field: string }).field).toBe(field);
        }
        const obs = observation(2, round);
        ws.socket.send(JSON.stringify({ observation: obs }));
        expect((await ws.nextJson()).action).toEqual(Array.from(control.step(obs)));
      }
      expect(sent).toBeGreaterThanOrEqual(300);
      const ok = await postJson(server, '/policies/tiny/act', { observations: history(5), seed: 11 });
      expect(ok.status).toBe(200);
      expect(ok.json.actions).toEqual(rowsOf(oracle.act([history(5).flat()], { seed: 11 })));
      expect((await (await fetch(`${server.url}/health`)).json()).status).toBe('ok');
      await ws.close();
    },
    60_000,
  );
});

describe('the simulated robot (--sim)', () => {
  run('steps PushT episodes over HTTP and names the bad field', async () => {
    const server = await start({ sim: true });
    const opened = await postJson(server, '/sim/pusht/episodes', { seed: 100000 });
    const ep = opened.json as unknown as { id: string; observation: number[]; step: number };
    expect(ep.observation).toHaveLength(5);
    const stepped = (await postJson(server, `/sim/pusht/episodes/${ep.id}/step`, { action: [256, 256] }))
      .json as unknown as {
      step: number;
      observation: number[];
    };
    expect(stepped.step).toBe(1);
    expect(stepped.observation).toHaveLength(5);
    for (const [path, body, status, field] of [
      ['/sim/pusht/episodes', { seed: -3 }, 400, 'seed'],
      ['/sim/pusht/episodes', { observation: 'pixels' }, 400, 'observation'],
      [`/sim/pusht/episodes/${ep.id}/step`, { action: [1, Number.NaN] }, 400, 'action'],
      [`/sim/pusht/episodes/${ep.id}/step`, { action: [1] }, 400, 'action'],
      ['/sim/pusht/episodes/ep999/step', { action: [1, 2] }, 404, 'id'],
    ] as const) {
      const r = await postJson(server, path, body);
      expect([r.status, r.json.error?.field]).toEqual([status, field]);
    }
    const plain = await start();
    expect((await postJson(plain, '/sim/pusht/episodes', {})).status).toBe(404); // only with sim
  });
});

describe('security and shutdown', () => {
  run('demands the bearer token on every route when one is set, and never logs it', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const token = 'serve-test-token-0123456789abcdef';
    const server = await start({ token, log: { stream } });
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${server.url}/health`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/policies`, {
      headers: { authorization: 'Bearer serve-test-token-0123456789abcdeX' },
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { field: string } }).error.field).toBe('authorization');
    expect((await fetch(`${server.url}/policies`, { headers: auth })).status).toBe(200);
    const act = await postJson(server, '/policies/tiny/act', { observations: history(0) }, auth);
    expect(act.status).toBe(200);
    const base = server.url.replace('http', 'ws');
    await expect(openSocket(`${base}/policies/tiny/session`)).rejects.toThrow('HTTP 401');
    const ws = await openSocket(`${base}/policies/tiny/session`, auth);
    expect((await ws.nextJson()).type).toBe('hello');
    await ws.close();
    const log = lines.join('');
    expect(log).not.toContain(token);
    // Structured: JSON lines with the request and its status.
    const records = lines
      .flatMap((l) => l.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(records.some((r) => r.res?.statusCode === 401 && typeof r.responseTime === 'number')).toBe(true);
    expect(records.some((r) => r.req?.url === '/policies/tiny/act')).toBe(true);
    await server.close(); // a refused upgrade must not leave its socket open (close would hang)
  });

  run('refuses requests from web pages (an Origin header) unless their origin is allowed', async () => {
    const server = await start({ allowOrigins: ['http://localhost:5173'] });
    const from = (origin: string) => fetch(`${server.url}/policies`, { headers: { origin } });
    const refused = await from('http://evil.example');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ActAnswer).error?.field).toBe('origin');
    expect((await from('http://localhost:5173')).status).toBe(200);
    expect((await fetch(`${server.url}/policies`)).status).toBe(200); // robots send no Origin
    const base = server.url.replace('http', 'ws');
    await expect(
      openSocket(`${base}/policies/tiny/session`, { origin: 'http://evil.example' }),
    ).rejects.toThrow('HTTP 403');
    await server.close(); // the refused upgrade's socket is closed too
  });

  run('refuses to bind a non-loopback address without a token or --insecure', async () => {
    await expect(startPolicyServer({ policies: [served], host: '0.0.0.0', port: 0 })).rejects.toThrow(
      ConfigError,
    );
    await expect(startPolicyServer({ policies: [served], host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /--token/,
    );
    await expect(startPolicyServer({ policies: [served], port: 0, token: 'short' })).rejects.toThrow(
      /at least 16/,
    );
  });

  run('finishes in-flight requests and closes sessions on SIGTERM', async () => {
    const server = await start({ batching: { maxWaitMs: 60_000 } });
    const ws = await openSocket(`${server.url.replace('http', 'ws')}/policies/tiny/session`);
    await ws.nextJson();
    const closedWith = new Promise<number>((resolve) => ws.socket.once('close', (code) => resolve(code)));
    const inflight = postJson(server, '/policies/tiny/act', { observations: history(6) });
    while (server.stats().tiny!.requests === 0) await new Promise((r) => setTimeout(r, 5));
    const stopped = closeOnSignal(server, ['SIGTERM']);
    process.kill(process.pid, 'SIGTERM'); // a real signal; the handler above keeps the worker alive
    expect(await stopped).toBe('SIGTERM');
    const answer = await inflight;
    expect(answer.status).toBe(200);
    expect(answer.json.actions).toEqual(rowsOf(oracle.act([history(6).flat()])));
    expect(await closedWith).toBe(1001);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

describe('the serve benchmark', () => {
  run(
    'measures every transport and robot count against the real server',
    async () => {
      const rows = await runServeBenchmark({
        policy: served,
        clients: [1, 4],
        seconds: 0.25,
        inProcess: true,
      });
      expect(rows.map((r) => `${r.transport} ${r.clients} ${r.batching}`)).toEqual([
        'json 1 true',
        'binary 1 true',
        'ws 1 true',
        'binary 1 false',
        'binary 4 true',
        'binary 4 false',
      ]);
      for (const r of rows) {
        expect(r.errors).toBe(0);
        expect(r.requests).toBeGreaterThan(0);
        expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
      }
      expect(rows.find((r) => !r.batching)!.meanBatch).toBe(1);
      const table = serveBenchTable(rows);
      expect(table).toContain('| transport | robots | batching |');
      expect(table).toContain('batching at 4 robots:');
    },
    60_000,
  );
});
