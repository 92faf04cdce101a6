// Every loss with every network kind of @mipjs/nets: finite loss, finite non-zero gradients, one step.
import { Interpolant, RandomStream } from '@mipjs/interpolant';
import {
  createNetwork,
  FlowMap,
  installHigherOrderGradientFix,
  NETWORK_KINDS,
  type Network,
} from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ctmLoss,
  esdLoss,
  flowLoss,
  type LossFn,
  lmdLoss,
  lsdLoss,
  mfLoss,
  mipLoss,
  mipOneStepIntegrateLoss,
  mipOriginLoss,
  psdLoss,
  regressionLoss,
  straightFlowLoss,
  tsdLoss,
} from './index.js';
import { useCpu } from './test-utils/setup.js';

const SHAPE = { actDim: 2, horizon: 4, obsSteps: 2, condDim: 3 };
const TINY: Record<string, Record<string, unknown>> = {
  mlp: { embDim: 8, nLayers: 1, timestepEmbDim: 4, dropout: 0.1 },
  vanilla_mlp: { embDim: 8, nLayers: 1, dropout: 0.1 },
  'vanilla_mlp film': { embDim: 8, nLayers: 1, dropout: 0.1, conditioning: 'film' },
  rnn: { embDim: 6, nLayers: 1, timestepEmbDim: 4, dropout: 0.1 },
  vanilla_rnn: { embDim: 6, nLayers: 1, dropout: 0.1 },
  chiunet: { embDim: 8, modelDim: 8, kernelSize: 3, dimMult: [1, 2] },
  jannerunet: { embDim: 8, modelDim: 8, dimMult: [1, 2], attention: true },
  chitransformer: { embDim: 8, nLayers: 1, nHeads: 2, dropout: 0.1 },
  sudeepdit: { embDim: 8, nLayers: 1, nHeads: 2, dropout: 0.1 },
};
const tinyOptions = (kind: string, seed: number) => ({
  ...SHAPE,
  seed,
  ...(TINY[kind] ?? { embDim: 8, nLayers: 1 }),
});

type AnyLoss = LossFn<Record<string, unknown>>;
const LOSSES: [string, AnyLoss, boolean][] = [
  ['flow', flowLoss as AnyLoss, false],
  ['regression', regressionLoss as AnyLoss, false],
  ['straight_flow', straightFlowLoss as AnyLoss, false],
  ['tsd', tsdLoss as AnyLoss, false],
  ['mip', mipLoss as AnyLoss, false],
  ['mip_origin', mipOriginLoss as AnyLoss, false],
  ['mip_one_step_integrate', mipOneStepIntegrateLoss as AnyLoss, false],
  ['ctm', ctmLoss as AnyLoss, true],
  ['lmd', lmdLoss as AnyLoss, true],
  ['psd', psdLoss as AnyLoss, false],
  ['lsd', lsdLoss as AnyLoss, false],
  ['esd', esdLoss as AnyLoss, false],
  ['mf', mfLoss as AnyLoss, false],
];

let action: tf.Tensor3D;
let cond: tf.Tensor3D;
beforeAll(async () => {
  await useCpu();
  installHigherOrderGradientFix();
  action = tf.randomNormal([2, SHAPE.horizon, SHAPE.actDim], 0, 1, 'float32', 1) as tf.Tensor3D;
  cond = tf.randomNormal([2, SHAPE.obsSteps, SHAPE.condDim], 0, 1, 'float32', 2) as tf.Tensor3D;
});
afterAll(() => tf.dispose([action, cond]));

function trainStep(net: Network, teacher: Network | undefined, loss: AnyLoss, jvpMode?: 'double-vjp') {
  const ctx = {
    flowMap: new FlowMap(net, jvpMode ? { jvpMode } : {}),
    teacher: teacher ? new FlowMap(teacher) : undefined,
    interpolant: new Interpolant(),
    rng: new RandomStream(7),
    training: true,
    options: {},
  };
  const vars = net.variables.filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => loss(ctx, { action, cond, deltaT: 0.5 }).loss, vars);
  const lossValue = value.dataSync()[0];
  let maxAbs = 0;
  let finite = true;
  for (const g of Object.values(grads)) {
    const d = g.dataSync();
    for (const x of d) {
      if (!Number.isFinite(x)) finite = false;
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
  }
  const optimizer = new tf.SGDOptimizer(1e-3);
  optimizer.applyGradients(grads);
  optimizer.dispose();
  const after = loss(ctx, { action, cond, deltaT: 0.5 });
  const afterValue = after.loss.dataSync()[0];
  tf.dispose([value, after.loss, ...Object.values(after.terms), ...Object.values(grads)]);
  return { lossValue, afterValue, maxAbs, finite };
}

// Every kind, and the options that change a kind's graph (vanilla_mlp's FiLM conditioning).
const VARIANTS: [string, string][] = [
  ...NETWORK_KINDS.map((k): [string, string] => [k, k]),
  ['vanilla_mlp film', 'vanilla_mlp'],
];

describe.each(VARIANTS)('every loss with network kind %s', (variant, kind) => {
  for (const [name, loss, needsTeacher] of LOSSES) {
    it(name, () => {
      const before = tf.memory().numTensors;
      const net = createNetwork(kind, tinyOptions(variant, 3));
      const teacher = needsTeacher ? createNetwork(kind, tinyOptions(variant, 4)) : undefined;
      const r = trainStep(net, teacher, loss);
      expect(Number.isFinite(r.lossValue)).toBe(true);
      expect(Number.isFinite(r.afterValue)).toBe(true);
      expect(r.finite).toBe(true);
      expect(r.maxAbs).toBeGreaterThan(0);
      net.dispose();
      teacher?.dispose();
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
    });
  }
});

describe('JVP losses through the double-VJP path of a real network', () => {
  for (const [name, loss, needsTeacher] of LOSSES.filter(([n]) => ['lmd', 'lsd', 'esd', 'mf'].includes(n))) {
    it(`${name} with an mlp`, () => {
      const net = createNetwork('mlp', tinyOptions('mlp', 5));
      const teacher = needsTeacher ? createNetwork('mlp', tinyOptions('mlp', 6)) : undefined;
      const r = trainStep(net, teacher, loss, 'double-vjp');
      expect(Number.isFinite(r.lossValue)).toBe(true);
      expect(r.finite).toBe(true);
      expect(r.maxAbs).toBeGreaterThan(0);
      net.dispose();
      teacher?.dispose();
    });
  }

  it('forward mode and double-VJP give the same loss and gradients (lsd, mlp, eval mode)', () => {
    const net = createNetwork('mlp', { ...tinyOptions('mlp', 8), dropout: 0 });
    const run = (jvpMode: 'forward' | 'double-vjp') => {
      const ctx = {
        flowMap: new FlowMap(net, { jvpMode }),
        interpolant: new Interpolant(),
        rng: new RandomStream(9),
        options: { stopGradients: false },
      };
      const { value, grads } = tf.variableGrads(
        () => lsdLoss(ctx, { action, cond }).loss,
        net.variables.filter((v) => v.trainable),
      );
      const out = {
        value: value.dataSync()[0],
        grads: Object.values(grads).map((g) => Array.from(g.dataSync())),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const fwd = run('forward');
    const dv = run('double-vjp');
    expect(Math.abs(fwd.value - dv.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fwd.value)));
    fwd.grads.forEach((g, i) => g.forEach((x, j) => expect(Math.abs(x - dv.grads[i][j])).toBeLessThan(1e-4)));
    net.dispose();
  });
});
