import { createNetwork, FlowMap } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../config/config.js';
import { policySampler } from '../evaluate/evaluate.js';
import type { Model } from '../model/model.js';
import type { Task } from '../tasks/task.js';
import { algorithmFor, builtinAlgorithms } from './algorithms.js';
import { nfeList, SAMPLER_CHOICES, withSampler } from './samplers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const byName = (name: string) => builtinAlgorithms().find((a) => a.name === name)!;

/** A real MLP whose flow map counts its network calls (velocity evaluations). */
function countingModel(): { model: Model; calls: () => number } {
  const network = createNetwork('mlp', {
    actDim: 2,
    horizon: 3,
    obsSteps: 1,
    condDim: 1,
    embDim: 8,
    nLayers: 1,
    timestepEmbDim: 4,
  });
  const flowMap = new FlowMap(network);
  let n = 0;
  const velocity = flowMap.velocity.bind(flowMap);
  flowMap.velocity = ((...args: Parameters<FlowMap['velocity']>) => {
    n++;
    return velocity(...args);
  }) as FlowMap['velocity'];
  const model = {
    network,
    flowMap,
    encoder: null,
    variables: [],
    encode: () => null,
    dispose: () => network.dispose(),
  } as unknown as Model;
  return { model, calls: () => n };
}

const TOY = { horizon: 3, actDim: 2, obsSteps: 0, obsDim: 0 } as unknown as Task;

describe('--sampler: the sampler table and honest NFE', () => {
  it.each([
    ['euler', 1],
    ['heun', 2],
    ['midpoint', 2],
  ])('flow with %s at NFE 4 makes exactly 4 network calls (%i per step)', async (name, perStep) => {
    const config = resolveRunConfig({}, { algorithm: 'flow', sampler: name, evalNfe: [4] });
    const algorithm = withSampler(byName('flow'), config);
    expect(algorithm.callsPerStep ?? 1).toBe(perStep);
    expect(algorithm.samplerName).toBe(SAMPLER_CHOICES[name]!.policyName);
    const { model, calls } = countingModel();
    const before = tf.memory().numTensors;
    const out = await policySampler(model, algorithm, TOY, config)(null, 5, 4, 0);
    expect(out).toHaveLength(5 * 3 * 2);
    expect(calls()).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("scales the algorithm's default steps by the calls per step, and refuses an NFE that is no whole step", () => {
    const heun = withSampler(byName('lsd'), { sampler: 'heun' });
    expect(nfeList(heun, [])).toEqual([18, 6, 2]);
    expect(nfeList(heun, [2, 8])).toEqual([2, 8]);
    // A preset's list (no flag, no file key) keeps its whole steps; a list the user gave must be whole.
    expect(nfeList(heun, [1, 2, 4, 8, 16])).toEqual([2, 4, 8, 16]);
    const typed = resolveRunConfig({}, { algorithm: 'lsd', sampler: 'heun', evalNfe: [2, 3] });
    expect(() => nfeList(heun, typed.evalNfe, typed)).toThrow(
      /^invalid config: --nfe: NFE 3 is not a whole number of steps.*multiples of 2$/,
    );
    expect(nfeList(withSampler(byName('lsd'), { sampler: 'flow_map' }), [])).toEqual([9, 3, 1]);
    // Fixed-call algorithms keep their NFE and take no other sampler.
    expect(nfeList(byName('mip'), [])).toEqual([2]);
    expect(() => withSampler(byName('mip'), { sampler: 'euler' })).toThrow(
      /sampler 'euler' does not fit algorithm 'mip'; compatible: auto$/,
    );
  });

  it('algorithmFor applies the config sampler; --nfe is checked before training', async () => {
    const ok = await algorithmFor(resolveRunConfig({}, { algorithm: 'flow', sampler: 'midpoint' }));
    expect(ok.samplerName).toBe('midpointSampler');
    await expect(
      algorithmFor(resolveRunConfig({}, { algorithm: 'flow', sampler: 'heun', evalNfe: [1] })),
    ).rejects.toThrow(/^invalid config: --nfe: NFE 1 is not a whole number/);
  });
});
