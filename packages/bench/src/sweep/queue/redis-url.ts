// The Redis a queue sweep lives on: its URL checked and parsed, credentials kept out of every message.
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../../config/config.js';

/** Environment variable with the Redis password, used when the URL carries none (keeps it out of `ps`). */
export const REDIS_PASSWORD_ENV = 'MIPJS_REDIS_PASSWORD';
/** Environment variable with the Redis ACL user name, used when the URL carries none. */
export const REDIS_USERNAME_ENV = 'MIPJS_REDIS_USERNAME';

/** A Redis the queue connects to. */
export interface RedisTarget {
  /**
   * The URL with the password replaced by `***` (`redis://user:***@host:6379/0`): the only form of
   * it that is ever printed, logged or written to a file.
   */
  display: string;
  /** What ioredis (and so BullMQ) connects with: host, port, db, credentials, TLS for `rediss://`. */
  options: RedisOptions;
}

/** A Redis that cannot be reached or refuses the queue: the message names it (credentials hidden). */
export class QueueConnectionError extends Error {
  override name = 'QueueConnectionError';
}

/**
 * `text` with the password of every `redis://` / `rediss://` URL in it replaced by `***`.
 *
 * ```ts
 * redactRedisUrl('redis://:s3cret@db:6379/0'); // 'redis://:***@db:6379/0'
 * ```
 */
export function redactRedisUrl(text: string): string {
  return text.replace(/(rediss?:\/\/[^:@/\s]*:)[^@\s]*@/gi, '$1***@');
}

const EXPECTED = 'expected redis://[user:password@]host[:port][/db] or rediss://... (TLS)';

/**
 * Checks and parses a queue URL, `redis://[user:password@]host[:port][/db]` or `rediss://...`
 * (TLS, with the host name as SNI server name; extra CAs through Node's `NODE_EXTRA_CA_CERTS`).
 * User and password may instead come from {@link REDIS_USERNAME_ENV} / {@link REDIS_PASSWORD_ENV}
 * (the URL wins). Port 6379 and database 0 when left out. Throws a one-line {@link ConfigError}
 * naming `flag` and the (redacted) URL for anything else.
 *
 * ```ts
 * const target = parseRedisUrl('rediss://worker:pw@redis.lab:6380/2');
 * target.display; // 'rediss://worker:***@redis.lab:6380/2'
 * ```
 */
export function parseRedisUrl(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  flag = '--queue',
): RedisTarget {
  const shown = redactRedisUrl(url);
  const fail = (why: string) => new ConfigError(`${flag} '${shown}': ${why}; ${EXPECTED}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw fail('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw fail(`unsupported scheme '${u.protocol}'`);
  if (!u.hostname) throw fail('no host');
  if (u.search || u.hash) throw fail('query parameters and fragments are not supported');
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw fail(`database '/${path}' is not a number`);
  const db = path === '' ? 0 : Number(path);
  const port = u.port === '' ? 6379 : Number(u.port);
  const username = u.username ? decodeURIComponent(u.username) : env[REDIS_USERNAME_ENV] || undefined;
  const password = u.password ? decodeURIComponent(u.password) : env[REDIS_PASSWORD_ENV] || undefined;
  const tls = u.protocol === 'rediss:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const auth =
    username || password ? `${username ? encodeURIComponent(username) : ''}${password ? ':***' : ''}@` : '';
  return {
    display: `${u.protocol}//${auth}${u.hostname}:${port}/${db}`,
    options: {
      host,
      port,
      db,
      username,
      password,
      ...(tls ? { tls: { servername: host } } : {}),
    },
  };
}

/** Major version of a Redis that BullMQ 5 needs at least. */
const MIN_REDIS_MAJOR = 5;

/**
 * Connects once to `target` (no retries), checks that it answers and is recent enough for BullMQ,
 * then disconnects. Throws a one-line {@link QueueConnectionError} naming the redacted URL within
 * about `timeoutMs` when the server is unreachable, refuses the credentials or is too old, so that
 * a command never hangs on a bad `--queue`.
 *
 * ```ts
 * await checkRedis(parseRedisUrl('redis://127.0.0.1:6379/0'));
 * ```
 */
export async function checkRedis(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  let lastError: Error | null = null;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs + 500);
  });
  try {
    const info = await Promise.race([
      (async () => {
        await client.connect();
        return client.info('server');
      })(),
      timeout,
    ]);
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '0';
    if (Number(version.split('.')[0]) < MIN_REDIS_MAJOR) {
      throw new QueueConnectionError(
        `Redis at ${target.display} is version ${version}; BullMQ needs ${MIN_REDIS_MAJOR}.0 or later (6.2+ recommended)`,
      );
    }
  } catch (error) {
    if (error instanceof QueueConnectionError) throw error;
    const message = oneLine(redactRedisUrl((lastError ?? (error as Error)).message));
    if (/NOAUTH/i.test(message)) {
      throw new QueueConnectionError(
        `Redis at ${target.display} needs a password: put it in the URL (redis://:PASSWORD@host) or in ${REDIS_PASSWORD_ENV}`,
      );
    }
    if (/WRONGPASS|invalid password|invalid username/i.test(message)) {
      throw new QueueConnectionError(`Redis at ${target.display} refused the credentials (${message})`);
    }
    throw new QueueConnectionError(`cannot reach Redis at ${target.display}: ${message}`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

function oneLine(text: string): string {
  return text.split('\n')[0].trim();
}

/**
 * `text` with every credential of `target` hidden: URLs redacted and the password itself, should a
 * server or library message ever quote it, replaced by `***`. Every line a queue command prints
 * about Redis goes through here.
 */
export function hideCredentials(target: RedisTarget, text: string): string {
  const password = target.options.password;
  const redacted = redactRedisUrl(text);
  return password ? redacted.split(password).join('***') : redacted;
}
