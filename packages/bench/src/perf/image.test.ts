import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinAlgorithms } from '../algorithms/algorithms.js';
import { resolvePerfOptions } from './command.js';
import { measureImageStep, wasmHeapBytes } from './image.js';

const mip = builtinAlgorithms().find((a) => a.name === 'mip')!;

// Tiny shapes: 16 x 16 frames cropped to 12 x 12, a two-stage ResNet of widths 4-8, a 32-wide MLP.
const TINY = {
  algorithm: mip,
  batch: 2,
  warmup: 1,
  repeats: 2,
  imageShape: [16, 16, 3] as [number, number, number],
  cropShape: [12, 12] as [number, number],
  encoderOptions: { widths: [4, 8], blocks: [1, 1], groupChannels: 4, embDim: 8 },
  network: 'mlp',
  networkOptions: { embDim: 32, nLayers: 2 },
};

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('perf image section', () => {
  it('times the timed steps only and reads the wasm heap (a whole number of 64 KiB pages), tensors flat', async () => {
    await tf.setBackend('wasm');
    const r = await measureImageStep({ ...TINY, repeats: 3 });
    expect(r.stepMs).toHaveLength(3);
    for (const t of r.stepMs) expect(t).toBeGreaterThan(0);
    expect(r.wasmHeapBytes).not.toBeNull();
    expect(r.wasmHeapBytes! % 65536).toBe(0);
    expect(r.wasmHeapBytes).toBe(wasmHeapBytes());
    expect(r.peakRssMB).toBeGreaterThan(0);
    // Steps 2..4 of a run that creates its optimizer state at step 1: the count must not move.
    expect(r.tensors.length).toBe(3);
    expect(new Set(r.tensors).size).toBe(1);
  }, 60_000);

  it('reports no wasm heap on another backend', async () => {
    await tf.setBackend('cpu');
    expect(wasmHeapBytes()).toBeNull();
    const r = await measureImageStep({ ...TINY, repeats: 1 });
    expect(r.stepMs).toHaveLength(1);
    expect(r.wasmHeapBytes).toBeNull();
  }, 60_000);

  it('runs only when asked for (--only image), at batch 64 unless --image-batch', () => {
    expect(resolvePerfOptions({}).sections).not.toContain('image');
    expect(resolvePerfOptions({ only: 'image' }).sections).toEqual(['image']);
    expect(resolvePerfOptions({}).imageBatch).toBe(64);
    expect(resolvePerfOptions({ imageBatch: '16' }).imageBatch).toBe(16);
    expect(() => resolvePerfOptions({ imageBatch: '0' })).toThrow(/--image-batch/);
  });
});
