import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';
import { forkWorker, type PoolJob, runPool } from './pool.js';

const POOL = fileURLToPath(new URL('../../dist/sweep/pool.js', import.meta.url));

/** A worker entry that doubles `x`, or fails when asked to. */
function doublingWorker(): string {
  const file = join(tempDir(), 'double.mjs');
  writeFileSync(
    file,
    `import { serveWorker } from ${JSON.stringify(POOL)};
serveWorker(async (input) => {
  if (input.fail) throw new Error('boom ' + input.x);
  return input.x * 2;
});
`,
  );
  return file;
}

const jobs = (xs: number[], fail: number[] = []): PoolJob<{ x: number; fail: boolean }, number>[] =>
  xs.map((x) => ({ id: `job${x}`, input: { x, fail: fail.includes(x) } }));

const exited = (child: {
  exitCode: number | null;
  signalCode: string | null;
  once(e: 'exit', f: () => void): void;
}) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', resolve));

describe('runPool', () => {
  it('runs jobs on pre-forked workers, reports failures, and releases the workers it does not need', async () => {
    const entry = doublingWorker();
    const early = [forkWorker(entry), forkWorker(entry), forkWorker(entry)];
    const { done, failed } = await runPool(jobs([1, 2]), 2, { entry, workers: early });
    expect(done.map((j) => j.output).sort()).toEqual([2, 4]);
    expect(failed).toEqual([]);
    // All three exit: two told so after the queue ran dry, the third released (terminated) at once.
    await Promise.all(early.map((w) => exited(w.child)));

    const second = await runPool(jobs([3, 4, 5], [4]), 2, { entry });
    expect(second.done.map((j) => j.output).sort()).toEqual([10, 6]);
    expect(second.failed.map((f) => [f.job.id, f.message])).toEqual([['job4', 'boom 4']]);
  });

  it('fails the remaining jobs when every worker dies at start-up instead of waiting forever', async () => {
    const entry = join(tempDir(), 'crash.mjs');
    writeFileSync(entry, 'process.exit(3);\n');
    const failedIds: string[] = [];
    const { done, failed } = await runPool(jobs([1, 2, 3]), 2, {
      entry,
      onFailed: (job) => failedIds.push(job.id),
    });
    expect(done).toEqual([]);
    expect(failed.map((f) => f.message)).toEqual(Array(3).fill('no worker process left to run it'));
    expect(failedIds.sort()).toEqual(['job1', 'job2', 'job3']);
  });

  it('a worker whose parent went away while it loaded exits quietly (no ERR_IPC_CHANNEL_CLOSED trace)', async () => {
    const entry = join(tempDir(), 'late.mjs');
    // Loading TF.js takes about a second: the parent may fail (e.g. a bad config) before it is done.
    writeFileSync(
      entry,
      `import { serveWorker } from ${JSON.stringify(POOL)};
setTimeout(() => serveWorker(async (x) => x), 300);
`,
    );
    const child = fork(entry, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    child.disconnect();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
