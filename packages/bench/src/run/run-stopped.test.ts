import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../config/config.js';
import { executeRun } from './run.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

class Killed extends Error {}

describe('a run stopped before its last step', () => {
  it('has a policy.json for its last checkpoint, loadable by @mipjs/policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mipjs-run-stopped-'));
    dirs.push(dir);
    const config = resolveRunConfig(
      { checkpointEvery: 2, logEvery: 2 },
      { task: 'checkerboard', algorithm: 'mip', steps: 10, batchSize: 8, seed: 0 },
    );
    // Killed (as at a deadline) at step 3, after the step-2 checkpoint: train() never returns.
    const error = await executeRun({
      config,
      dir,
      backend: 'cpu',
      quiet: true,
      onStep: (step) => {
        if (step === 3) throw new Killed('killed');
      },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(Killed);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')).step).toBe(2);
    expect(existsSync(join(dir, 'result.json'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'mipjs-policy', algorithm: 'mip', task: 'checkerboard' });
    const policy = await loadPolicyFromRun(dir, { expect: { task: 'checkerboard' } });
    expect(policy.act(null, { seed: 0, batch: 1 }).shape[2]).toBe(2);
    policy.dispose();
  }, 60_000);
});
