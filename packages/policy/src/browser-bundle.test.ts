import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as PolicyModule from './index.js';
import { loadPolicy } from './load.js';
import { manifestFor, observations, runFiles } from './test-utils/fixture.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
let code: string;
let out: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  // The browser bundle an app would ship: src/index.ts and everything it reaches (@mipjs/nets,
  // samplers, interpolant, data/normalizers), TF.js left to the app (a peer dependency).
  const result = await build({
    entryPoints: [join(pkg, 'src/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    // @mipjs/nets' saveWeights / loadWeights import node:fs lazily; esbuild resolves that before
    // tree shaking, so it must be told to leave node: alone. Nothing of it may survive in the output.
    external: ['@tensorflow/tfjs-core', 'node:*'],
    logLevel: 'silent',
  });
  code = result.outputFiles[0]!.text;
  // Inside the package's node_modules so that the bare '@tensorflow/tfjs-core' resolves to the
  // same instance as the test's backend.
  out = await mkdtemp(join(pkg, 'node_modules', '.policy-bundle-'));
}, 60_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('browser bundle of @mipjs/policy', () => {
  it('has no node: import and no import but TF.js', () => {
    expect(code.length).toBeGreaterThan(10_000);
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/\brequire\(/);
    const imports = [...code.matchAll(/(?:^|\n)\s*import\s[^'"]*?['"]([^'"]+)['"]/g)].map((m) => m[1]);
    const dynamic = [...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
    expect(new Set([...imports, ...dynamic])).toEqual(new Set(['@tensorflow/tfjs-core']));
    // None of the data loaders' libraries came along.
    expect(code).not.toMatch(/h5wasm|zarrita|hyparquet/);
  });

  it('loads a policy from fetched files and acts as the Node build does', async () => {
    const file = join(out, 'policy.browser.mjs');
    await writeFile(file, code);
    const bundled = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as typeof PolicyModule;
    const manifest = manifestFor(
      'mip',
      { name: 'mipSampler', options: { start: 'zero', tStar: 0.9 } },
      { fixedNfe: 2 },
    );
    const files = runFiles(manifest, 4);
    const fromBundle = await bundled.loadPolicy({ files });
    const fromSource = await loadPolicy({ files });
    const obs = observations(3);
    const got = fromBundle.act(obs, { seed: 2 });
    expect(got.shape).toEqual([3, 16, 2]);
    expect(got.data).toEqual(fromSource.act(obs, { seed: 2 }).data);
    const control = new bundled.RecedingHorizon(fromBundle, { batch: 3 });
    expect(control.step(obs.subarray(0, 15)).length).toBe(6);
    expect(() => fromBundle.act(new Float32Array(3))).toThrow(bundled.PolicyError);
    fromBundle.dispose();
    fromSource.dispose();
  });
});
