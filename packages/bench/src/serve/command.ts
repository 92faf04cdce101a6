import type { Command } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../backend/backend.js';
import { prepareBackend } from '../backend/setup.js';
import { ConfigError, parseIntListFlag, parseNumberFlag } from '../config/config.js';
import { writeJsonAtomic } from '../io/io.js';
import { SERVE_TOKEN_ENV } from './auth.js';
import { runServeBenchmark, serveBenchTable } from './benchmark.js';
import { loadCatalog } from './catalog.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, startPolicyServer } from './server.js';
import { closeOnSignal } from './shutdown.js';

interface ServeFlags {
  port: string;
  host: string;
  token?: string;
  insecure?: boolean;
  allowOrigin?: string;
  backend: string;
  batching: boolean;
  batchWaitMs: string;
  maxBatch: string;
  requestTimeoutMs: string;
  bodyLimit: string;
  maxNfe: string;
  sim?: boolean;
  log: string;
  bench?: boolean;
  benchSeconds: string;
  benchClients: string;
  json?: string;
}

function integerFlag(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = parseNumberFlag(flag, value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${flag}: expected an integer in [${min}, ${max}], found '${value}'`);
  }
  return n;
}

/**
 * `mipjs serve RUN...`: serves trained runs to robots (see `startPolicyServer`), until SIGTERM or
 * SIGINT, which let in-flight requests finish. With `--bench`, measures instead (the serve load
 * benchmark against the first RUN) and exits.
 *
 * ```sh
 * mipjs serve mip=runs/mip-pusht --port 8731                  # loopback only
 * MIPJS_SERVE_TOKEN=$(openssl rand -hex 16) mipjs serve runs/mip-pusht --host 0.0.0.0
 * mipjs serve apps/playground/public/policies/mip --bench     # req/s and p50 / p99 at 1, 8, 32 robots
 * ```
 */
export function registerServeCommand(
  program: Command,
  log: (line: string) => void,
  print: (text: string) => void,
): void {
  program
    .command('serve')
    .description('serve trained runs to robots over HTTP and WebSocket (batched, loopback unless --token)')
    .argument('<runs...>', 'run folders, each as folder or name=folder (the name in /policies/:name)')
    .option('--port <n>', 'TCP port (0: a free one)', String(DEFAULT_SERVE_PORT))
    .option(
      '--host <address>',
      'address to bind; not loopback needs --token or --insecure',
      DEFAULT_SERVE_HOST,
    )
    .option('--token <secret>', `bearer token every request must carry (or ${SERVE_TOKEN_ENV}; never logged)`)
    .option('--insecure', 'allow a non-loopback --host without a token')
    .option(
      '--allow-origin <list>',
      'web origins whose pages may call the server (default: none; requests with an Origin header are refused)',
    )
    .option('--backend <name>', `TF.js backend: ${BACKEND_NAMES.join(', ')}`, 'auto')
    .option('--no-batching', 'one policy call per request (no merging of concurrent requests)')
    .option(
      '--batch-wait-ms <ms>',
      'longest wait of a request for others to batch with (0: until the end of the event-loop turn)',
      '0',
    )
    .option('--max-batch <rows>', 'run a batch as soon as it holds this many rows', '64')
    .option('--request-timeout-ms <ms>', 'answer 503 to a request not answered in time', '10000')
    .option('--body-limit <bytes>', 'largest request body / WebSocket message', String(1024 * 1024))
    .option('--max-nfe <n>', 'largest NFE a request may ask for', '64')
    .option('--sim', 'also serve simulated PushT episodes under /sim/pusht (demos, the Python example)')
    .option('--log <level>', 'request logs on stderr (JSON lines): info, warn, error, silent', 'info')
    .option('--bench', 'measure instead of serving: batch-1 latency per transport, then 1 / 8 / 32 robots')
    .option('--bench-seconds <s>', 'seconds per benchmark measurement', '3')
    .option('--bench-clients <list>', 'robot counts of the benchmark', '1,8,32')
    .option('--json <file>', 'with --bench: also write the rows as JSON')
    .action(async (runs: string[], f: ServeFlags) => {
      if (!(BACKEND_NAMES as readonly string[]).includes(f.backend)) {
        throw new ConfigError(
          `--backend: unknown backend '${f.backend}'; valid: ${BACKEND_NAMES.join(', ')}`,
        );
      }
      if (!['info', 'warn', 'error', 'silent', 'debug'].includes(f.log)) {
        throw new ConfigError(`--log: expected info, warn, error, debug or silent, found '${f.log}'`);
      }
      const port = integerFlag('--port', f.port, 0, 65535);
      const token = f.token ?? process.env[SERVE_TOKEN_ENV] ?? undefined;
      const options = {
        host: f.host,
        port,
        token: token === '' ? undefined : token,
        insecure: f.insecure ?? false,
        allowOrigins: (f.allowOrigin ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        batching: {
          enabled: f.batching,
          maxWaitMs: parseNumberFlag('--batch-wait-ms', f.batchWaitMs),
          maxBatch: integerFlag('--max-batch', f.maxBatch, 1),
        },
        requestTimeoutMs: integerFlag('--request-timeout-ms', f.requestTimeoutMs, 1),
        bodyLimit: integerFlag('--body-limit', f.bodyLimit, 64),
        maxNfe: integerFlag('--max-nfe', f.maxNfe, 1),
        sim: f.sim ?? false,
      };
      if (!(options.batching.maxWaitMs >= 0))
        throw new ConfigError(`--batch-wait-ms: expected a number >= 0, found '${f.batchWaitMs}'`);
      const benchSeconds = parseNumberFlag('--bench-seconds', f.benchSeconds);
      if (!(benchSeconds > 0 && benchSeconds <= 600))
        throw new ConfigError(`--bench-seconds: expected a number in (0, 600], found '${f.benchSeconds}'`);
      const benchClients = parseIntListFlag('--bench-clients', f.benchClients);
      if (benchClients.some((n) => n > 256)) throw new ConfigError('--bench-clients: at most 256 robots');

      const backend = await prepareBackend(f.backend as BackendName, log);
      const policies = await loadCatalog(runs);
      try {
        if (f.bench) {
          log(`serve benchmark: policy '${policies[0]!.name}' on ${backend}, ${benchSeconds} s per row`);
          const rows = await runServeBenchmark({
            policy: policies[0]!,
            clients: benchClients,
            seconds: benchSeconds,
            maxWaitMs: options.batching.maxWaitMs,
            log,
          });
          print(serveBenchTable(rows));
          if (f.json) writeJsonAtomic(f.json, { backend, policy: policies[0]!.name, rows });
          return;
        }
        const server = await startPolicyServer({
          ...options,
          policies,
          log: f.log === 'silent' ? false : { stream: process.stderr, level: f.log as 'info' },
        });
        log(`mipjs serve: ${server.url} (${backend}), policies: ${policies.map((p) => p.name).join(', ')}`);
        await closeOnSignal(server, ['SIGTERM', 'SIGINT'], log);
        log('mipjs serve: stopped');
      } finally {
        for (const p of policies) p.policy.dispose();
      }
    });
}
