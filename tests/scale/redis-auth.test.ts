/**
 * Passwords in the Redis URL (redis://:pass@host): the learner's and actors' connection authenticates with them, a
 * wrong or missing password stops at once with a typed error (retrying cannot help), and messages hide the password.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { connect, connectWithRetry, redact } from '../../scale/redis.js';
import { startRedis, type RedisServer } from './redis-helpers.js';

let redis: RedisServer | null = null;
afterAll(async () => {
  await redis?.stop();
});

describe('Redis URLs with a password', () => {
  it('authenticates with redis://:pass@host, is refused with a wrong one, and never prints the password', async () => {
    redis = await startRedis(['--requirepass', 's3cret']);
    const good = connect(`redis://:s3cret@127.0.0.1:${redis.port}`);
    await good.connect();
    expect(await good.ping()).toBe('PONG');
    good.disconnect();

    for (const url of [`redis://:wrong@127.0.0.1:${redis.port}`, redis.url]) {
      const lines: string[] = [];
      const conn = connect(url);
      conn.on('error', () => {}); // as the learner and actors do: errors reach connectWithRetry, not stderr
      const err = await connectWithRetry(conn, url, (l) => lines.push(l)).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidConfig);
      expect(String(err)).toMatch(/Expected the password of Redis at redis:\/\/(:\*\*\*@)?127\.0\.0\.1:\d+ .*refused it: (WRONGPASS|NOAUTH)/);
      expect(String(err) + lines.join('\n')).not.toContain('wrong');
    }
    expect(redact('rediss://user:pw@host:6380/0')).toBe('rediss://user:***@host:6380/0');
  }, 30_000);
});
