import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNormalizers } from '@mipjs/data';
import { createEncoder, FlowMap, loadWeights, loadWeightsInto, type Network } from '@mipjs/nets';
import { mipSampler } from '@mipjs/samplers';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy, loadPolicyFromUrl } from './load.js';
import { parsePolicyManifest } from './manifest.js';
import { loadPolicyFromRun, readPolicyFiles, readPolicyManifest, writePolicyManifest } from './node/index.js';
import { Policy } from './policy.js';
import { PolicyError } from './policy-error.js';
import { manifestFor, observations, SHAPE, writeRun } from './test-utils/fixture.js';

const MIP = manifestFor(
  'mip',
  { name: 'mipSampler', options: { start: 'zero', tStar: 0.9 }, variant: 'page' },
  { fixedNfe: 2 },
);

let root: string;
let run: string;
let policy: Policy;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'mipjs-policy-'));
  run = join(root, 'mip-run');
  await writeRun(run, MIP);
  policy = await loadPolicyFromRun(run);
});

afterAll(async () => {
  policy?.dispose();
  await rm(root, { recursive: true, force: true });
});

/** Catches the PolicyError a call throws (fails the test when there is none). */
async function policyError(f: () => unknown): Promise<PolicyError> {
  try {
    await f();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).not.toContain('\n');
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('loadPolicyFromRun', () => {
  it('reads shapes, NFE and sampler from policy.json', () => {
    expect([policy.obsSteps, policy.horizon, policy.actionSteps, policy.obsDim, policy.actDim]).toEqual([
      2, 16, 8, 5, 2,
    ]);
    expect(policy.defaultNfe).toBe(2);
    expect(policy.sampler).toBe(mipSampler);
    expect(policy.manifest.algorithm).toBe('mip');
  });

  it('gives the actions of the bench composition (normalise, encode, sampler, unnormalise) for the same seed', async () => {
    const B = 3;
    const obs = observations(B);
    const chunk = policy.act(obs, { seed: 11 });
    expect(chunk.shape).toEqual([B, 16, 2]);
    expect(chunk.nfe).toBe(2);

    // What the bench's policySampler does with the run's EMA weights.
    const net = await loadWeights(join(run, 'checkpoint/ema/network'));
    const enc = createEncoder('mlp', { obsDim: 5, obsSteps: 2, embDim: 16 });
    await loadWeightsInto(enc as unknown as Network, join(run, 'checkpoint/ema/encoder'));
    const { obs: nObs, action: nAct } = await loadNormalizers(join(run, 'normalizers.json'));
    const out = tf.tidy(() => {
      const cond = enc.encode(tf.tensor3d(nObs!.normalize(obs), [B, 2, 5]), { training: false });
      return mipSampler({ flowMap: new FlowMap(net) }, cond, {
        tStar: 0.9,
        steps: 2,
        start: 'zero',
        seed: 11,
        batch: B,
        horizon: 16,
        actDim: 2,
      });
    });
    const want = nAct!.unnormalize(out.dataSync() as Float32Array);
    out.dispose();
    net.dispose();
    enc.dispose();
    expect(Array.from(chunk.data)).toEqual(Array.from(want));
    // Environment units: PushT targets lie in pixels, not in [-1, 1].
    expect(Math.max(...chunk.data)).toBeGreaterThan(2);
  });

  it('takes flat, row, nested and TensorData batches alike; a batch equals its rows one by one', () => {
    const B = 3;
    const obs = observations(B, 1);
    const per = SHAPE.obsSteps * SHAPE.obsDim;
    const flat = policy.act(obs).data;
    const rows = Array.from({ length: B }, (_, b) => Array.from(obs.subarray(b * per, (b + 1) * per)));
    const nested = rows.map((r) => [r.slice(0, 5), r.slice(5, 10)]);
    expect(policy.act(rows).data).toEqual(flat);
    expect(policy.act(nested).data).toEqual(flat);
    expect(policy.act({ data: obs, shape: [B, 2, 5] }).data).toEqual(flat);
    expect(policy.act(Array.from(obs)).data).toEqual(flat);
    const one = policy.act([rows[1]!]).data;
    expect(Array.from(one)).toEqual(Array.from(flat.subarray(32, 64)));
  });

  it('keeps the tensor count flat across calls and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const p = await loadPolicyFromRun(run);
    const loaded = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) p.act(observations(4, i), { seed: i });
    await p.actAsync(observations(2));
    expect(tf.memory().numTensors).toBe(loaded);
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((await policyError(() => p.act(observations(1)))).code).toBe('disposed');
  });

  it('a policy built with ownsWeights: false leaves the weights to their owner on dispose', async () => {
    const p = await loadPolicyFromRun(run);
    const loaded = tf.memory().numTensors;
    const view = new Policy({
      manifest: p.manifest,
      network: p.network,
      encoder: p.encoder,
      normalizers: p.normalizers,
      sampler: p.sampler,
      ownsWeights: false,
    });
    const obs = observations(2, 1);
    expect(view.act(obs, { seed: 3 }).data).toEqual(p.act(obs, { seed: 3 }).data);
    view.dispose();
    expect(tf.memory().numTensors).toBe(loaded);
    expect(p.act(obs, { seed: 3 }).data.length).toBeGreaterThan(0);
    p.dispose();
  });

  it('actAsync gives the same chunk as act', async () => {
    const obs = observations(2, 3);
    expect((await policy.actAsync(obs, { seed: 5 })).data).toEqual(policy.act(obs, { seed: 5 }).data);
  });
});

describe('bad input: named one-line PolicyErrors', () => {
  it('observations of the wrong size', async () => {
    const e = await policyError(() => policy.act(new Float32Array(7)));
    expect(e.code).toBe('observation-shape');
    expect(e.message).toMatch(/7 values is not a positive multiple of To·D = 10/);
    expect((await policyError(() => policy.act([[1, 2, 3, 4, 5]]))).message).toMatch(
      /row 0 has 5 values, expected To·D = 10/,
    );
    expect(
      (await policyError(() => policy.act({ data: new Float32Array(10), shape: [1, 1, 10] }))).code,
    ).toBe('observation-shape');
    expect((await policyError(() => policy.act(new Float32Array(0)))).code).toBe('observation-shape');
  });

  it('observations with NaN or infinity name the environment, step and feature', async () => {
    const obs = observations(3);
    obs[2 * 10 + 5 + 3] = Number.NaN;
    const e = await policyError(() => policy.act(obs));
    expect(e.code).toBe('observation-not-finite');
    expect(e.message).toContain('NaN at environment 2, step 1, feature 3');
    obs[2 * 10 + 5 + 3] = Number.POSITIVE_INFINITY;
    expect((await policyError(() => policy.act(obs))).code).toBe('observation-not-finite');
  });

  it('bad options', async () => {
    expect((await policyError(() => policy.act(observations(1), { nfe: 0 }))).code).toBe('option');
    expect((await policyError(() => policy.act(observations(1), { seed: -1 }))).code).toBe('option');
    expect((await policyError(() => policy.act(observations(2), { batch: 3 }))).code).toBe(
      'observation-shape',
    );
  });

  it('a run folder without weights, without normalizers, without policy.json', async () => {
    const noWeights = join(root, 'no-weights');
    await writeRun(noWeights, MIP);
    await rm(join(noWeights, 'checkpoint/ema/network/weights.bin'));
    let e = await policyError(() => loadPolicyFromRun(noWeights));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('checkpoint/ema/network/weights.bin is missing');

    const noEncoder = join(root, 'no-encoder');
    await writeRun(noEncoder, MIP);
    await rm(join(noEncoder, 'checkpoint/ema/encoder'), { recursive: true });
    e = await policyError(() => loadPolicyFromRun(noEncoder));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('checkpoint/ema/encoder/manifest.json is missing');

    const noNorm = join(root, 'no-normalizers');
    await writeRun(noNorm, MIP);
    await rm(join(noNorm, 'normalizers.json'));
    e = await policyError(() => loadPolicyFromRun(noNorm));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('normalizers.json is missing');

    await writeFile(
      join(noNorm, 'normalizers.json'),
      '{"format":"mipjs-normalizers","version":1,"normalizers":{}}',
    );
    expect((await policyError(() => loadPolicyFromRun(noNorm))).code).toBe('normalizers');

    const noManifest = join(root, 'no-manifest');
    await writeRun(noManifest, MIP);
    await rm(join(noManifest, 'policy.json'));
    e = await policyError(() => loadPolicyFromRun(noManifest));
    expect(e.code).toBe('missing-file');
    expect(e.message).toMatch(/no policy\.json/);
    // An explicit manifest stands in for a run that predates policy.json.
    const p = await loadPolicyFromRun(noManifest, { manifest: MIP });
    expect(p.act(observations(1)).shape).toEqual([1, 16, 2]);
    p.dispose();
  });

  it('weights with a flipped byte are refused by their checksum', async () => {
    const flipped = join(root, 'flipped');
    await writeRun(flipped, MIP);
    const bin = join(flipped, 'checkpoint/ema/network/weights.bin');
    const bytes = await readFile(bin);
    bytes[101] ^= 0x10;
    await writeFile(bin, bytes);
    const e = await policyError(() => loadPolicyFromRun(flipped));
    expect(e.code).toBe('weights');
    expect(e.message).toMatch(
      /checkpoint\/ema\/network\/weights\.bin: the weights data does not match its checksum/,
    );
  });

  it('a run trained for another task or shape', async () => {
    let e = await policyError(() => loadPolicyFromRun(run, { expect: { task: 'robomimic' } }));
    expect(e.code).toBe('task-mismatch');
    expect(e.message).toContain("trained for task 'pusht'");
    e = await policyError(() =>
      loadPolicyFromRun(run, { expect: { task: 'pusht', obsDim: 20, actDim: 10 } }),
    );
    expect(e.message).toContain('obsDim 5 (expected 20), actDim 2 (expected 10)');
    // Weights of another shape than the manifest says.
    const wrong = join(root, 'wrong-shape');
    await writeRun(wrong, { ...MIP, horizon: 8 });
    e = await policyError(() => loadPolicyFromRun(wrong));
    expect(e.code).toBe('weights');
    expect(e.message).toContain('horizon 16 (the policy needs 8)');
    const wrongObs = join(root, 'wrong-obs');
    await writeRun(wrongObs, { ...MIP, obs: { dim: 6 } });
    expect((await policyError(() => loadPolicyFromRun(wrongObs))).code).toBe('normalizers');
  });

  it('an unknown sampler and a malformed manifest', async () => {
    const files = await readPolicyFiles(run);
    let e = await policyError(() =>
      loadPolicy({ ...files, manifest: { ...MIP, sampler: { name: 'dpmSolver' } } }),
    );
    expect(e.code).toBe('unknown-sampler');
    expect(e.message).toContain("'dpmSolver' is not in the sampler table (known: eulerSampler");
    e = await policyError(() =>
      parsePolicyManifest({ ...MIP, horizon: 0, sampler: { name: 'mipSampler', options: { tStar: 1.5 } } }),
    );
    expect(e.code).toBe('manifest');
    expect(e.message).toContain(
      'sampler.options.tStar must be in (0, 1); horizon must be a positive integer',
    );
    expect((await policyError(() => parsePolicyManifest({ ...MIP, version: 2 }))).message).toMatch(
      /version 2/,
    );
    expect((await policyError(() => parsePolicyManifest('{'))).message).toMatch(/not JSON/);
    expect(
      (await policyError(() => parsePolicyManifest({ ...MIP, network: { kind: 'mlp', weights: '../x' } })))
        .code,
    ).toBe('manifest');
  });
});

describe('browser-side loading and policy.json I/O', () => {
  it('loadPolicy from in-memory files and loadPolicyFromUrl give the Node actions', async () => {
    const files = await readPolicyFiles(run);
    expect(Object.keys(files.files).sort()).toEqual([
      'checkpoint/ema/encoder/manifest.json',
      'checkpoint/ema/encoder/weights.bin',
      'checkpoint/ema/network/manifest.json',
      'checkpoint/ema/network/weights.bin',
      'normalizers.json',
      'policy.json',
    ]);
    const want = policy.act(observations(2), { seed: 3 }).data;
    const fromFiles = await loadPolicy({ files: files.files });
    expect(fromFiles.act(observations(2), { seed: 3 }).data).toEqual(want);
    fromFiles.dispose();
    const requested: string[] = [];
    const fromUrl = await loadPolicyFromUrl('https://example.test/runs/mip', {
      fetch: async (url) => {
        requested.push(url);
        const f = files.files[url.replace('https://example.test/runs/mip/', '')];
        return {
          ok: f !== undefined,
          status: f === undefined ? 404 : 200,
          arrayBuffer: async () => (f as Uint8Array).slice().buffer as ArrayBuffer,
        };
      },
    });
    expect(requested[0]).toBe('https://example.test/runs/mip/policy.json');
    expect(fromUrl.act(observations(2), { seed: 3 }).data).toEqual(want);
    fromUrl.dispose();
    const e = await policyError(() =>
      loadPolicyFromUrl('https://example.test/nothing/', {
        fetch: async () => ({ ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) }),
      }),
    );
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('https://example.test/nothing/: policy.json is missing (HTTP 404)');
  });

  it('writePolicyManifest writes atomically and refuses an invalid manifest', async () => {
    const dir = join(root, 'manifest-only');
    const path = await writePolicyManifest(dir, MIP);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(MIP);
    expect(await readPolicyManifest(dir)).toEqual(MIP);
    expect(await readdir(dir)).toEqual(['policy.json']);
    const e = await policyError(() => writePolicyManifest(dir, { ...MIP, defaultNfe: 0 }));
    expect(e.code).toBe('manifest');
    expect(await readPolicyManifest(dir)).toEqual(MIP);
  });
});
