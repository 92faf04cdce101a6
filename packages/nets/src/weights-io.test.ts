import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNetwork } from './create-network.js';
import { Ema } from './ema.js';
import type { Network } from './network.js';
import { loadWeights, loadWeightsInto, saveWeights, WeightsError } from './weights-io.js';

let tmp = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mipjs-weights-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const OPTS = { actDim: 2, horizon: 4, obsSteps: 1, condDim: 3, embDim: 8, nLayers: 1, timestepEmbDim: 4 };

describe('weights I/O', () => {
  it('rebuilds a kind outside createNetwork with the factory given to loadWeights', async () => {
    // A package network: here an mlp under another kind name (its config rebuilds it).
    const asUser = (n: Network): Network =>
      Object.create(n, { kind: { value: 'user_mlp', enumerable: true } }) as Network;
    const net = createNetwork('mlp', { ...OPTS, seed: 5 });
    const dir = path.join(tmp, 'user', 'ckpt');
    await saveWeights(asUser(net), dir);
    await expect(loadWeights(dir)).rejects.toThrow(/cannot rebuild network 'user_mlp'.*unknown network kind/);
    const loaded = await loadWeights(dir, {
      networks: { user_mlp: (config) => asUser(createNetwork('mlp', config)) },
    });
    expect(loaded.kind).toBe('user_mlp');
    loaded.variables.forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(net.variables[i].dataSync()));
    });
    loaded.dispose();
    net.dispose();
  });

  it('round-trips exactly and rebuilds from the manifest', async () => {
    const net = createNetwork('mlp', { ...OPTS, seed: 3 });
    // Make every variable non-trivial.
    tf.tidy(() => net.variables.forEach((v, i) => v.assign(tf.randomNormal(v.shape, 0, 1, 'float32', i))));
    const dir = path.join(tmp, 'a', 'ckpt');
    await saveWeights(net, dir);
    await saveWeights(net, dir); // replacing an existing directory works
    const entries = await fs.readdir(path.dirname(dir));
    expect(entries).toEqual(['ckpt']); // no temp leftovers
    const loaded = await loadWeights(dir);
    expect(loaded.kind).toBe('mlp');
    expect(loaded.config).toEqual(net.config);
    loaded.variables.forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(net.variables[i].dataSync()));
    });
    const other = createNetwork('mlp', { ...OPTS, seed: 9 });
    await loadWeightsInto(other, dir);
    other.variables.forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(net.variables[i].dataSync()));
    });
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.variables[0]).toMatchObject({ name: 'in_proj/kernel', dtype: 'float32', offset: 0 });
    net.dispose();
    loaded.dispose();
    other.dispose();
  });

  it('errors name the missing or mismatched variable', async () => {
    const net = createNetwork('mlp', OPTS);
    const dir = path.join(tmp, 'b');
    await saveWeights(net, dir);
    const wider = createNetwork('mlp', { ...OPTS, embDim: 16 });
    await expect(loadWeightsInto(wider, dir)).rejects.toThrow(
      /variable 'in_proj\/kernel': shape \[\d+, 8\] in the weights, \[\d+, 16\]/,
    );
    const deeper = createNetwork('mlp', { ...OPTS, nLayers: 2 });
    await expect(loadWeightsInto(deeper, dir)).rejects.toThrow(
      /variable 'blocks.1\/norm1\/gamma' .* missing/,
    );
    net.dispose();
    wider.dispose();
    deeper.dispose();
  });

  it('a flipped byte or a NaN is refused by name; an old manifest without a checksum loads with one warning', async () => {
    const net = createNetwork('mlp', { ...OPTS, seed: 1 });
    const dir = path.join(tmp, 'c');
    await saveWeights(net, dir);
    const manifestPath = path.join(dir, 'manifest.json');
    const binPath = path.join(dir, 'weights.bin');
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    const good = await fs.readFile(binPath);

    // One bit of one float: a plausible weight, caught only by the checksum.
    const flipped = Buffer.from(good);
    flipped[41] ^= 0x01;
    await fs.writeFile(binPath, flipped);
    const err = await loadWeights(dir).catch((e) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect(err.message).toMatch(/weights\.bin: the weights data does not match its checksum/);
    expect(err.message).toContain(dir);

    // A NaN with a matching checksum (as a diverged run would save it) is refused by variable name.
    const nan = Buffer.from(good);
    nan.writeFloatLE(Number.NaN, 8);
    await fs.writeFile(binPath, nan);
    const { weightsChecksum } = await import('./weights-io.js');
    await fs.writeFile(manifestPath, JSON.stringify({ ...manifest, sha256: await weightsChecksum(nan) }));
    await expect(loadWeights(dir)).rejects.toThrow(
      /variable 'in_proj\/kernel' holds a non-finite value \(NaN at index 2\)/,
    );

    // Saved before checksums existed: loads, and says so once per process.
    await fs.writeFile(binPath, good);
    const { sha256: _dropped, ...old } = manifest;
    await fs.writeFile(manifestPath, JSON.stringify(old));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const a = await loadWeights(dir);
    const b = await loadWeights(dir);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/no weights checksum .* loaded without verifying/);
    warn.mockRestore();
    a.variables.forEach((v, i) =>
      expect(Array.from(v.dataSync())).toEqual(Array.from(net.variables[i].dataSync())),
    );
    net.dispose();
    a.dispose();
    b.dispose();
  });

  it('a corrupt manifest names the file; a folder that cannot be made fails at once', async () => {
    const net = createNetwork('mlp', OPTS);
    const dir = path.join(tmp, 'd');
    await saveWeights(net, dir);
    await fs.writeFile(path.join(dir, 'manifest.json'), '{"format": "mipjs-wei');
    await expect(loadWeights(dir)).rejects.toThrow(/manifest\.json: expected a JSON weights manifest/);
    // Node 20's recursive mkdir never returns here.
    await expect(saveWeights(net, '/proc/mipjs-no/such/dir')).rejects.toThrow(
      /cannot create directory \/proc\/mipjs-no/,
    );
    net.dispose();
  });
});

describe('Ema', () => {
  it('averages p_ema = r p_ema + (1 - r) p without leaking tensors', () => {
    const net = createNetwork('vanilla_mlp', {
      actDim: 2,
      horizon: 2,
      obsSteps: 1,
      condDim: 2,
      embDim: 4,
      nLayers: 1,
    });
    const ema = new Ema(net);
    const first = net.variables[0].dataSync()[0];
    expect(ema.network.variables[0].dataSync()[0]).toBe(first);
    tf.tidy(() => net.variables[0].assign(tf.add(net.variables[0], 1)));
    const before = tf.memory().numTensors;
    ema.update(0.9);
    expect(tf.memory().numTensors).toBe(before);
    expect(ema.network.variables[0].dataSync()[0]).toBeCloseTo(0.9 * first + 0.1 * (first + 1), 6);
    expect(() => ema.update(1.5)).toThrow(/rate/);
    ema.dispose();
    net.dispose();
  });

  it('copies non-trainable variables instead of averaging them', () => {
    const pair = (trainable: boolean, value: number) =>
      tf.variable(tf.scalar(value), trainable, `ema-test/${trainable}/${value}/${Math.random()}`);
    const weights = (a: number, b: number) => {
      const variables = [pair(true, a), pair(false, b)];
      return { variables, dispose: () => tf.dispose(variables) } as unknown as Network;
    };
    const source = weights(1, 3);
    const ema = new Ema(source, weights(0, 0));
    source.variables[0].assign(tf.scalar(2));
    source.variables[1].assign(tf.scalar(0.1 + 0.2));
    ema.update(0.9);
    expect(ema.network.variables[0].dataSync()[0]).toBeCloseTo(0.9 * 1 + 0.1 * 2, 6);
    // averaged, 0.9 * 3 + 0.1 * 0.3 would be 2.73; copied, it is exactly the source's value
    expect(ema.network.variables[1].dataSync()[0]).toBe(Math.fround(0.1 + 0.2));
    ema.dispose();
    source.dispose();
  });
});
