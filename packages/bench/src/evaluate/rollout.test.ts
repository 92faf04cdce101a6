import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Policy } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJsonAtomic } from '../io/io.js';
import { tempDir, tinyConfig } from '../test-utils/fixtures.js';
import { HAVE_PUSHT_DATA, trainTinyPushTRun } from '../test-utils/pusht-run.js';
import { evaluatePushT } from './closed-loop.js';
import {
  checkRolloutRun,
  encodeRolloutGif,
  gifFrameIndices,
  renderRolloutFrame,
  rolloutFormat,
  rolloutPushT,
  rolloutRun,
  stripFrameIndices,
} from './rollout.js';

/** A GIF read back: screen size, global palette, frames (delay, size, LZW-decoded indices). */
function decodeGif(bytes: Uint8Array) {
  const text = (a: number, b: number) => String.fromCharCode(...bytes.subarray(a, b));
  expect(text(0, 6)).toBe('GIF89a');
  const u16 = (p: number) => bytes[p]! | (bytes[p + 1]! << 8);
  const width = u16(6);
  const height = u16(8);
  let p = 13;
  let palette: number[][] = [];
  if (bytes[10]! & 0x80) {
    const n = 2 << (bytes[10]! & 7);
    palette = Array.from({ length: n }, (_, i) => [...bytes.subarray(p + 3 * i, p + 3 * i + 3)]);
    p += 3 * n;
  }
  const frames: { delay: number; width: number; height: number; index: Uint8Array; palette: number[][] }[] =
    [];
  let delay = 0;
  const subBlocks = () => {
    const parts: number[] = [];
    while (bytes[p]! !== 0) {
      const n = bytes[p]!;
      parts.push(...bytes.subarray(p + 1, p + 1 + n));
      p += n + 1;
    }
    p++;
    return Uint8Array.from(parts);
  };
  while (p < bytes.length) {
    const b = bytes[p++]!;
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = bytes[p++]!;
      const data = subBlocks();
      if (label === 0xf9) delay = (data[1]! | (data[2]! << 8)) * 10;
    } else if (b === 0x2c) {
      const w = u16(p + 4);
      const h = u16(p + 6);
      const flags = bytes[p + 8]!;
      p += 9;
      let local = palette;
      if (flags & 0x80) {
        const n = 2 << (flags & 7);
        local = Array.from({ length: n }, (_, i) => [...bytes.subarray(p + 3 * i, p + 3 * i + 3)]);
        p += 3 * n;
      }
      const minCode = bytes[p++]!;
      frames.push({ delay, width: w, height: h, index: lzw(subBlocks(), minCode, w * h), palette: local });
    } else {
      throw new Error(`GIF: unexpected block 0x${b.toString(16)} at ${p - 1}`);
    }
  }
  return { width, height, palette, frames };
}

/** GIF LZW decoding (variable code width from minCode + 1 up to 12 bits). */
function lzw(data: Uint8Array, minCode: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  const clear = 1 << minCode;
  const end = clear + 1;
  let size = minCode + 1;
  let dict: number[][] = [];
  const reset = () => {
    dict = Array.from({ length: clear + 2 }, (_, i) => [i]);
    size = minCode + 1;
  };
  reset();
  let prev: number[] | null = null;
  let o = 0;
  let bit = 0;
  while (bit + size <= data.length * 8) {
    let code = 0;
    for (let i = 0; i < size; i++, bit++) code |= ((data[bit >> 3]! >> (bit & 7)) & 1) << i;
    if (code === clear) {
      reset();
      prev = null;
      continue;
    }
    if (code === end) break;
    let entry: number[];
    if (code < dict.length) entry = dict[code]!;
    else if (prev) entry = [...prev, prev[0]!];
    else throw new Error('GIF LZW: bad first code');
    for (const v of entry) out[o++] = v;
    if (prev && dict.length < 4096) dict.push([...prev, entry[0]!]);
    if (dict.length === 1 << size && size < 12) size++;
    prev = entry;
  }
  expect(o).toBe(pixels);
  return out;
}

function pngSize(bytes: Uint8Array) {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

describe('rollout layout', () => {
  it('spaces strip and GIF frames evenly and keeps the last', () => {
    expect(stripFrameIndices(301, 6)).toEqual([0, 60, 120, 180, 240, 300]);
    expect(stripFrameIndices(4, 6)).toEqual([0, 1, 2, 3]);
    expect(stripFrameIndices(1, 6)).toEqual([0]);
    expect(gifFrameIndices(5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(gifFrameIndices(6, 2)).toEqual([0, 2, 4, 5]);
    expect(() => gifFrameIndices(6, 0)).toThrow(/stride must be a positive integer/);
  });

  it('accepts .gif and .png only', () => {
    expect(rolloutFormat('a/b.GIF')).toBe('gif');
    expect(rolloutFormat('b.png')).toBe('png');
    expect(() => rolloutFormat('b.jpg')).toThrow(/--out b.jpg: expected a .gif .* or .png/);
    expect(() => rolloutFormat('b')).toThrow(/expected a .gif/);
  });

  it('names a folder that is not a pusht run with a policy', () => {
    const dir = tempDir();
    expect(() => checkRolloutRun(dir, 'pusht')).toThrow(/not a run folder \(no config.json\)/);
    expect(() => checkRolloutRun(dir, 'mujoco')).toThrow(/unknown env 'mujoco'; valid: pusht/);
    writeJsonAtomic(join(dir, 'config.json'), tinyConfig());
    expect(() => checkRolloutRun(dir, 'pusht')).toThrow(
      /trained on task 'checkerboard'; pusht runs policies of task\(s\) pusht/,
    );
  });
});

describe.skipIf(!HAVE_PUSHT_DATA)('a tiny trained pusht run rolled out', () => {
  const dir = tempDir('mipjs-rollout-');
  let policy: Policy;
  beforeAll(async () => {
    await trainTinyPushTRun(dir);
    policy = await loadPolicyFromRun(dir);
  }, 120_000);
  afterAll(() => {
    policy?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is episode seed − 100000 of the closed-loop evaluation', async () => {
    const batch = await evaluatePushT(policy, { episodes: 2, maxSteps: 60 });
    for (const i of [0, 1]) {
      const r = await rolloutPushT(policy, { seed: 100000 + i, maxSteps: 60 });
      expect(r.maxReward).toBeCloseTo(batch.maxRewards[i]!, 6);
      expect(r.frames).toHaveLength(r.steps + 1);
      expect(r.steps).toBeLessThanOrEqual(60);
      expect(r.frames[0]!.plan).toHaveLength((policy.horizon - (policy.obsSteps - 1)) * 2);
      expect(r.frames.at(-1)!.action).toBeNull();
    }
  });

  it('writes a GIF of steps + 1 frames that decodes back to the rendered frames', async () => {
    const out = join(dir, 'out', 'episode.gif');
    const { rollout: r, bytes } = await rolloutRun(dir, { env: 'pusht', seed: 100001, out, maxSteps: 40 });
    const gif = readFileSync(out);
    expect(gif.length).toBe(bytes);
    const d = decodeGif(new Uint8Array(gif));
    expect([d.width, d.height]).toEqual([256, 256]);
    expect(d.frames).toHaveLength(r.steps + 1);
    expect(d.frames[0]!.delay).toBe(100);
    expect(d.frames.at(-1)!.delay).toBe(1600);
    expect(d.palette.length).toBeLessThanOrEqual(64);
    // The first frame, read back through its palette, is the rendered frame up to quantisation.
    const want = renderRolloutFrame(r, 0, 256);
    const f = d.frames[0]!;
    let diff = 0;
    for (let i = 0; i < f.index.length; i++) {
      const c = f.palette[f.index[i]!]!;
      for (let ch = 0; ch < 3; ch++) diff += Math.abs(c[ch]! - want[i * 3 + ch]!);
    }
    expect(diff / want.length).toBeLessThan(2);
    // The plan (pure red) and the scene's white survive quantisation.
    expect(f.palette.some(([a, b, c]) => a! > 240 && b! < 20 && c! < 20)).toBe(true);
    expect(f.palette.some(([a, b, c]) => a! > 250 && b! > 250 && c! > 250)).toBe(true);

    const strided = decodeGif(encodeRolloutGif(r, { size: 96, stride: 3 }));
    expect(strided.frames).toHaveLength(gifFrameIndices(r.frames.length, 3).length);
    expect(strided.frames[0]!.delay).toBe(300);
    expect([strided.width, strided.height]).toEqual([96, 96]);
  });

  it('writes a PNG strip of 6 frames side by side', async () => {
    const out = join(dir, 'strip.png');
    const { rollout: r } = await rolloutRun(dir, {
      env: 'pusht',
      seed: 100000,
      out,
      maxSteps: 30,
      size: 128,
    });
    expect(r.steps).toBeGreaterThan(5);
    expect(pngSize(new Uint8Array(readFileSync(out)))).toEqual({ width: 6 * 128 + 5 * 4, height: 128 });
  });

  it('refuses a run folder without policy.json and a bad file name', async () => {
    const copy = join(dir, 'no-policy');
    mkdirSync(copy);
    cpSync(join(dir, 'config.json'), join(copy, 'config.json'));
    await expect(rolloutRun(copy, { env: 'pusht', out: join(copy, 'x.gif') })).rejects.toThrow(
      /cannot roll out .*no-policy: no policy.json/,
    );
    await expect(rolloutRun(dir, { env: 'pusht', out: join(dir, 'x.mp4') })).rejects.toThrow(
      /expected a .gif/,
    );
    expect(existsSync(join(copy, 'x.gif'))).toBe(false);
  });
});
