// serve/ owns `mipjs serve`: trained policies over HTTP and WebSocket for robots, with request batching, auth, and its load benchmark.
import type { Writable } from 'node:stream';
import fastifyWebsocket from '@fastify/websocket';
import { PolicyError } from '@mipjs/policy';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { bearerMatches, checkBindingSecurity } from './auth.js';
import { ActBatcher, type BatcherOptions, type BatcherStats } from './batcher.js';
import { describePolicy, isSeedFree, type PolicyDescription, type ServedPolicy } from './catalog.js';
import {
  chunkJson,
  float32Bytes,
  parseActParams,
  parseBinaryAct,
  parseJsonAct,
  parseObservation,
  RequestError,
  type RequestShape,
  readFloat32,
} from './request.js';
import { RobotSession } from './session.js';
import { PushTSimulator } from './sim.js';

/** The port `mipjs serve` listens on unless told otherwise. */
export const DEFAULT_SERVE_PORT = 8731;
/** The address it binds unless told otherwise: loopback only. */
export const DEFAULT_SERVE_HOST = '127.0.0.1';

/** Options of {@link startPolicyServer}. */
export interface PolicyServerOptions {
  policies: ServedPolicy[];
  /** Default 127.0.0.1; another address needs `token` or `insecure`. */
  host?: string;
  /** Default 8731; 0 picks a free port (tests). */
  port?: number;
  /** Bearer token every request must carry (`Authorization: Bearer <token>`). */
  token?: string;
  /** Allow a non-loopback `host` without a token. */
  insecure?: boolean;
  /**
   * Web origins (`http://localhost:5173`) whose pages may call the server. A request that carries an
   * `Origin` header (browsers send one, robots' HTTP and WebSocket clients do not) from any other
   * origin is refused with a 403: a web page the operator happens to open must not drive a robot's
   * policy through the loopback address (WebSockets have no CORS). Default: none.
   */
  allowOrigins?: string[];
  /** Request batching (default on, no timer: the end of the event-loop turn; 64 rows). */
  batching?: BatcherOptions;
  /** A request not answered within this time gets a 503 (default 10 000 ms); also the time to receive a body. */
  requestTimeoutMs?: number;
  /** Largest request body or WebSocket message, in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Largest NFE a request may ask for (default 64). */
  maxNfe?: number;
  /** Largest batch of histories one HTTP request may carry (default 256). */
  maxRequestBatch?: number;
  /** Structured request logs (JSON lines): where and from which level; false: none. Default false. */
  log?: false | { stream: Writable; level?: 'info' | 'warn' | 'error' | 'debug' };
  /** Also serve simulated PushT episodes under /sim/pusht (demos, the Python example's test). */
  sim?: boolean;
}

/** A started server. */
export interface RunningPolicyServer {
  /** `http://host:port` (loopback: what a client on this machine dials). */
  url: string;
  port: number;
  host: string;
  app: FastifyInstance;
  /** Each policy's batcher counters. */
  stats(): Record<string, BatcherStats>;
  /** Open WebSocket sessions. */
  sessions(): number;
  /**
   * Stops accepting connections, lets in-flight requests and WebSocket steps finish, closes the
   * sessions (code 1001), and resolves when all is closed. The policies stay loaded (the caller owns them).
   */
  close(): Promise<void>;
}

interface Served extends ServedPolicy {
  batcher: ActBatcher;
  shape: RequestShape;
  description: PolicyDescription;
}

interface OpenSession {
  socket: WebSocket;
  session: RobotSession;
}

/** Pending steps one WebSocket may have queued before further observations are refused. */
const MAX_PENDING_STEPS = 64;

/** Maps anything thrown in a handler to a status and a JSON error that names the field. */
function toRequestError(error: unknown, bodyLimit: number): RequestError {
  if (error instanceof RequestError) return error;
  if (error instanceof PolicyError)
    return new RequestError(400, error.code, 'observations', 'see message', error.message);
  const e = error as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RequestError(
        413,
        'body-too-large',
        'body',
        `at most ${bodyLimit} bytes`,
        `body: larger than the limit of ${bodyLimit} bytes`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RequestError(
        415,
        'content-type',
        'content-type',
        'application/json or application/octet-stream',
        'content-type: expected application/json or application/octet-stream (raw float32)',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RequestError(
        400,
        'bad-request',
        'body',
        'a JSON object { observations, nfe?, seed? }',
        'body: empty; expected a JSON object { observations, nfe?, seed? }',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RequestError(
        400,
        'bad-request',
        'content-length',
        'the body length',
        'content-length: does not match the body',
      );
  }
  if (e.statusCode === 400 && e.message) {
    // Fastify's JSON parser (a syntax error, NaN, a prototype-poisoning key).
    const first = e.message.split('\n')[0]!;
    return new RequestError(
      400,
      'bad-json',
      'body',
      'valid JSON (NaN and Infinity are not JSON)',
      `body: not valid JSON (${first})`,
    );
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new RequestError(
      e.statusCode,
      'bad-request',
      'request',
      'see message',
      (e.message ?? 'bad request').split('\n')[0]!,
    );
  }
  return new RequestError(
    500,
    'internal',
    'server',
    'nothing: this is a server bug',
    'internal error (logged on the server)',
  );
}

const sendError = (reply: FastifyReply, err: RequestError) =>
  reply.code(err.status).type('application/json').send(err.toJSON());

/** Rejects after `ms` with a 503 (the policy call itself is never interrupted: TF.js kernels are synchronous). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new RequestError(
            503,
            'timeout',
            'request',
            `an answer within ${ms} ms`,
            `no answer within ${ms} ms (server overloaded)`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the policy server: Fastify on `host:port` with these routes (JSON unless said otherwise).
 *
 * - `GET /health` -> `{ status: 'ok', uptimeS, sessions, policies: { name: batcher counters } }`
 * - `GET /policies`, `GET /policies/:name` -> `{ policies: [description] }` / one description
 *   (algorithm, NFE, To, H, Ta, observation and action shapes and units)
 * - `POST /policies/:name/act`: JSON `{ observations: [B][To][D] | [To][D], nfe?, seed? }` ->
 *   `{ actions: [B][H][A], shape, nfe, seed }`; or `application/octet-stream` little-endian float32
 *   `[B, To, D]` (`?nfe=&seed=` in the query) -> float32 `[B, H, A]`, header `x-mipjs-shape: B,H,A`.
 *   The answer equals `policy.act(observations, { nfe, seed })` in environment units.
 * - `GET /policies/:name/session` (WebSocket, `?nfe=&seed=&actionSteps=&prefetch=`): a
 *   {@link RobotSession}; send one observation per control step (JSON `{ observation: [D] }` or
 *   float32 bytes), get one action back (`{ type: 'action', action: [A], step, chunk, waited }` or float32 bytes).
 * - with `sim`: `POST /sim/pusht/episodes`, `POST /sim/pusht/episodes/:id/step` ({@link PushTSimulator}).
 *
 * Concurrent act requests and session chunks for one policy share one network call
 * ({@link ActBatcher}). Every refusal is a 4xx with `{ error: { code, field, expected, message } }`.
 *
 * ```ts
 * const policies = await loadCatalog(['mip=runs/mip-pusht']);
 * const server = await startPolicyServer({ policies, port: 0 });
 * const res = await fetch(`${server.url}/policies/mip/act`, { method: 'POST', body: JSON.stringify({ observations }) });
 * await server.close();
 * ```
 */
export async function startPolicyServer(options: PolicyServerOptions): Promise<RunningPolicyServer> {
  const host = options.host ?? DEFAULT_SERVE_HOST;
  checkBindingSecurity({ host, token: options.token, insecure: options.insecure });
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const maxNfe = options.maxNfe ?? 64;
  const maxBatch = options.maxRequestBatch ?? 256;
  const started = Date.now();
  const byName = new Map<string, Served>();
  for (const p of options.policies) {
    byName.set(p.name, {
      ...p,
      batcher: new ActBatcher(p.policy, isSeedFree(p.policy), options.batching),
      shape: { obsSteps: p.policy.obsSteps, obsDim: p.policy.obsDim, maxNfe, maxBatch },
      description: describePolicy(p),
    });
  }
  const open = new Set<OpenSession>();
  const sim = options.sim ? new PushTSimulator() : null;

  const app = Fastify({
    logger: options.log ? { level: options.log.level ?? 'info', stream: options.log.stream } : false,
    bodyLimit,
    requestTimeout: requestTimeoutMs,
    // Keep-alive sockets left idle are closed on shutdown; busy ones finish their request first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  // JSON and raw float32 only: a text/plain body is a 415 that says so, not a confusing 400.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((error, request, reply) => {
    const err = toRequestError(error, bodyLimit);
    if (err.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, err);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new RequestError(
        404,
        'not-found',
        'url',
        'a route of GET /policies',
        `${request.method} ${request.url.split('?')[0]}: no such route`,
      ),
    ),
  );
  await app.register(fastifyWebsocket, {
    options: { maxPayload: bodyLimit },
    // Shutdown: let every session finish the steps it was asked for, then say goodbye (1001).
    preClose: async function closeSessions() {
      await Promise.all([...open].map((s) => s.session.idle()));
      for (const s of open) s.socket.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()));
    },
  });

  // After the WebSocket plugin: its own onRequest hook marks upgrade requests, so that a refused
  // upgrade's socket is destroyed after the 403 / 401 instead of being left open.
  const allowed = new Set(options.allowOrigins ?? []);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      return sendError(
        reply,
        new RequestError(
          403,
          'origin',
          'origin',
          allowed.size > 0
            ? `one of ${[...allowed].join(', ')}`
            : 'no Origin header (a web page needs --allow-origin)',
          `origin: requests from web pages at ${origin.slice(0, 100)} are refused; start the server with --allow-origin ${origin.slice(0, 100)}`,
        ),
      );
    }
  });
  if (options.token !== undefined) {
    const token = options.token;
    app.addHook('onRequest', async (request, reply) => {
      if (!bearerMatches(request.headers.authorization, token)) {
        return sendError(
          reply,
          new RequestError(
            401,
            'unauthorized',
            'authorization',
            'Authorization: Bearer <token>',
            'authorization: missing or wrong bearer token',
          ),
        );
      }
    });
  }

  const policyOf = (request: FastifyRequest): Served => {
    const name = (request.params as { name: string }).name;
    const served = byName.get(name);
    if (!served) {
      throw new RequestError(
        404,
        'unknown-policy',
        'name',
        `one of ${[...byName.keys()].join(', ')}`,
        `policy '${name}' is not served (GET /policies lists them)`,
      );
    }
    return served;
  };

  app.get('/health', async () => ({
    status: 'ok',
    uptimeS: Math.round((Date.now() - started) / 1000),
    sessions: open.size,
    policies: Object.fromEntries([...byName].map(([n, s]) => [n, s.batcher.stats])),
  }));
  app.get('/policies', async () => ({ policies: [...byName.values()].map((s) => s.description) }));
  app.get('/policies/:name', async (request) => policyOf(request).description);

  app.post('/policies/:name/act', async (request, reply) => {
    const served = policyOf(request);
    const binary = Buffer.isBuffer(request.body);
    const parsed = binary
      ? parseBinaryAct(request.body as Buffer, request.query as Record<string, unknown>, served.shape)
      : parseJsonAct(request.body, served.shape);
    const chunk = await withTimeout(served.batcher.submit(parsed), requestTimeoutMs);
    if (!binary) return chunkJson(served.name, chunk);
    return reply
      .type('application/octet-stream')
      .header('x-mipjs-shape', chunk.shape.join(','))
      .header('x-mipjs-nfe', String(chunk.nfe))
      .header('x-mipjs-seed', String(chunk.seed))
      .send(float32Bytes(chunk.data));
  });

  app.route({
    method: 'GET',
    url: '/policies/:name/session',
    // Runs before the upgrade: a bad policy name or query is a plain HTTP 4xx, not a socket.
    preValidation: async (request) => {
      const served = policyOf(request);
      (request as unknown as { session: RobotSession }).session = sessionFor(
        served,
        request.query as Record<string, unknown>,
      );
    },
    // A plain GET (no upgrade) is told what the route expects.
    handler: async (_request, reply) =>
      sendError(
        reply,
        new RequestError(
          426,
          'upgrade-required',
          'upgrade',
          'a WebSocket upgrade (ws://…/session)',
          'this route is a WebSocket session; connect with a WebSocket client',
        ),
      ),
    wsHandler: (socket, request) => {
      const served = policyOf(request);
      const session = (request as unknown as { session: RobotSession }).session;
      const entry = { socket, session };
      open.add(entry);
      socket.on('close', () => open.delete(entry));
      handleSession(socket, served, session, request);
    },
  });

  if (sim) {
    app.post('/sim/pusht/episodes', async (request) => sim.open(request.body ?? {}));
    app.post('/sim/pusht/episodes/:id/step', async (request) =>
      sim.step((request.params as { id: string }).id, request.body),
    );
    app.delete('/sim/pusht/episodes/:id', async (request) => ({
      closed: sim.close((request.params as { id: string }).id),
    }));
  }

  function sessionFor(served: Served, query: Record<string, unknown>): RobotSession {
    const params = parseActParams(query, served.shape, 'query.');
    const int = (key: string): number | undefined => {
      const v = query[key];
      if (v === undefined || v === '') return undefined;
      if (typeof v !== 'string' || !/^\d+$/.test(v)) {
        throw new RequestError(
          400,
          'bad-request',
          `query.${key}`,
          'a non-negative integer',
          `query.${key}: expected a non-negative integer, got ${JSON.stringify(v)}`,
        );
      }
      return Number(v);
    };
    const known = new Set(['nfe', 'seed', 'actionSteps', 'prefetch']);
    const unknown = Object.keys(query).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new RequestError(
        400,
        'bad-request',
        `query.${unknown[0]}`,
        [...known].join(', '),
        `query.${unknown[0]}: unknown option; valid: ${[...known].join(', ')}`,
      );
    }
    return new RobotSession(
      served.policy,
      (history, o) => served.batcher.submit({ observations: history, batch: 1, nfe: o.nfe, seed: o.seed }),
      { ...params, actionSteps: int('actionSteps'), prefetch: int('prefetch') },
    );
  }

  function handleSession(
    socket: WebSocket,
    served: Served,
    session: RobotSession,
    request: FastifyRequest,
  ): void {
    const D = served.policy.obsDim;
    let pending = 0;
    const sendError = (err: unknown) => {
      const e = toRequestError(err, bodyLimit);
      if (e.status >= 500) request.log.error({ err }, 'session step failed');
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', ...e.toJSON() }));
    };
    socket.send(
      JSON.stringify({
        type: 'hello',
        policy: served.description,
        session: {
          nfe: session.nfe ?? served.policy.defaultNfe,
          seed: session.seed,
          actionSteps: session.actionSteps,
          prefetch: session.prefetch,
        },
      }),
    );
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      let observation: Float32Array | null = null;
      try {
        if (isBinary) {
          if (bytes.byteLength !== 4 * D) {
            throw new RequestError(
              400,
              'bad-request',
              'observation',
              `${D} float32 values (${4 * D} bytes)`,
              `observation: expected ${D} float32 values (${4 * D} bytes), got ${bytes.byteLength} bytes`,
            );
          }
          observation = readFloat32(bytes, 'observation');
        } else {
          let msg: unknown;
          try {
            msg = JSON.parse(bytes.toString('utf8'));
          } catch {
            throw new RequestError(
              400,
              'bad-json',
              'message',
              'JSON { observation: [D] } or { type: "reset" }',
              'message: not valid JSON',
            );
          }
          const m = (typeof msg === 'object' && msg !== null ? msg : {}) as Record<string, unknown>;
          if (m.type === 'reset') {
            session.reset().then(() => socket.send(JSON.stringify({ type: 'reset', step: 0 })), sendError);
            return;
          }
          if (m.type !== undefined && m.type !== 'observation') {
            throw new RequestError(
              400,
              'bad-request',
              'type',
              "'observation' or 'reset'",
              `type: expected 'observation' or 'reset', got ${JSON.stringify(m.type)}`,
            );
          }
          observation = D > 0 && served.policy.obsSteps > 0 ? parseObservation(m.observation, D) : null;
        }
      } catch (error) {
        sendError(error);
        return;
      }
      if (pending >= MAX_PENDING_STEPS) {
        sendError(
          new RequestError(
            429,
            'too-many-pending',
            'observation',
            `at most ${MAX_PENDING_STEPS} unanswered observations`,
            `observation: ${MAX_PENDING_STEPS} observations are waiting for their actions; wait for the answers`,
          ),
        );
        return;
      }
      pending++;
      session.step(observation).then(
        (s) => {
          pending--;
          if (socket.readyState !== socket.OPEN) return;
          if (isBinary) socket.send(float32Bytes(s.action));
          else
            socket.send(
              JSON.stringify({
                type: 'action',
                step: s.step,
                chunk: s.chunk,
                waited: s.waited,
                action: Array.from(s.action),
              }),
            );
        },
        (error) => {
          pending--;
          sendError(error);
        },
      );
    });
  }

  await app.listen({ host, port: options.port ?? DEFAULT_SERVE_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_SERVE_PORT);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    app,
    stats: () => Object.fromEntries([...byName].map(([n, s]) => [n, s.batcher.stats])),
    sessions: () => open.size,
    close: () => {
      closing ??= (async () => {
        // Requests waiting for their batch are answered now rather than after the timer.
        for (const s of byName.values()) s.batcher.flush();
        await app.close();
      })();
      return closing;
    },
  };
}
