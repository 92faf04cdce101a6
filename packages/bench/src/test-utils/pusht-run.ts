import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveRunConfig } from '../config/config.js';
import { executeRun } from '../run/run.js';

/** The committed PushT low-dimensional copy (`datasets/pusht`); tests that need it skip without it. */
export const PUSHT_DATA = join(import.meta.dirname, '../../../../datasets/pusht/pusht_cchi_v7_lowdim.zarr');
export const HAVE_PUSHT_DATA = existsSync(PUSHT_DATA);

/** The config of a tiny PushT run (mip, a 1-layer vanilla_mlp, 20 steps, no closed-loop evaluation). */
export function tinyPushTConfig(overrides: Record<string, unknown> = {}) {
  return resolveRunConfig(
    {},
    {
      task: 'pusht',
      data: PUSHT_DATA,
      algorithm: 'mip',
      network: 'vanilla_mlp',
      networkOptions: { embDim: 32, nLayers: 1 },
      steps: 20,
      batchSize: 16,
      evalSamples: 32,
      evalEpisodes: 0,
      ...overrides,
    },
  );
}

/** Trains {@link tinyPushTConfig} into `dir`: a run folder with a `policy.json`, in about two seconds. */
export async function trainTinyPushTRun(dir: string, overrides: Record<string, unknown> = {}) {
  return executeRun({ config: tinyPushTConfig(overrides), dir, backend: 'cpu', quiet: true });
}
