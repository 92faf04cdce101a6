import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config.js';
import { bearerMatches, checkBindingSecurity, isLoopbackHost } from './auth.js';

describe('serve auth', () => {
  it('tells loopback addresses from the others', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', '128.0.0.1', 'example.org', '']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it('refuses a non-loopback bind without a token or --insecure, and a short token', () => {
    expect(() => checkBindingSecurity({ host: '127.0.0.1' })).not.toThrow();
    expect(() => checkBindingSecurity({ host: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => checkBindingSecurity({ host: '0.0.0.0', insecure: true })).not.toThrow();
    expect(() => checkBindingSecurity({ host: '0.0.0.0', token: 'a'.repeat(16) })).not.toThrow();
    expect(() => checkBindingSecurity({ host: '127.0.0.1', token: 'short' })).toThrow(
      /at least 16 characters/,
    );
  });

  it('matches exactly the bearer token', () => {
    const token = 'tok-0123456789abcdef';
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerMatches(`Bearer ${token.slice(1)}`, token)).toBe(false);
    expect(bearerMatches(token, token)).toBe(false); // the scheme is required
    expect(bearerMatches(undefined, token)).toBe(false);
    expect(bearerMatches('Bearer ', token)).toBe(false);
  });
});
