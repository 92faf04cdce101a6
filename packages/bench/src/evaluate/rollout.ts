// evaluate/rollout.ts: one closed-loop PushT episode as pictures (`mipjs rollout`): an animated GIF or a still strip.
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { PushTEnv, pushTCoverage, renderPushT } from '@mipjs/envs';
import { encodePng } from '@mipjs/envs/node';
import type { Policy } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import * as tf from '@tensorflow/tfjs';
import * as gifencModule from 'gifenc';
import type { BackendName } from '../backend/backend.js';
import { prepareBackend } from '../backend/setup.js';
import { ConfigError } from '../config/config.js';
import { writeFileAtomic } from '../io/io.js';
import {
  ENVIRONMENT_NAMES,
  type EnvironmentName,
  evaluatePushT,
  PUSHT_TEST_SEED,
  readEnvironmentRunConfig,
  runPolicyOptions,
} from './closed-loop.js';

/**
 * gifenc's functions: Node loads its CommonJS build (everything on `default`), bundlers and vitest
 * its ES build (named exports).
 */
const gifenc: typeof gifencModule =
  'quantize' in gifencModule
    ? gifencModule
    : (gifencModule as unknown as { default: typeof gifencModule }).default;

/** One picture of an episode: the state, the action about to be executed and the plan it comes from. */
export interface RolloutFrame {
  /** `[agent x, agent y, block x, block y, angle]`. */
  state: Float64Array;
  /** The action executed from this state `[x, y]` (null on the last frame). */
  action: Float32Array | null;
  /** The predicted chunk's rows To − 1 … H − 1 as world points `[x0, y0, x1, y1, …]` (null on the last frame). */
  plan: Float32Array | null;
}

/** One closed-loop PushT episode of a policy, frame by frame. */
export interface Rollout {
  seed: number;
  legacy: boolean;
  /** NFE of the chunks (a fixed-call sampler's own count). */
  nfe: number;
  /** Control steps taken (the episode ends at 0.95 coverage or after `maxSteps`). */
  steps: number;
  /** max_t clip(coverage(t) / 0.95, 0, 1), as the closed-loop evaluation scores the episode. */
  maxReward: number;
  /** Whether coverage passed 0.95. */
  success: boolean;
  /** Coverage of the goal at the end. */
  finalCoverage: number;
  /** `steps + 1` frames: the reset state, then the state after every step. */
  frames: RolloutFrame[];
}

/** Options of {@link rolloutPushT}. */
export interface RolloutOptions {
  /** Reset seed of the episode. Default 100000 (the first test seed). */
  seed?: number;
  /** numpy legacy reset order, as the test envs. Default true. */
  legacy?: boolean;
  /** NFE of every chunk; default the policy's. */
  nfe?: number;
  /** Control steps at most. Default 300. */
  maxSteps?: number;
}

/**
 * Steps one PushT episode in closed loop and keeps every frame. It runs {@link evaluatePushT} with
 * one episode, so it is the same episode, action for action, as episode `seed − 100000` of
 * `mipjs eval --env pusht` (exactly so for samplers that start from zero, the default; a sampler
 * that starts from noise draws it per batch row).
 */
export async function rolloutPushT(policy: Policy, options: RolloutOptions = {}): Promise<Rollout> {
  const seed = options.seed ?? PUSHT_TEST_SEED;
  const legacy = options.legacy ?? true;
  const first = new PushTEnv().reset(seed, { legacy });
  const frames: RolloutFrame[] = [{ state: Float64Array.from(first), action: null, plan: null }];
  const from = Math.max(0, policy.obsSteps - 1);
  const r = await evaluatePushT(policy, {
    episodes: 1,
    seed,
    legacy,
    nfe: options.nfe,
    maxSteps: options.maxSteps,
    onFrame: (states, actions, chunk) => {
      const current = frames[frames.length - 1]!;
      current.action = Float32Array.from(actions.subarray(0, 2));
      current.plan = chunk ? Float32Array.from(chunk.subarray(from * 2, policy.horizon * 2)) : null;
      frames.push({ state: Float64Array.from(states.subarray(0, 5)), action: null, plan: null });
    },
  });
  const last = frames[frames.length - 1]!.state;
  return {
    seed,
    legacy,
    nfe: r.nfe,
    steps: frames.length - 1,
    maxReward: r.maxRewards[0]!,
    success: r.successRate > 0,
    finalCoverage: pushTCoverage(last[2]!, last[3]!, last[4]!),
    frames,
  };
}

/** Colour of the agent's path so far (a light blue under the plan). */
const PATH_COLOR = [150, 180, 235] as const;

/**
 * Frame `k` of a rollout as `size` x `size` RGB bytes: the scene (goal, T, agent, walls), the
 * agent's path so far (light blue), the predicted chunk as a red trail and the action about to be
 * executed as a red cross.
 */
export function renderRolloutFrame(rollout: Rollout, k: number, size = 256): Uint8Array {
  const f = rollout.frames[k]!;
  const path = new Float32Array(2 * (k + 1));
  for (let i = 0; i <= k; i++) {
    path[2 * i] = rollout.frames[i]!.state[0]!;
    path[2 * i + 1] = rollout.frames[i]!.state[1]!;
  }
  return renderPushT(f.state, {
    size,
    trails: [
      { points: path, color: PATH_COLOR, width: 2 },
      ...(f.plan ? [{ points: f.plan, color: [255, 0, 0], width: 3 }] : []),
    ],
    ...(f.action ? { action: f.action } : {}),
  });
}

function rgba(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    out[j] = rgb[i]!;
    out[j + 1] = rgb[i + 1]!;
    out[j + 2] = rgb[i + 2]!;
    out[j + 3] = 255;
  }
  return out;
}

/** Options of {@link encodeRolloutGif}. */
export interface GifOptions {
  /** Frame side in pixels. Default 256. */
  size?: number;
  /** Frames per second (the environment's control rate is 10 Hz). Default 10. */
  fps?: number;
  /** How long the last frame is held, ms. Default 1500. */
  holdMs?: number;
  /** Colours of the one global palette (the scene has few). Default 64. */
  colors?: number;
  /**
   * Every `stride`-th state becomes a frame (the last always does), each shown `stride` times as
   * long, so the animation keeps real time with fewer frames to draw. Default 1: `steps + 1` frames.
   */
  stride?: number;
}

/** The frames a GIF of `n` states shows at `stride`: 0, s, 2s, …, and always the last. */
export function gifFrameIndices(n: number, stride = 1): number[] {
  if (!Number.isInteger(stride) || stride < 1)
    throw new RangeError(`rollout GIF: stride must be a positive integer, got ${stride}`);
  const out: number[] = [];
  for (let k = 0; k < n; k += stride) out.push(k);
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/**
 * The rollout as an animated GIF (GIF89a, looping): one frame per state, `steps + 1` frames, the
 * last one held. One palette for the whole episode, quantised (gifenc `quantize`, rgb565) from the
 * first, middle and last frames, then `applyPalette` per frame.
 */
export function encodeRolloutGif(rollout: Rollout, options: GifOptions = {}): Uint8Array {
  const size = options.size ?? 256;
  const stride = options.stride ?? 1;
  const delay = Math.round((1000 * stride) / (options.fps ?? 10));
  const picks = gifFrameIndices(rollout.frames.length, stride);
  const images = picks.map((k) => rgba(renderRolloutFrame(rollout, k, size)));
  const n = images.length;
  const sampled = [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
  const sample = new Uint8Array(sampled.length * images[0]!.length);
  sampled.forEach((k, i) => {
    sample.set(images[k]!, i * images[0]!.length);
  });
  const palette = gifenc.quantize(sample, options.colors ?? 64);
  const gif = gifenc.GIFEncoder();
  images.forEach((image, i) => {
    gif.writeFrame(gifenc.applyPalette(image, palette), size, size, {
      palette,
      delay: i === n - 1 ? delay + (options.holdMs ?? 1500) : delay,
      repeat: 0,
    });
  });
  gif.finish();
  return gif.bytes();
}

/** Options of {@link encodeRolloutStrip}. */
export interface StripOptions {
  /** Frame side in pixels. Default 256. */
  size?: number;
  /** Frames in the strip, evenly spaced from the first to the last. Default 6. */
  frames?: number;
  /** White gap between frames, px. Default 4. */
  gap?: number;
}

/** The frame indices of a strip: `count` evenly spaced from 0 to `n − 1` (fewer when the episode is short). */
export function stripFrameIndices(n: number, count: number): number[] {
  if (n <= 1 || count <= 1) return [0];
  return [...new Set(Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1))))];
}

/**
 * A still strip of the rollout: `frames` frames evenly spaced from the reset state to the last,
 * side by side with a white gap, no captions. Returns the PNG and its size.
 */
export function encodeRolloutStrip(
  rollout: Rollout,
  options: StripOptions = {},
): { png: Uint8Array; width: number; height: number; frames: number[] } {
  const size = options.size ?? 256;
  const gap = options.gap ?? 4;
  const picks = stripFrameIndices(rollout.frames.length, options.frames ?? 6);
  const width = picks.length * size + (picks.length - 1) * gap;
  const rgb = new Uint8Array(width * size * 3).fill(255);
  picks.forEach((k, i) => {
    const frame = renderRolloutFrame(rollout, k, size);
    const x0 = i * (size + gap);
    for (let y = 0; y < size; y++) {
      rgb.set(frame.subarray(y * size * 3, (y + 1) * size * 3), (y * width + x0) * 3);
    }
  });
  return { png: encodePng(rgb, width, size), width, height: size, frames: picks };
}

/** Options of {@link rolloutRun} (`mipjs rollout RUN --env pusht`). */
export interface RolloutRunOptions extends RolloutOptions {
  env: EnvironmentName;
  /** Output file: `.gif` (animated) or `.png` (a strip of frames). */
  out: string;
  /** TF.js backend to set up; default: keep the process's backend (cpu when none is set). */
  backend?: BackendName;
  /** Frame side in pixels. Default 256. */
  size?: number;
  /** GIF only: every `stride`-th state becomes a frame ({@link GifOptions.stride}). Default 1. */
  stride?: number;
  log?: (line: string) => void;
}

/** The output kind of a rollout file, from its extension; a ConfigError for any other. */
export function rolloutFormat(out: string): 'gif' | 'png' {
  const ext = extname(out).toLowerCase();
  if (ext === '.gif') return 'gif';
  if (ext === '.png') return 'png';
  throw new ConfigError(`--out ${out}: expected a .gif (animation) or .png (strip of frames) file`);
}

/**
 * Checks that `runDir` is a run folder with a `policy.json` trained for a task of `env`; a
 * ConfigError naming what is missing otherwise. Returns the run's task.
 */
export function checkRolloutRun(runDir: string, env: string): string {
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(env)) {
    throw new ConfigError(`unknown env '${env}'; valid: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  const config = readEnvironmentRunConfig(runDir, env as EnvironmentName, 'roll out');
  if (!existsSync(join(runDir, 'policy.json'))) {
    throw new ConfigError(
      `cannot roll out ${runDir}: no policy.json (its algorithm declares no policy sampler)`,
    );
  }
  return config.task;
}

/** Sets up `backend` when given, else keeps the process's (the cpu backend when none is set yet). */
async function ensureBackend(backend: BackendName | undefined, log?: (line: string) => void): Promise<void> {
  if (backend !== undefined) await prepareBackend(backend, log);
  else if (!tf.engine().backendName) await prepareBackend('cpu', log);
}

/**
 * `mipjs rollout RUN --env pusht --seed S --out FILE.gif|.png`: loads the run's policy, steps one
 * episode and writes it as an animated GIF or a strip of frames. Returns the rollout (its frames
 * included) and the bytes written.
 */
export async function rolloutRun(
  runDir: string,
  o: RolloutRunOptions,
): Promise<{ rollout: Rollout; bytes: number; algorithm: string }> {
  const format = rolloutFormat(o.out);
  checkRolloutRun(runDir, o.env);
  await ensureBackend(o.backend, o.log);
  const policy = await loadPolicyFromRun(runDir, await runPolicyOptions(runDir));
  try {
    const rollout = await rolloutPushT(policy, o);
    const bytes =
      format === 'gif'
        ? encodeRolloutGif(rollout, { size: o.size, stride: o.stride })
        : encodeRolloutStrip(rollout, { size: o.size }).png;
    writeFileAtomic(o.out, bytes);
    return { rollout, bytes: bytes.length, algorithm: policy.manifest.algorithm };
  } finally {
    policy.dispose();
  }
}
