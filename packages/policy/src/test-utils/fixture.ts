import { join } from 'node:path';
import { formatNormalizersJSON, MinMaxNormalizer, saveNormalizers } from '@mipjs/data';
import { createEncoder, createNetwork, type Network, saveWeights, serializeWeights } from '@mipjs/nets';
import type { PolicyManifest, PolicySamplerSpec } from '../manifest.js';
import { writePolicyManifest } from '../node/index.js';

/** PushT-like shapes: state obs 5-D, action 2-D, H 16, To 2, Ta 8. */
export const SHAPE = { obsDim: 5, actDim: 2, horizon: 16, obsSteps: 2, actionSteps: 8 } as const;

/** Normalizers over PushT's ranges (pixels, radians). */
export function pushtNormalizers() {
  return {
    obs: new MinMaxNormalizer([13.5, 32.9, 57, 108, 0], [496, 511, 440, 486, 6.28]),
    action: new MinMaxNormalizer([12, 12], [511, 511]),
  };
}

/** The manifest the bench writes for a run (paths as in a bench run folder). */
export function manifestFor(
  algorithm: string,
  sampler: PolicySamplerSpec,
  extra: Partial<PolicyManifest> = {},
): PolicyManifest {
  return {
    format: 'mipjs-policy',
    version: 1,
    algorithm,
    task: 'pusht',
    sampler,
    interpolant: 'linear',
    defaultNfe: 2,
    obsSteps: SHAPE.obsSteps,
    horizon: SHAPE.horizon,
    actionSteps: SHAPE.actionSteps,
    obs: { dim: SHAPE.obsDim, keys: ['state'], units: 'pixels, pixels, pixels, pixels, radians' },
    action: { dim: SHAPE.actDim, keys: ['action'], units: 'pixels' },
    network: { kind: 'mlp', weights: 'checkpoint/ema/network' },
    encoder: { kind: 'mlp', weights: 'checkpoint/ema/encoder' },
    normalizers: 'normalizers.json',
    ...extra,
  };
}

/** A small random network + MLP encoder of the PushT shapes (seeded). */
export function tinyModel(seed = 0) {
  const encoder = createEncoder('mlp', {
    obsDim: SHAPE.obsDim,
    obsSteps: SHAPE.obsSteps,
    embDim: 16,
    seed: seed + 1,
  });
  const network = createNetwork('mlp', {
    actDim: SHAPE.actDim,
    horizon: SHAPE.horizon,
    obsSteps: SHAPE.obsSteps,
    condDim: 16,
    embDim: 32,
    nLayers: 1,
    init: 'normal-0.02',
    seed,
  });
  return {
    network,
    encoder,
    dispose: () => {
      network.dispose();
      encoder.dispose();
    },
  };
}

/** Writes a run folder as the bench lays it out: EMA weights, normalizers.json, policy.json. */
export async function writeRun(dir: string, manifest: PolicyManifest, seed = 0): Promise<void> {
  const model = tinyModel(seed);
  try {
    await saveWeights(model.network, join(dir, 'checkpoint', 'ema', 'network'));
    await saveWeights(model.encoder as unknown as Network, join(dir, 'checkpoint', 'ema', 'encoder'));
  } finally {
    model.dispose();
  }
  await saveNormalizers(join(dir, 'normalizers.json'), pushtNormalizers());
  await writePolicyManifest(dir, manifest);
}

/** The same run as in-memory files (what a browser would fetch). */
export function runFiles(manifest: PolicyManifest, seed = 0): Record<string, Uint8Array | string> {
  const model = tinyModel(seed);
  try {
    const files: Record<string, Uint8Array | string> = {};
    for (const [part, module] of [
      ['network', model.network],
      ['encoder', model.encoder as unknown as Network],
    ] as const) {
      const { manifest: m, data } = serializeWeights(module);
      files[`checkpoint/ema/${part}/manifest.json`] = JSON.stringify(m);
      files[`checkpoint/ema/${part}/weights.bin`] = data;
    }
    files['normalizers.json'] = formatNormalizersJSON(pushtNormalizers());
    files['policy.json'] = JSON.stringify(manifest);
    return files;
  } finally {
    model.dispose();
  }
}

/** Observation histories [B, To, D] inside PushT's ranges, deterministic. */
export function observations(batch: number, salt = 0): Float32Array {
  const out = new Float32Array(batch * SHAPE.obsSteps * SHAPE.obsDim);
  const scale = [500, 500, 440, 480, 6.2];
  for (let i = 0; i < out.length; i++)
    out[i] = ((Math.sin(i * 12.9898 + salt * 78.233) + 1) / 2) * scale[i % 5]!;
  return out;
}
