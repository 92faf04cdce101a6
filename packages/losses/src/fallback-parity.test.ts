// The double-VJP fallback of FlowMap (networks without applyWithTangent) against the forward-mode
// path, inside a real training step: same draws, same dropout seeds, so the loss value and every
// weight gradient must agree to float32 roundoff. This is the case the JVP unit tests cannot see:
// the JVP is taken inside the loss's variableGrads, and its argument (s or t) also feeds the
// network's other inputs (I_s, and s = max(s, t - deltaT) when the deltaT clamp is active).
import { Interpolant, RandomStream } from '@mipjs/interpolant';
import { createNetwork, FlowMap, installHigherOrderGradientFix, type Network } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctmLoss, esdLoss, type LossFn, lmdLoss, lsdLoss, mfLoss, psdLoss } from './index.js';
import { useCpu } from './test-utils/setup.js';

const SHAPE = { actDim: 2, horizon: 4, obsSteps: 2, condDim: 3 };
const B = 4;
/**
 * The networks: a small MLP (its tangent pass stripped) and big architectures, with the cases each
 * runs (all when absent). ChiUNet uses Mish (tanh, softplus), so its fallback's third-order
 * gradients also go through the re-registered gradients of installHigherOrderGradientFix; it is
 * the slowest (about 1 s a case), hence two cases with the clamp active.
 */
const NETS: [string, Record<string, unknown>, string[]?][] = [
  ['mlp', { embDim: 8, nLayers: 2, timestepEmbDim: 4, dropout: 0.1 }],
  ['chitransformer', { embDim: 8, nLayers: 1, nHeads: 2, dropout: 0.1 }],
  [
    'chiunet',
    { embDim: 8, modelDim: 4, kernelSize: 3, dimMult: [1, 2] },
    ['lsd, deltaT 0.05', 'esd, deltaT 0.05'],
  ],
];

type AnyLoss = LossFn<Record<string, unknown>>;
/** [name, loss, options, needs a teacher]. psd and ctm take no JVP: they must agree trivially. */
const CASES: [string, AnyLoss, Record<string, unknown>, boolean][] = [
  ['lsd', lsdLoss as AnyLoss, {}, false],
  ['lsd (no stop-gradient)', lsdLoss as AnyLoss, { stopGradients: false }, false],
  ['esd', esdLoss as AnyLoss, {}, false],
  [
    'esd (reference, no stop-gradient)',
    esdLoss as AnyLoss,
    { variant: 'reference', stopGradients: false },
    false,
  ],
  ['mf', mfLoss as AnyLoss, {}, false],
  ['lmd', lmdLoss as AnyLoss, {}, true],
  ['psd', psdLoss as AnyLoss, {}, false],
  ['ctm', ctmLoss as AnyLoss, {}, true],
];

/** The same network without its forward-mode pass: what a contributed architecture looks like. */
function withoutTangent(net: Network): Network {
  return {
    kind: net.kind,
    config: net.config,
    horizon: net.horizon,
    actDim: net.actDim,
    obsSteps: net.obsSteps,
    condDim: net.condDim,
    variables: net.variables,
    apply: (x, s, t, cond, options) => net.apply(x, s, t, cond, options),
    dispose: () => net.dispose(),
  };
}

let action: tf.Tensor3D;
let cond: tf.Tensor3D;
beforeAll(async () => {
  await useCpu();
  installHigherOrderGradientFix();
  action = tf.randomNormal([B, SHAPE.horizon, SHAPE.actDim], 0, 1, 'float32', 1) as tf.Tensor3D;
  cond = tf.randomNormal([B, SHAPE.obsSteps, SHAPE.condDim], 0, 1, 'float32', 2) as tf.Tensor3D;
});
afterAll(() => tf.dispose([action, cond]));

/** One training step's loss value and weight gradients (training mode: dropout on, seeded). */
function step(
  net: Network,
  teacher: Network | undefined,
  loss: AnyLoss,
  options: Record<string, unknown>,
  deltaT: number,
) {
  const ctx = {
    flowMap: new FlowMap(net),
    teacher: teacher ? new FlowMap(teacher) : undefined,
    interpolant: new Interpolant(),
    rng: new RandomStream(11),
    training: true,
    options,
  };
  const vars = net.variables.filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => loss(ctx, { action, cond, deltaT }).loss, vars);
  const out = {
    value: value.dataSync()[0],
    grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array])),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** Largest relative error of the fallback against forward mode: the value, then each gradient by norm. */
function worstRelativeError(
  forward: ReturnType<typeof step>,
  fallback: ReturnType<typeof step>,
): { value: number; grad: number; name: string } {
  const value = Math.abs(fallback.value - forward.value) / Math.abs(forward.value);
  let grad = 0;
  let name = '';
  expect(Object.keys(fallback.grads).sort()).toEqual(Object.keys(forward.grads).sort());
  for (const [k, g] of Object.entries(forward.grads)) {
    const h = fallback.grads[k];
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < g.length; i++) {
      diff += (h[i] - g[i]) ** 2;
      norm += g[i] ** 2;
    }
    const rel = norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    if (rel > grad) [grad, name] = [rel, k];
  }
  return { value, grad, name };
}

describe.each(NETS)(
  'fallback (double-VJP) = forward mode inside a training step, %s',
  (kind, sizes, only) => {
    const options = (seed: number) => ({ ...SHAPE, ...sizes, seed });
    for (const [name, loss, lossOptions, needsTeacher] of CASES) {
      for (const deltaT of [1, 0.05]) {
        const title = `${name}, deltaT ${deltaT}`;
        if (only && !only.includes(title)) continue;
        it(title, () => {
          const net = createNetwork(kind, options(3));
          const teacher = needsTeacher ? createNetwork(kind, options(4)) : undefined;
          expect(net.applyWithTangent).toBeDefined();
          const forward = step(net, teacher, loss, lossOptions, deltaT);
          const fallback = step(withoutTangent(net), teacher, loss, lossOptions, deltaT);
          const err = worstRelativeError(forward, fallback);
          err.name = net.namedVariables?.find(({ variable }) => variable.name === err.name)?.name ?? err.name;
          // One assertion that reports both numbers: the value's and the worst gradient's error.
          expect(Math.max(err.value, err.grad), JSON.stringify(err)).toBeLessThan(1e-5);
          net.dispose();
          teacher?.dispose();
        });
      }
    }
  },
);
