// robomimic action spaces (absolute / delta / relative) and normalizers (minmax / gaussian), issue 24.
// There is no real robomimic dataset on this machine: the HDF5 is the robomimic-layout fixture of
// test-utils (writeRobomimicFixture: real key names and widths, object 3-D, 7-D stored actions).
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { absoluteToRelativeActions, eefPosesFromObs, loadNormalizers, loadRobomimicHdf5 } from '@mipjs/data';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../backend/setup.js';
import { resolveRunConfig } from '../config/config.js';
import { executeRun } from '../run/run.js';
import { writeRobomimicFixture } from '../test-utils/datasets.js';
import { tempDir } from '../test-utils/fixtures.js';
import { NORMALIZERS_FILE, relativeChunksToAbsolute } from './dataset-task.js';
import { openTask } from './tasks.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let data = '';
beforeAll(async () => {
  await prepareBackend('cpu');
  data = await writeRobomimicFixture(join(tempDir(), 'low_dim_abs.hdf5'));
});

const configOf = (fields: Record<string, unknown>) =>
  resolveRunConfig({}, { task: 'robomimic', data, evalSamples: 64, ...fields });

describe('robomimic action spaces', () => {
  it('relative: the held-out chunks, made relative, normalised, then undone, are the recorded absolute chunks', async () => {
    for (const normalizer of ['minmax', 'gaussian']) {
      const task = await openTask(configOf({ actionSpace: 'relative', normalizer }));
      expect(task.actDim).toBe(10);
      const { batch, count } = task.validationBatch!(64);
      // A policy that returns the recorded (relative, normalised) chunks: the absolute MSE after the
      // conversion back is the round-trip error alone.
      const perfect = await task.evaluate(async () => batch.action, 1, 0, count);
      expect(perfect.metrics.actionMse).toBe(0);
      expect(perfect.metrics.actionMseAbsolute).toBeLessThan(1e-10);
      expect(perfect.metrics.actionMseAbsoluteExecuted).toBeLessThan(1e-10);
      // ... while a wrong policy is far off in absolute units too (the metric measures something).
      const shifted = batch.action.map((v) => v + 0.3);
      const wrong = await task.evaluate(async () => shifted, 1, 0, count);
      expect(wrong.metrics.actionMseAbsolute).toBeGreaterThan(1e-4);
      task.close?.();
    }
  });

  it('relativeChunksToAbsolute anchors each chunk to its own window latest EEF pose (closed form)', () => {
    // One arm, object 3-D; obs [pos 3, quat xyzw 4, grip 2]. Window 0: identity pose at p = (1, 2, 3);
    // window 1: 90 deg about z at the origin, so a relative step (1, 0, 0) becomes (0, 1, 0).
    const obsDim = 3 + 9;
    const obs = new Float32Array(2 * 2 * obsDim);
    const put = (b: number, t: number, pos: number[], quat: number[]) =>
      obs.set([...pos, ...quat], (b * 2 + t) * obsDim + 3);
    put(0, 0, [9, 9, 9], [0, 0, 0, 1]); // t = 0 is not the anchor
    put(0, 1, [1, 2, 3], [0, 0, 0, 1]);
    put(1, 1, [0, 0, 0], [0, 0, Math.SQRT1_2, Math.SQRT1_2]);
    const identity6d = [1, 0, 0, 0, 1, 0];
    const step = [1, 0, 0, ...identity6d, 0.5];
    const abs = relativeChunksToAbsolute(
      new Float32Array([...step, ...step]),
      obs,
      { horizon: 1, obsSteps: 2, actDim: 10, obsDim },
      { objectDim: 3 },
    );
    const near = (xs: ArrayLike<number>, want: number[]) =>
      want.forEach((w, i) => expect(xs[i]).toBeCloseTo(w, 6));
    near(abs.subarray(0, 10), [2, 2, 3, ...identity6d, 0.5]);
    // R_z(90°) rows: (0, -1, 0), (1, 0, 0): the first two rows are the rot6d.
    near(abs.subarray(10, 20), [0, 1, 0, 0, -1, 0, 1, 0, 0, 0.5]);
  });

  it('delta: the raw 7-D stored actions (low_dim.hdf5), normalised; unnormalised they are stored rows', async () => {
    const task = await openTask(configOf({ actionSpace: 'delta' }));
    expect(task.actDim).toBe(7);
    const { store } = await loadRobomimicHdf5(data, { actionSpace: 'raw' });
    const stored = store.get('action').data;
    const dir = tempDir();
    await task.writeArtifacts!(dir);
    const { action } = await loadNormalizers(join(dir, NORMALIZERS_FILE));
    const chunk = action!.unnormalize(task.trainBatch(0, 0, 2).action);
    const rows = new Set<string>();
    for (let i = 0; i < stored.length; i += 7)
      rows.add(Array.from(stored.subarray(i, i + 7), (v) => v.toFixed(4)).join());
    for (let i = 0; i < chunk.length; i += 7)
      expect(rows.has(Array.from(chunk.subarray(i, i + 7), (v) => v.toFixed(4)).join())).toBe(true);
    task.close?.();
  });

  it('refuses delta / relative on another task, naming the flag', async () => {
    const config = resolveRunConfig({}, { task: 'bimodal', actionSpace: 'relative' });
    await expect(openTask(config)).rejects.toThrow(
      /only task 'robomimic' has delta \/ relative action spaces/,
    );
  });
});

describe('a deployed relative policy', () => {
  it('policy.json records the EEF frame and the loaded policy returns absolute actions', async () => {
    const config = configOf({
      actionSpace: 'relative',
      steps: 2,
      batchSize: 8,
      evalSamples: 16,
      evalNfe: [1],
      networkOptions: { embDim: 16, nLayers: 1, timestepEmbDim: 8 },
      encoderOptions: { embDim: 8 },
    });
    const dir = join(tempDir(), 'run');
    await executeRun({ config, dir, backend: 'cpu', quiet: true, evaluate: false });
    const manifest = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8'));
    expect(manifest.actionFrame).toEqual({ kind: 'eef_relative', objectDim: 3, arms: 1 });
    // The same run without the frame: the network's relative chunks, unnormalised.
    const bare = join(tempDir(), 'bare');
    cpSync(dir, bare, { recursive: true });
    const { actionFrame: _, ...rest } = manifest;
    writeFileSync(join(bare, 'policy.json'), JSON.stringify(rest));
    const policy = await loadPolicyFromRun(dir);
    const relative = await loadPolicyFromRun(bare);
    const { store } = await loadRobomimicHdf5(data);
    const obs = store.get('obs').data.subarray(0, 2 * 12); // one raw history, To 2, D 12
    const absolute = policy.act({ data: obs, shape: [1, 2, 12] }, { seed: 3 });
    const rel = relative.act({ data: obs, shape: [1, 2, 12] }, { seed: 3 });
    // Made relative again to the latest observation's EEF pose, the returned chunk is the network's.
    const back = absoluteToRelativeActions(
      absolute.data,
      eefPosesFromObs(obs.subarray(12), { objectDim: 3 }),
    );
    // Position and gripper exactly; rot6d comes back Gram-Schmidt orthonormalised, so only those.
    back.forEach((v, i) => {
      if (i % 10 < 3 || i % 10 === 9) expect(v).toBeCloseTo(rel.data[i]!, 4);
    });
    expect(Array.from(absolute.data)).not.toEqual(Array.from(rel.data));
    policy.dispose();
    relative.dispose();
  });
});

describe('mipjs train --action-space / --normalizer on robomimic', () => {
  it.each([
    ['absolute', 'minmax', 10],
    ['delta', 'minmax', 7],
    ['relative', 'minmax', 10],
    ['relative', 'gaussian', 10],
    ['absolute', 'gaussian', 10],
  ])('--action-space %s --normalizer %s trains and evaluates', async (space, normalizer, actDim) => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'train',
        '--task',
        'robomimic',
        '--data',
        data,
        '--action-space',
        space,
        '--normalizer',
        normalizer,
        '--steps',
        '3',
        '--batch',
        '8',
        '--eval-samples',
        '16',
        '--nfe',
        '1',
        '--network-options',
        '{"embDim":16,"nLayers":1,"timestepEmbDim":8}',
        '--backend',
        'cpu',
        '--quiet',
        '--out',
        out,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    const keys = Object.keys(result.rows[0].metrics);
    expect(keys.includes('actionMseAbsolute')).toBe(space === 'relative');
    for (const v of Object.values(result.rows[0].metrics as Record<string, number>))
      expect(Number.isFinite(v)).toBe(true);
    const saved = await loadNormalizers(join(out, NORMALIZERS_FILE));
    expect(saved.action!.dim).toBe(actDim);
    expect(saved.action!.toJSON().kind).toBe(
      normalizer === 'gaussian' ? 'gaussian' : space === 'relative' ? 'composite' : 'minmax',
    );
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect([config.actionSpace, config.normalizer]).toEqual([space, normalizer]);
  });
});
