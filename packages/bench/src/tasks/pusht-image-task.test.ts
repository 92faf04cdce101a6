import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../config/config.js';
import { evaluatePushT } from '../evaluate/closed-loop.js';
import { executeRun } from '../run/run.js';
import { PUSHT_DATA } from '../test-utils/pusht-run.js';
import { PUSHT_FRAME, PUSHT_IMAGE_OBS_DIM } from './pusht-image-task.js';
import { openTask } from './tasks.js';

const REPLAY = join(import.meta.dirname, '../../../../../shared/data/pusht/pusht_cchi_v7_replay.zarr');
const missing = existsSync(join(REPLAY, 'data', 'img', '.zarray')) ? null : `no PushT images at ${REPLAY}`;
if (missing) console.log(`pusht_image: skipping the real-frame tests (${missing})`);

/** A tiny image run: a 2-stage ResNet of widths 4 / 8 on the real 96 x 96 frames, batch 2. */
function tinyImageConfig(overrides: Record<string, unknown> = {}) {
  return resolveRunConfig(
    {},
    {
      task: 'pusht_image',
      data: REPLAY,
      algorithm: 'mip',
      network: 'vanilla_mlp',
      networkOptions: { embDim: 16, nLayers: 1 },
      encoderOptions: { widths: [4, 8], blocks: [1, 1], groupChannels: 4 },
      steps: 2,
      batchSize: 2,
      evalSamples: 4,
      evalNfe: [1],
      evalEpisodes: 0,
      ...overrides,
    },
  );
}

describe('task pusht_image', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('needs a Zarr directory with data/img and the image encoder (one-line errors)', async () => {
    await expect(openTask(tinyImageConfig({ data: PUSHT_DATA }))).rejects.toThrow(
      /pusht_image': expected a Zarr directory with data\/img/,
    );
    // The task's preset gives image-encoder options, which another encoder refuses by name.
    expect(() => tinyImageConfig({ encoder: 'mlp', encoderOptions: {} })).toThrow(
      /encoder-options.*\(encoder 'mlp'\): unknown key 'imageShape'/s,
    );
  });

  it.skipIf(missing !== null)(
    'batches: the window frames of data/img in [-1, 1] then the normalised agent position; lazy and seeded',
    async () => {
      const task = await openTask(tinyImageConfig());
      expect(task.obsDim).toBe(PUSHT_IMAGE_OBS_DIM);
      expect([task.horizon, task.obsSteps, task.actDim]).toEqual([16, 2, 2]);
      // Nothing decoded yet beyond the validation frames; a cold batch is a clear error.
      expect(() => task.trainBatch(0, 100, 2)).toThrow(/is not loaded; call load\(\) first/);
      await task.prepareBatch!(0, 100, 2);
      const a = task.trainBatch(0, 100, 2);
      expect(a.obs!.length).toBe(2 * 2 * PUSHT_IMAGE_OBS_DIM);
      expect(a.action.length).toBe(2 * 16 * 2);
      expect(Array.from(task.trainBatch(0, 100, 2).obs!)).toEqual(Array.from(a.obs!));
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of a.obs!) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(-1);
      expect(hi).toBeLessThanOrEqual(1);
      // Each frame value is 2 v / 255 - 1 of a byte v (the reference's normaliser on data/img).
      const pixels = Array.from(a.obs!.subarray(0, PUSHT_FRAME), (x) => ((x + 1) / 2) * 255);
      expect(pixels.every((p) => Math.abs(p - Math.round(p)) < 1e-3)).toBe(true);
      expect(Math.max(...pixels)).toBeCloseTo(255, 3); // the white canvas
      const v = task.validationBatch!(4);
      expect(v.count).toBe(4);
      expect(v.batch.obs!.length).toBe(4 * 2 * PUSHT_IMAGE_OBS_DIM);
      task.close?.();
    },
    120_000,
  );

  it.skipIf(missing !== null)(
    'trains the encoder with the policy (EMA too) and evaluates from rendered frames in closed loop',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mipjs-pusht-image-'));
      dirs.push(dir);
      const { rows } = await executeRun({
        config: tinyImageConfig(),
        dir,
        backend: 'cpu',
        quiet: true,
      });
      expect(rows).toHaveLength(1);
      expect(Number.isFinite(rows[0]!.metrics.actionMse)).toBe(true);
      const policy = await loadPolicyFromRun(dir);
      expect(policy.encoder?.kind).toBe('image');
      expect(policy.obsDim).toBe(PUSHT_IMAGE_OBS_DIM);
      const r = await evaluatePushT(policy, { episodes: 1, maxSteps: 16 });
      expect(r.episodes).toBe(1);
      expect(r.meanMaxReward).toBeGreaterThanOrEqual(0);
      policy.dispose();
    },
    300_000,
  );
});
