import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../config/config.js';
import { canonicalJson, jobIdFor } from './job-id.js';

describe('jobIdFor', () => {
  it('is the same for the same config, whatever the order of its fields', () => {
    const a = resolveRunConfig({}, { task: 'checkerboard', algorithm: 'flow', seed: 3, lr: 1e-3 });
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
    expect(jobIdFor(reordered)).toBe(jobIdFor(a));
    expect(jobIdFor(a)).toMatch(/^run-[0-9a-f]{32}$/);
  });

  it('differs when anything of the run differs', () => {
    const base = { task: 'checkerboard', algorithm: 'flow', seed: 0 };
    const ids = [
      base,
      { ...base, seed: 1 },
      { ...base, algorithm: 'mip' },
      { ...base, lr: 3e-4 },
      { ...base, networkOptions: { embDim: 32 } },
    ].map((f) => jobIdFor(resolveRunConfig({}, f)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('hashes a canonical JSON: sorted keys at every depth, undefined fields left out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":null,"z":0}]},"b":1}',
    );
  });
});
