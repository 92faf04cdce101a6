import { describe, expect, it } from 'vitest';
import {
  hideCredentials,
  parseRedisUrl,
  REDIS_PASSWORD_ENV,
  REDIS_USERNAME_ENV,
  redactRedisUrl,
} from './redis-url.js';

describe('parseRedisUrl', () => {
  it('reads host, port, database and credentials, and shows the URL without the password', () => {
    const t = parseRedisUrl('redis://alice:p%40ss@db.lab:6380/3', {});
    expect(t.options).toEqual({ host: 'db.lab', port: 6380, db: 3, username: 'alice', password: 'p@ss' });
    expect(t.display).toBe('redis://alice:***@db.lab:6380/3');
    expect(parseRedisUrl('redis://127.0.0.1', {})).toMatchObject({
      display: 'redis://127.0.0.1:6379/0',
      options: { host: '127.0.0.1', port: 6379, db: 0, username: undefined, password: undefined },
    });
  });

  it('turns TLS on for rediss:// with the host as server name', () => {
    const t = parseRedisUrl('rediss://:pw@redis.example.com/1', {});
    expect(t.options.tls).toEqual({ servername: 'redis.example.com' });
    expect(t.display).toBe('rediss://:***@redis.example.com:6379/1');
  });

  it('takes user and password from the environment when the URL has none (the URL wins)', () => {
    const env = { [REDIS_PASSWORD_ENV]: 'from-env', [REDIS_USERNAME_ENV]: 'bob' };
    expect(parseRedisUrl('redis://h:1/0', env).options).toMatchObject({
      username: 'bob',
      password: 'from-env',
    });
    expect(parseRedisUrl('redis://h:1/0', env).display).toBe('redis://bob:***@h:1/0');
    expect(parseRedisUrl('redis://:url@h:1/0', env).options.password).toBe('url');
  });

  it.each([
    ['not a url', "--queue 'not a url': not a URL"],
    ['http://h:1', "--queue 'http://h:1': unsupported scheme 'http:'"],
    ['redis://h/abc', "--queue 'redis://h/abc': database '/abc' is not a number"],
    ['redis://h?family=6', "--queue 'redis://h?family=6': query parameters and fragments are not supported"],
    ['redis://:secret@h/x', "--queue 'redis://:***@h/x': database '/x' is not a number"],
  ])('rejects %s in one line naming --queue, password hidden', (url, message) => {
    let error: Error | undefined;
    try {
      parseRedisUrl(url, {});
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message.startsWith(message)).toBe(true);
    expect(error?.message).toMatch(
      /expected redis:\/\/\[user:password@\]host\[:port\]\[\/db\] or rediss:\/\//,
    );
    expect(error?.message).not.toContain('secret');
    expect(error?.message.split('\n')).toHaveLength(1);
  });
});

describe('hiding credentials', () => {
  it('redacts passwords of every Redis URL in a text, and the password wherever it is quoted', () => {
    expect(redactRedisUrl('a redis://:x@h:1/0 b rediss://u:y@h2 c redis://h3')).toBe(
      'a redis://:***@h:1/0 b rediss://u:***@h2 c redis://h3',
    );
    const t = parseRedisUrl('redis://:hunter2@h:1/0', {});
    expect(hideCredentials(t, 'auth hunter2 failed for redis://:hunter2@h:1/0')).toBe(
      'auth *** failed for redis://:***@h:1/0',
    );
  });
});
