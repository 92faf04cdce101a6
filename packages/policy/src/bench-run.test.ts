import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadNormalizers } from '@mipjs/data';
import { Interpolant } from '@mipjs/interpolant';
import { createEncoder, FlowMap, loadWeights, loadWeightsInto, type Network } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFromRun } from './node/index.js';
import { POLICY_SAMPLERS } from './sampler-table.js';
import { observations } from './test-utils/fixture.js';

/**
 * The round trip of the issue: a tiny run trained by the bench CLI in another process, loaded
 * here as a Policy, acting as the bench's evaluation composes its model and sampler. Needs the
 * bench built (it depends on this package, so it is not a dependency of these tests) and the
 * committed PushT data; skipped, with the reason in the test name, otherwise.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(repo, 'packages/bench/dist/cli.js');
const data = join(repo, 'datasets/pusht/pusht_cchi_v7_lowdim.zarr');
const ready = existsSync(cli) && existsSync(data);

let root: string;

async function train(algorithm: string): Promise<string> {
  const out = join(root, algorithm);
  await promisify(execFile)(
    process.execPath,
    [
      cli,
      'train',
      '--task',
      'pusht',
      '--data',
      data,
      '--algorithm',
      algorithm,
      '--network',
      'mlp',
      '--network-options',
      '{"embDim":32,"nLayers":1,"init":"normal-0.02"}',
      '--steps',
      '4',
      '--batch',
      '16',
      '--backend',
      'cpu',
      '--no-eval',
      '--quiet',
      '--out',
      out,
    ],
    { cwd: repo, timeout: 120_000 },
  );
  return out;
}

describe.skipIf(!ready)(
  `a run trained by the bench CLI${ready ? '' : ' (skipped: bench not built or no PushT data)'}`,
  () => {
    beforeAll(async () => {
      await tf.setBackend('cpu');
      root = await mkdtemp(join(tmpdir(), 'mipjs-policy-bench-'));
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it.each([
      ['mip', 'mipSampler', 'zero', 2],
      ['flow', 'eulerSampler', 'noise', 3],
    ] as const)(
      '%s: policy.json from the bench, the actions of the bench composition',
      async (algorithm, samplerName, start, nfe) => {
        const dir = await train(algorithm);
        const policy = await loadPolicyFromRun(dir, {
          expect: { task: 'pusht', obsDim: 5, actDim: 2, horizon: 16 },
        });
        expect(policy.manifest.sampler.name).toBe(samplerName);
        expect(policy.manifest.sampler.options?.start).toBe(start);
        expect([policy.obsSteps, policy.horizon, policy.actionSteps]).toEqual([2, 16, 8]);

        // What the bench's policySampler does: normalised obs, the EMA model's encoder, the
        // algorithm's sampler with ctx { flowMap, interpolant, ...lossOptions }, unnormalised output.
        const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
        const net = await loadWeights(join(dir, 'checkpoint/ema/network'));
        const encManifest = JSON.parse(
          await readFile(join(dir, 'checkpoint/ema/encoder/manifest.json'), 'utf8'),
        );
        const enc = createEncoder(encManifest.kind, encManifest.config);
        await loadWeightsInto(enc as unknown as Network, join(dir, 'checkpoint/ema/encoder'));
        const { obs: nObs, action: nAct } = await loadNormalizers(join(dir, 'normalizers.json'));
        const B = 4;
        const obs = observations(B, 5);
        const sampler = POLICY_SAMPLERS[samplerName]!;
        const out = tf.tidy(() => {
          const cond = enc.encode(tf.tensor3d(nObs!.normalize(obs), [B, 2, 5]), { training: false });
          const ctx = {
            flowMap: new FlowMap(net),
            interpolant: new Interpolant(config.interpolant),
            ...config.lossOptions,
          };
          return sampler(ctx, cond, {
            ...config.lossOptions,
            steps: nfe,
            start,
            seed: 77,
            batch: B,
            horizon: 16,
            actDim: 2,
          });
        });
        const want = nAct!.unnormalize(out.dataSync() as Float32Array);
        out.dispose();
        net.dispose();
        enc.dispose();
        expect(Array.from(policy.act(obs, { nfe, seed: 77 }).data)).toEqual(Array.from(want));
        policy.dispose();
      },
    );
  },
);
