// followSweep against a real Redis: woken by the queue's events, not by its next look.
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followSweep } from './follow.js';
import {
  openQueue,
  QUEUE_PREFIX,
  type QueueJobData,
  type QueueRunResult,
  type SweepManifest,
} from './queue.js';
import { findRedisServer, type LocalRedis, startLocalRedis } from './redis-server.js';
import { parseRedisUrl } from './redis-url.js';

const redisServer = findRedisServer();
if (redisServer.path === null) console.warn(`skipping the follow tests: ${redisServer.reason}`);

describe.skipIf(redisServer.path === null)('followSweep', () => {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startLocalRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('returns when the last run finishes, long before its next look at the queue', async () => {
    const target = parseRedisUrl(redis.url);
    const errors: string[] = [];
    const queue = openQueue(target, 'follow-events', (line) => errors.push(line));
    const manifest: SweepManifest = {
      name: 'follow-events',
      grids: ['test'],
      runs: [
        { id: 'a', run: 'a' },
        { id: 'b', run: 'b' },
      ],
    };
    // Two jobs that finish 0.3 s and 0.6 s after the worker starts: one completes, one fails.
    const worker = new Worker<QueueJobData, QueueRunResult>(
      'follow-events',
      async (job) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (job.id === 'b') throw new Error('run b diverged');
        return { ok: true } as unknown as QueueRunResult;
      },
      { connection: { ...target.options, maxRetriesPerRequest: null }, prefix: QUEUE_PREFIX, autorun: false },
    );
    try {
      await queue.add('a', {} as QueueJobData, { jobId: 'a' });
      await queue.add('b', {} as QueueJobData, { jobId: 'b', attempts: 1 });
      // One look a minute: only the completed / failed events can end this within the test's 30 s.
      const following = followSweep(queue, manifest, {
        quiet: true,
        every: 60,
        onError: (l) => errors.push(l),
      });
      // The worker starts once the follower is listening (its first look found both jobs waiting).
      await new Promise((resolve) => setTimeout(resolve, 200));
      void worker.run();
      const state = await following;
      expect(state).toMatchObject({ total: 2, completed: 1, failed: 1, active: 0 });
      expect(errors).toEqual([]);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 30_000);
});
