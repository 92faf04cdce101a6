import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countParameters } from './count-parameters.js';
import { createEncoder } from './encoders.js';
import { MultiImageObsEncoder } from './image-encoder.js';
import { VariableStore } from './layers/module.js';
import { ResNet } from './resnet.js';

/**
 * ResNet-18 without its classifier, counted by hand from torchvision's layer list: every conv has
 * no bias; every norm (BatchNorm in torchvision, GroupNorm here) has 2 C affine parameters.
 */
function resnet18TrunkParameters(): number {
  const conv = (k: number, i: number, o: number) => k * k * i * o;
  const norm = (c: number) => 2 * c;
  const stem = conv(7, 3, 64) + norm(64);
  const block = (i: number, o: number, down: boolean) =>
    conv(3, i, o) + norm(o) + conv(3, o, o) + norm(o) + (down ? conv(1, i, o) + norm(o) : 0);
  const stage = (i: number, o: number) => block(i, o, i !== o) + block(o, o, false);
  return stem + stage(64, 64) + stage(64, 128) + stage(128, 256) + stage(256, 512);
}

// A tiny configuration for everything that runs: 16 x 16 frames cropped to 12 x 12, widths 4-8.
const TINY = {
  obsDim: 16 * 16 * 3 + 2,
  obsSteps: 2,
  embDim: 8,
  imageShape: [16, 16, 3],
  cropShape: [12, 12],
  widths: [4, 8],
  blocks: [1, 1],
  groupChannels: 4,
  seed: 3,
};

function tinyObs(b: number, seed = 1): tf.Tensor3D {
  return tf.randomUniform([b, 2, TINY.obsDim], -1, 1, 'float32', seed) as tf.Tensor3D;
}

describe('MultiImageObsEncoder (the reference image encoder)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('PushT config: 11,702,848 parameters = ResNet-18 trunk 11,176,512 + Linear(514, 512) + Linear(512, 512)', () => {
    // torchvision documents resnet18 at 11,689,512 parameters, of which fc = Linear(512, 1000) is 513,000.
    expect(resnet18TrunkParameters()).toBe(11_689_512 - 513_000);
    const store = new VariableStore(0);
    const trunk = new ResNet(store.root());
    expect(countParameters({ variables: store.variables })).toBe(resnet18TrunkParameters());
    expect(trunk.outDim).toBe(512);
    store.dispose();
    const encoder = createEncoder('image', {
      obsDim: 96 * 96 * 3 + 2,
      obsSteps: 2,
      embDim: 512,
      imageShape: [96, 96, 3],
      cropShape: [84, 84],
    } as Parameters<typeof createEncoder>[1]);
    const projection = (512 + 2) * 512 + 512 + 512 * 512 + 512;
    expect(countParameters(encoder)).toBe(resnet18TrunkParameters() + projection);
    expect(countParameters(encoder)).toBe(11_702_848);
    // Names follow torchvision's state dict under one camera prefix.
    const names = encoder.namedVariables.map((v) => v.name);
    expect(names).toContain('cameras.0/conv1/kernel');
    expect(names).toContain('cameras.0/layer2/0/downsample/0/kernel');
    expect(names).toContain('cameras.0/layer4/1/bn2/gamma');
    expect(names.slice(-4)).toEqual([
      'projection.0/kernel',
      'projection.0/bias',
      'projection.2/kernel',
      'projection.2/bias',
    ]);
    // GroupNorm groups: C / 16 (64 -> 4, 512 -> 32); the variable shapes do not show groups, the config does.
    expect(encoder.config).toMatchObject({ kind: 'image', groupChannels: 16, cropShape: [84, 84] });
    encoder.dispose();
  });

  it('two cameras: one trunk each, F = 2 x 512 + low-dim', () => {
    const e = new MultiImageObsEncoder({ ...TINY, obsDim: 2 * 16 * 16 * 3 + 5, cameras: 2 });
    const kernel = e.namedVariables.find((v) => v.name === 'projection.0/kernel')!.variable;
    expect(kernel.shape).toEqual([2 * 8 + 5, 8]);
    expect(e.namedVariables.some((v) => v.name.startsWith('cameras.1/'))).toBe(true);
    const y = e.encode(tf.zeros([3, 2, e.obsDim]) as tf.Tensor3D);
    expect(y.shape).toEqual([3, 2, 8]);
    e.dispose();
  });

  it('evaluation: centre crop only (pixels outside it do not matter), low-dim keys do', () => {
    const e = new MultiImageObsEncoder(TINY);
    expect(e.cropOffsets(2, false, 0)).toEqual([
      [2, 2],
      [2, 2],
    ]);
    const obs = tinyObs(2);
    const base = e.encode(obs).arraySync();
    const data = obs.arraySync();
    // Pixel (0, 0) of every frame is outside the centre crop [2, 14).
    const outside = data.map((s) => s.map((row) => row.map((v, i) => (i < 3 ? 5 : v))));
    expect(e.encode(tf.tensor3d(outside)).arraySync()).toEqual(base);
    // Pixel (8, 8) is inside it.
    const at = (8 * 16 + 8) * 3;
    const inside = data.map((s) => s.map((row) => row.map((v, i) => (i === at ? 5 : v))));
    expect(e.encode(tf.tensor3d(inside)).arraySync()).not.toEqual(base);
    const lowDim = data.map((s) => s.map((row) => row.map((v, i) => (i === TINY.obsDim - 1 ? v + 1 : v))));
    expect(e.encode(tf.tensor3d(lowDim)).arraySync()).not.toEqual(base);
    e.dispose();
  });

  it('training: random crops per image, reproducible from the seed, within the frame', () => {
    const e = new MultiImageObsEncoder(TINY);
    const offsets = e.cropOffsets(64, true, 7);
    expect(offsets).toEqual(e.cropOffsets(64, true, 7));
    expect(offsets).not.toEqual(e.cropOffsets(64, true, 8));
    for (const [r, c] of offsets) {
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThanOrEqual(4);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(4);
    }
    // Every offset of the 5 x 5 range shows up in 64 draws (0.999 likely: the draw is fixed by the seed).
    expect(new Set(offsets.map((o) => o.join(','))).size).toBeGreaterThan(15);
    const obs = tinyObs(4);
    const a = e.encode(obs, { training: true, dropoutSeed: 5 }).arraySync();
    expect(e.encode(obs, { training: true, dropoutSeed: 5 }).arraySync()).toEqual(a);
    expect(e.encode(obs, { training: true, dropoutSeed: 6 }).arraySync()).not.toEqual(a);
    const fixed = new MultiImageObsEncoder({ ...TINY, randomCrop: false });
    expect(fixed.cropOffsets(3, true, 7)).toEqual(fixed.cropOffsets(3, false, 0));
    fixed.dispose();
    e.dispose();
  });

  it('condition dropout zeroes whole samples in training only', () => {
    const e = new MultiImageObsEncoder({ ...TINY, dropout: 0.5 });
    const y = e.encode(tinyObs(16), { training: true, dropoutSeed: 1 });
    const perSample = tf.sum(tf.abs(y), [1, 2]).arraySync() as number[];
    const zeros = perSample.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(16);
    const ev = tf.sum(tf.abs(e.encode(tinyObs(16))), [1, 2]).arraySync() as number[];
    expect(ev.every((v) => v > 0)).toBe(true);
    e.dispose();
  });

  it('rejects bad options and inputs with one-line errors naming the option', () => {
    expect(() => new MultiImageObsEncoder({ ...TINY, imageShape: undefined })).toThrow(
      /image encoder: option imageShape must be \[H, W, C\]/,
    );
    expect(() => new MultiImageObsEncoder({ ...TINY, cropShape: [20, 12] })).toThrow(/option cropShape/);
    expect(() => new MultiImageObsEncoder({ ...TINY, obsDim: 100 })).toThrow(
      /option obsDim must be at least/,
    );
    expect(() => new MultiImageObsEncoder({ ...TINY, blocks: [1] })).toThrow(/blocks must be 2 positive/);
    const e = new MultiImageObsEncoder(TINY);
    expect(() => e.encode(tf.zeros([1, 2, 10]) as tf.Tensor3D)).toThrow(
      /obs must have shape \[B, To=2, D=770\]/,
    );
    e.dispose();
  });

  it('wasm: every variable gets the same gradient as on cpu (conv, GroupNorm, max-pool, crop)', async () => {
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      const e = new MultiImageObsEncoder(TINY);
      const obs = tinyObs(3, 9);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(e.encode(obs, { training: true, dropoutSeed: 4 }))) as tf.Scalar,
        e.variables,
      );
      const out = {
        loss: value.dataSync()[0]!,
        grads: e.namedVariables.map((v) => grads[v.variable.name]!.dataSync()),
      };
      e.dispose();
      return out;
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(wasm.loss).toBeCloseTo(cpu.loss, 3);
    expect(wasm.grads.length).toBe(cpu.grads.length);
    cpu.grads.forEach((g, i) => {
      let scale = 0;
      let diff = 0;
      for (let j = 0; j < g.length; j++) {
        scale = Math.max(scale, Math.abs(g[j]!));
        diff = Math.max(diff, Math.abs(g[j]! - wasm.grads[i]![j]!));
      }
      expect(scale, `variable ${i}`).toBeGreaterThan(0);
      expect(diff / scale, `variable ${i}`).toBeLessThan(1e-3);
    });
  });
});
