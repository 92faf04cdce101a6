import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from '../config/config.js';

/** The environment variable `mipjs serve` reads the bearer token from (kept out of `ps` and shell history). */
export const SERVE_TOKEN_ENV = 'MIPJS_SERVE_TOKEN';

/**
 * Whether a bind address reaches only this machine: `localhost`, the IPv4 loopback range
 * 127.0.0.0/8 and `::1` (also written `[::1]` or as the IPv4-mapped `::ffff:127.x.y.z`).
 *
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0');   // false: every interface
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** How the server is exposed: where it listens and who may talk to it. */
export interface BindingSecurity {
  host: string;
  /** The bearer token every request must carry; undefined: none. */
  token?: string;
  /** Serve a non-loopback address without a token (the user said so explicitly). */
  insecure?: boolean;
}

/**
 * Refuses an exposure nobody asked for: a non-loopback address needs a token or `--insecure`.
 * A token must be at least 16 characters (a guessable bearer token is no protection).
 */
export function checkBindingSecurity(b: BindingSecurity): void {
  if (b.token !== undefined && b.token.length < 16) {
    throw new ConfigError(
      `--token: expected at least 16 characters (e.g. openssl rand -hex 16), got ${b.token.length}`,
    );
  }
  if (!isLoopbackHost(b.host) && b.token === undefined && !b.insecure) {
    throw new ConfigError(
      `--host ${b.host}: binding a non-loopback address needs --token <secret> (or ${SERVE_TOKEN_ENV}) ` +
        'or an explicit --insecure',
    );
  }
}

/** sha256 of a string: equal-length inputs for `timingSafeEqual`, whatever the lengths given. */
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks an `Authorization` header against the token in constant time: both sides are hashed
 * first, so neither the token's bytes nor its length leak through the comparison's timing.
 *
 * ```ts
 * bearerMatches('Bearer s3cret-s3cret-s3cret', 's3cret-s3cret-s3cret'); // true
 * ```
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  // Always compare, also for a missing header, so a request without one takes the same path.
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}
