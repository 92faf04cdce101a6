import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { trainingProcessFlags } from './gc-tuning.js';

describe('trainingProcessFlags', () => {
  const nodeOptions = process.env.NODE_OPTIONS;
  afterEach(() => {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
  });

  it('adds single-threaded collection and 64 MB semi-spaces after the given flags', () => {
    delete process.env.NODE_OPTIONS;
    expect(trainingProcessFlags(['--enable-source-maps'])).toEqual([
      '--enable-source-maps',
      '--single-threaded-gc',
      '--max-semi-space-size=64',
    ]);
  });

  it('keeps what the user chose, on the command line or in NODE_OPTIONS', () => {
    delete process.env.NODE_OPTIONS;
    expect(trainingProcessFlags(['--max-semi-space-size=8'])).toEqual([
      '--max-semi-space-size=8',
      '--single-threaded-gc',
    ]);
    expect(trainingProcessFlags(['--concurrent-marking'])).toEqual([
      '--concurrent-marking',
      '--max-semi-space-size=64',
    ]);
    process.env.NODE_OPTIONS = '--max-semi-space-size=16';
    expect(trainingProcessFlags([])).toEqual(['--single-threaded-gc']);
  });

  it('gives flags that Node starts with (a misspelt V8 flag is a start-up error)', () => {
    delete process.env.NODE_OPTIONS;
    const r = spawnSync(process.execPath, [...trainingProcessFlags([]), '-e', 'console.log("started")'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('started');
    expect(r.status).toBe(0);
  });
});
