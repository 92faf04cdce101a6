import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from '../count-parameters.js';
import { createNetwork, NETWORK_KINDS } from '../create-network.js';
import { FlowMap } from '../flow-map.js';
import type { Network } from '../network.js';
import { centralDifference, relError } from '../test-utils/numeric.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Dims {
  B: number;
  H: number;
  A: number;
  To: number;
  E: number;
}

const TINY = { embDim: 16, nLayers: 2, timestepEmbDim: 8, maxFreq: 4 };

const KINDS = [
  ['mlp', { ...TINY }],
  ['mlp', { ...TINY, activation: 'silu' }],
  ['vanilla_mlp', { embDim: 16, nLayers: 2 }],
  ['vanilla_mlp', { embDim: 16, nLayers: 2, conditioning: 'film' }],
  ['rnn', { ...TINY, rnnType: 'lstm' }],
  ['rnn', { ...TINY, rnnType: 'gru' }],
  ['vanilla_rnn', { embDim: 16, nLayers: 2, rnnType: 'lstm' }],
  ['vanilla_rnn', { embDim: 16, nLayers: 1, rnnType: 'gru' }],
] as const;

function build(kind: string, extra: object, d: Dims, more: object = {}): Network {
  return createNetwork(kind, {
    actDim: d.A,
    horizon: d.H,
    obsSteps: d.To,
    condDim: d.E,
    seed: 1,
    ...extra,
    ...more,
  } as Record<string, unknown>);
}

function inputs(d: Dims, seed = 0) {
  return {
    x: tf.randomNormal([d.B, d.H, d.A], 0, 1, 'float32', seed + 1) as tf.Tensor3D,
    s: tf.randomUniform([d.B], 0, 1, 'float32', seed + 2) as tf.Tensor1D,
    t: tf.randomUniform([d.B], 0, 1, 'float32', seed + 3) as tf.Tensor1D,
    cond: tf.randomNormal([d.B, d.To, d.E], 0, 1, 'float32', seed + 4) as tf.Tensor3D,
  };
}

const D: Dims = { B: 3, H: 4, A: 2, To: 2, E: 3 };

describe.each(KINDS)('%s %o', (kind, extra) => {
  it('output shapes at several (B, H, A, To), with and without cond', () => {
    for (const d of [
      { B: 1, H: 1, A: 1, To: 1, E: 2 },
      { B: 4, H: 8, A: 2, To: 2, E: 3 },
      { B: 2, H: 5, A: 7, To: 3, E: 4 },
    ]) {
      const net = build(kind, extra, d);
      const { x, s, t, cond } = inputs(d);
      expect(net.apply(x, s, t, cond).shape).toEqual([d.B, d.H, d.A]);
      expect(net.apply(x, s, t, null).shape).toEqual([d.B, d.H, d.A]);
      // null cond == zeros
      expect(relError(net.apply(x, s, t, null), net.apply(x, s, t, tf.zerosLike(cond)))).toBe(0);
      net.dispose();
    }
  });

  it('gradients reach x, s, t, cond and the weights', () => {
    const net = build(kind, extra, D);
    const { x, s, t, cond } = inputs(D);
    // Kick the zero-init head so every weight gets a gradient path.
    const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, e: tf.Tensor) =>
      tf.sum(tf.square(net.apply(a as tf.Tensor3D, b as tf.Tensor1D, c as tf.Tensor1D, e as tf.Tensor3D))),
    )([x, s, t, cond]);
    gs.forEach((g, i) => {
      expect(g.shape).toEqual([x, s, t, cond][i].shape);
      expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    });
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x, s, t, cond))) as tf.Scalar);
    const nonzero = Object.values(grads).filter((g) => tf.sum(tf.abs(g)).dataSync()[0] > 0).length;
    expect(nonzero).toBeGreaterThan(net.variables.length / 2);
    net.dispose();
  });

  it('forward-mode jvpS, jvpT, jvpX and a combined jvp match double-VJP (1e-5) and central differences (1e-3)', () => {
    const net = build(kind, extra, D, { dropout: 0 });
    const fwd = new FlowMap(net);
    expect(fwd.jvpMode).toBe('forward');
    const ref = new FlowMap(net, { jvpMode: 'double-vjp' });
    const { x, s, t, cond } = inputs(D, 5);
    const v = tf.randomNormal(x.shape, 0, 1, 'float32', 9) as tf.Tensor3D;
    // ReLU kinks: a smaller step keeps the difference on one side of them.
    const h = kind.startsWith('vanilla') ? 1e-3 : 1e-2;
    const cases = [
      [
        's',
        fwd.jvpS(s, t, x, cond),
        ref.jvpS(s, t, x, cond),
        (e: tf.Tensor) => fwd.map(tf.add(s, e), t, x, cond),
      ],
      [
        't',
        fwd.jvpT(s, t, x, cond),
        ref.jvpT(s, t, x, cond),
        (e: tf.Tensor) => fwd.map(s, tf.add(t, e), x, cond),
      ],
      [
        'x',
        fwd.jvpX(s, t, x, v, cond),
        ref.jvpX(s, t, x, v, cond),
        (e: tf.Tensor) => fwd.map(s, t, tf.add(x, tf.mul(e.slice([0], [1]).reshape([]), v)), cond),
      ],
      [
        // every direction at once, in one pass: (ds, dt, dx) = (1, 1/2, v)
        'sx',
        fwd.jvp(s, t, x, cond, { s: tf.onesLike(s), t: tf.mul(tf.onesLike(t), 0.5) as tf.Tensor1D, x: v }),
        ref.jvp(s, t, x, cond, { s: tf.onesLike(s), t: tf.mul(tf.onesLike(t), 0.5) as tf.Tensor1D, x: v }),
        (e: tf.Tensor) => {
          const eps = e.slice([0], [1]).reshape([]);
          return fwd.map(tf.add(s, eps), tf.add(t, tf.mul(eps, 0.5)), tf.add(x, tf.mul(eps, v)), cond);
        },
      ],
    ] as const;
    for (const [name, a, b, shifted] of cases) {
      expect(relError(a.map, b.map), name).toBeLessThan(1e-6);
      expect(relError(a.tangent, b.tangent), name).toBeLessThan(1e-5);
      const ones = name === 'x' || name === 'sx' ? tf.ones([1]) : tf.onesLike(s);
      const fd = centralDifference((e) => shifted(e), tf.zerosLike(ones), ones, h);
      // float32 rounding over the small step of the ReLU nets costs a little more.
      expect(relError(a.tangent, fd), name).toBeLessThan(kind.startsWith('vanilla') ? 3e-3 : 1e-3);
    }
    // Training mode with a fixed seed: same masks in the map, its tangent and the oracle.
    const opts = { training: true, dropoutSeed: 3 };
    const net2 = build(kind, extra, D, { dropout: 0.3 });
    const a = new FlowMap(net2).jvpT(s, t, x, cond, opts);
    const b = new FlowMap(net2, { jvpMode: 'double-vjp' }).jvpT(s, t, x, cond, opts);
    expect(relError(a.tangent, b.tangent)).toBeLessThan(1e-5);
    expect(relError(a.map, new FlowMap(net2).map(s, t, x, cond, opts))).toBe(0);
    net.dispose();
    net2.dispose();
  });

  it('does not leak tensors (apply; a JVP inside tidy)', () => {
    const net = build(kind, extra, D);
    const fm = new FlowMap(net);
    const { x, s, t, cond } = inputs(D);
    const before = tf.memory().numTensors;
    net.apply(x, s, t, cond).dispose();
    net.apply(x, s, t, null, { training: true }).dispose();
    tf.tidy(() => {
      fm.jvpT(s, t, x, cond, { training: true });
      fm.jvpX(s, t, x, x, null);
    });
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it('rejects inputs of the wrong shape, naming the argument', () => {
    const net = build(kind, extra, D);
    const { x, s, t, cond } = inputs(D);
    expect(() => net.apply(tf.zeros([3, 4]) as unknown as tf.Tensor3D, s, t, cond)).toThrow(
      /x must have shape \[B, H=4, A=2\]/,
    );
    expect(() => net.apply(tf.zeros([3, 4, 3]) as tf.Tensor3D, s, t, cond)).toThrow(/x must have shape/);
    expect(() => net.apply(x, tf.zeros([2]) as tf.Tensor1D, t, cond)).toThrow(/s must have shape \[B=3\]/);
    expect(() => net.apply(x, s, tf.zeros([3, 1]) as unknown as tf.Tensor1D, cond)).toThrow(
      /t must have shape \[B=3\]/,
    );
    expect(() => net.apply(x, s, t, tf.zeros([3, 2, 5]) as tf.Tensor3D)).toThrow(
      /cond must have shape \[B=3, To=2, E=3\]/,
    );
    net.dispose();
  });

  it('rebuilds from its config with createNetwork (same outputs for the same seed)', () => {
    const net = build(kind, extra, D);
    const copy = createNetwork(net.kind, net.config as Record<string, unknown>);
    const { x, s, t, cond } = inputs(D);
    expect(relError(copy.apply(x, s, t, cond), net.apply(x, s, t, cond))).toBe(0);
    expect(countParameters(copy)).toBe(countParameters(net));
    const names = (net.namedVariables ?? []).map((v) => v.name);
    expect(new Set(names).size).toBe(net.variables.length);
    net.dispose();
    copy.dispose();
  });
});

describe('time-disabled networks ignore s and t', () => {
  it.each(['mlp', 'rnn'])('%s', (kind) => {
    const net = build(kind, { ...TINY, disableTimeEmbedding: true }, D);
    const { x, s, t, cond } = inputs(D);
    const y1 = net.apply(x, s, t, cond);
    const y2 = net.apply(x, tf.add(s, 0.3) as tf.Tensor1D, tf.sub(t, 0.2) as tf.Tensor1D, cond);
    expect(relError(y1, y2)).toBeLessThan(1e-6);
    const { dy } = net.applyWithTangent!(x, s, t, cond, { s: tf.onesLike(s), t: tf.onesLike(t) });
    expect(tf.max(tf.abs(dy)).dataSync()[0]).toBe(0);
    net.dispose();
  });
});

describe('factory and sizes', () => {
  it('unknown kind and activation list the valid values', () => {
    expect(() => createNetwork('resnet', {})).toThrow(
      /unknown network kind 'resnet'; valid: mlp, vanilla_mlp, rnn, vanilla_rnn/,
    );
    expect(() => build('mlp', { ...TINY, activation: 'swish' }, D)).toThrow(
      /unknown activation 'swish'; valid: gelu/,
    );
    expect(() => build('rnn', { ...TINY, rnnType: 'elman' }, D)).toThrow(/valid: lstm, gru/);
    expect(NETWORK_KINDS).toContain('mlp');
  });

  it('dropout masks follow the seed', () => {
    const net = build('mlp', { ...TINY, dropout: 0.5 }, D);
    const { x, s, t, cond } = inputs(D);
    const a = net.apply(x, s, t, cond, { training: true, dropoutSeed: 1 });
    expect(relError(net.apply(x, s, t, cond, { training: true, dropoutSeed: 1 }), a)).toBe(0);
    expect(relError(net.apply(x, s, t, cond, { training: true, dropoutSeed: 2 }), a)).toBeGreaterThan(1e-3);
    expect(relError(net.apply(x, s, t, cond, { training: true }), a)).toBeGreaterThan(1e-3);
    net.dispose();
  });

  it('the default MLP has 17,661,089 parameters (A 10, H 16, To 2, E 512), 17,529,889 for A 2', () => {
    // The count does not depend on the init; a Gaussian init skips the slow orthogonalisation.
    const net = createNetwork('mlp', {
      actDim: 10,
      horizon: 16,
      obsSteps: 2,
      condDim: 512,
      init: 'normal-0.02',
    });
    expect(countParameters(net)).toBe(17_661_089);
    net.dispose();
    const pusht = createNetwork('mlp', { actDim: 2, horizon: 16, obsSteps: 2, condDim: 512, init: 'zeros' });
    expect(countParameters(pusht)).toBe(17_529_889);
    pusht.dispose();
  });

  it('MLP with 4 layers has 4 residual blocks', () => {
    const net = build('mlp', { ...TINY, nLayers: 4 }, D);
    const names = net.namedVariables!.map((v) => v.name);
    expect(names.filter((n) => n.endsWith('fc1/kernel'))).toHaveLength(4);
    net.dispose();
  });
});
