import { assertFiniteVector, EnvError } from '../errors.js';
import { controlStep, PushTWorld } from '../physics/world.js';
import { RandomState } from '../rng/random-state.js';
import { pushTCoverage, pushTReward, pushTSuccess } from './coverage.js';
import { MAX_EPISODE_STEPS } from './geometry.js';
import { N_KEYPOINTS, pushTKeypoints } from './keypoints.js';
import { type PushTRenderOptions, renderPushT } from './render.js';

/**
 * Observation kinds: `'state'` is `[agent x, agent y, block x, block y, block angle mod 2pi]`
 * (5); `'keypoints'` is Diffusion Policy's low-dim observation, the 9 block keypoints flattened
 * then the agent position (9 * 2 + 2 = 20); `'image'` is its image observation, the 96 x 96 RGB
 * frame of `renderPushT` (as `data/img` was rendered) scaled to [0, 1], HWC row-major, then the
 * agent position in pixels (96 * 96 * 3 + 2 = 27,650).
 */
export type PushTObservationKind = 'state' | 'keypoints' | 'image';

/**
 * The observation of each PushT task a policy can be trained on (the reference's task names):
 * `pusht` reads the state, `pusht_keypoint` the keypoints, `pusht_image` the frame. A policy's
 * manifest names its task, so whoever steps the environment for it (the bench's closed loop, the
 * playground) looks the observation up here.
 *
 * @example
 * ```ts
 * const env = new PushTEnv({ observation: pushTObservationForTask(policy.manifest.task) });
 * ```
 */
export const PUSHT_TASK_OBSERVATIONS: Readonly<Record<string, PushTObservationKind>> = {
  pusht: 'state',
  pusht_keypoint: 'keypoints',
  pusht_image: 'image',
};

/** The observation of a PushT task, or an EnvError naming the task and the tasks PushT serves. */
export function pushTObservationForTask(task: string): PushTObservationKind {
  const kind = PUSHT_TASK_OBSERVATIONS[task];
  if (!kind) {
    throw new EnvError(
      `PushT: a policy of task '${task}' cannot act here; PushT serves the tasks ${Object.keys(PUSHT_TASK_OBSERVATIONS).join(', ')}`,
    );
  }
  return kind;
}

/** Side of the `'image'` observation's frame. */
export const IMAGE_OBS_SIZE = 96;
/** Values of the `'image'` observation: the frame's bytes, then the agent position. */
export const IMAGE_OBS_DIM = IMAGE_OBS_SIZE * IMAGE_OBS_SIZE * 3 + 2;

/** Options of {@link PushTEnv}. */
export interface PushTEnvOptions {
  /** Observation kind, default `'state'`. */
  observation?: PushTObservationKind;
  /**
   * Block pose order of `_set_state`: `true` sets position then angle (Diffusion Policy's
   * evaluation, `legacy=True`), `false` (default) angle then position (how the demonstrations were
   * recorded). Can be overridden per {@link PushTEnv.reset}.
   */
  legacy?: boolean;
  /** Control steps before `truncated`, default 300. */
  maxEpisodeSteps?: number;
}

/** Per-step diagnostics. */
export interface PushTInfo {
  /** pusht_env.py's `n_contacts`: `ceil(contact points summed over the 10 sub-steps / 10)`. */
  nContacts: number;
  /** Contact points summed over the 10 sub-steps. */
  nContactPoints: number;
}

/** What {@link PushTEnv.step} returns. */
export interface PushTStepResult {
  observation: Float64Array;
  /** `clip(coverage / 0.95, 0, 1)`. */
  reward: number;
  /** Area of the block T inside the goal T over 6300. */
  coverage: number;
  /** Success: coverage > 0.95. */
  terminated: boolean;
  /** The step limit (300) was reached without success. */
  truncated: boolean;
  info: PushTInfo;
}

/** Size of an observation of the given kind. */
export function observationSize(kind: PushTObservationKind): number {
  return kind === 'state' ? 5 : kind === 'keypoints' ? 2 * N_KEYPOINTS + 2 : IMAGE_OBS_DIM;
}

const TWO_PI = 2 * Math.PI;

/** Python's float `a % b` for b > 0 (result in [0, b)), as `block.angle % (2 * np.pi)`. */
export function pyMod(a: number, b: number): number {
  let m = a % b;
  if (m !== 0) {
    if (m < 0 !== b < 0) m += b;
  } else m = 0;
  return m;
}

/**
 * Initial state `[agent x, agent y, block x, block y, angle]` that `pusht_env.py`'s `reset()`
 * draws from `np.random.RandomState(seed)`: `randint(50, 450)` twice, `randint(100, 400)` twice,
 * `randn() * 2 pi - pi`.
 */
export function pushTInitialState(seed: number): [number, number, number, number, number] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new EnvError(`PushTEnv.reset: seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const rs = new RandomState(seed);
  return [
    rs.randint(50, 450),
    rs.randint(50, 450),
    rs.randint(100, 400),
    rs.randint(100, 400),
    rs.randn() * TWO_PI - Math.PI,
  ];
}

/**
 * The PushT environment of Diffusion Policy (`pusht_env.py`): a 512 x 512 world, a kinematic
 * agent (circle, radius 15) driven by the PD rule `v += (100 (target - p) - 20 v) * 0.01` for 10
 * physics sub-steps of 0.01 s per action (100 Hz physics, 10 Hz control), the T block and the
 * walls; the physics is `PushTWorld`, a port of Chipmunk 7.0.3's algorithm for this scene.
 *
 * `reward = clip(coverage / 0.95, 0, 1)` with the exact coverage of the goal T at
 * (256, 256, pi/4); `terminated` when coverage > 0.95; `truncated` after 300 steps. Bad input (a
 * NaN action, wrong lengths, a non-integer seed) throws {@link EnvError} before anything changes.
 *
 * @example
 * ```ts
 * const env = new PushTEnv({ observation: 'keypoints' });
 * let obs = env.reset(100000);
 * for (;;) {
 *   const r = env.step([300, 300]);
 *   if (r.terminated || r.truncated) break;
 * }
 * ```
 */
export class PushTEnv {
  readonly observationKind: PushTObservationKind;
  readonly observationSize: number;
  readonly maxEpisodeSteps: number;
  /** The default block pose order of `reset` / `setState` (see {@link PushTEnvOptions.legacy}). */
  readonly legacy: boolean;
  private world = new PushTWorld();
  private steps = 0;
  private lastAction: [number, number] | null = null;

  constructor(options: PushTEnvOptions = {}) {
    const kind = options.observation ?? 'state';
    if (kind !== 'state' && kind !== 'keypoints' && kind !== 'image') {
      throw new EnvError(
        `PushTEnv: observation must be 'state', 'keypoints' or 'image', got ${String(kind)}`,
      );
    }
    const max = options.maxEpisodeSteps ?? MAX_EPISODE_STEPS;
    if (!Number.isInteger(max) || max < 1) {
      throw new EnvError(`PushTEnv: maxEpisodeSteps must be a positive integer, got ${max}`);
    }
    this.observationKind = kind;
    this.observationSize = observationSize(kind);
    this.maxEpisodeSteps = max;
    this.legacy = options.legacy ?? false;
    this.place([256, 400, 256, 300, 0], this.legacy);
  }

  /** Control steps taken since the last reset. */
  get elapsedSteps(): number {
    return this.steps;
  }

  /** The underlying physics world (for diagnostics; changing it bypasses the checks). */
  get physics(): PushTWorld {
    return this.world;
  }

  /**
   * Starts an episode at the state numpy's `RandomState(seed)` gives (see
   * {@link pushTInitialState}); `legacy` overrides the constructor's block pose order for this
   * episode only.
   */
  reset(seed: number, options: { legacy?: boolean } = {}): Float64Array {
    const state = pushTInitialState(seed);
    this.place(state, options.legacy ?? this.legacy);
    return this.observe();
  }

  /**
   * Starts an episode at `state = [agent x, agent y, block x, block y, angle]` (`reset_to_state`):
   * a fresh world (no contacts, everything at rest), the agent placed, then the block (the
   * `legacy` order), then one extra `space.step(0.01)`, as `_set_state` does.
   */
  setState(state: ArrayLike<number>, options: { legacy?: boolean } = {}): Float64Array {
    assertFiniteVector('PushTEnv.setState: state', state, 5);
    this.place(Array.from(state), options.legacy ?? this.legacy);
    return this.observe();
  }

  /** Current state `[agent x, agent y, block x, block y, angle mod 2pi]` (the `'state'` observation). */
  getState(out: Float64Array = new Float64Array(5)): Float64Array {
    const a = this.world.agent;
    const b = this.world.block;
    out[0] = a.x;
    out[1] = a.y;
    out[2] = b.x;
    out[3] = b.y;
    out[4] = pyMod(b.angle, TWO_PI);
    return out;
  }

  /**
   * One control step towards the absolute target `action = [x, y]` (pixels): 10 PD sub-steps of
   * the physics, then coverage, reward and the termination flags.
   */
  step(action: ArrayLike<number>): PushTStepResult {
    assertFiniteVector('PushTEnv.step: action', action, 2);
    const ax = action[0]!;
    const ay = action[1]!;
    this.lastAction = [ax, ay];
    const points = controlStep(this.world, ax, ay);
    this.steps++;
    const b = this.world.block;
    const coverage = pushTCoverage(b.x, b.y, b.angle);
    const terminated = pushTSuccess(coverage);
    return {
      observation: this.observe(),
      reward: pushTReward(coverage),
      coverage,
      terminated,
      truncated: !terminated && this.steps >= this.maxEpisodeSteps,
      info: { nContacts: Math.ceil(points / 10), nContactPoints: points },
    };
  }

  /** Coverage of the goal at the current state. */
  coverage(): number {
    const b = this.world.block;
    return pushTCoverage(b.x, b.y, b.angle);
  }

  /** The current observation (a fresh array). */
  observe(
    out: Float64Array | Float32Array = new Float64Array(this.observationSize),
    offset = 0,
  ): Float64Array {
    const a = this.world.agent;
    const b = this.world.block;
    if (this.observationKind === 'state') {
      out[offset] = a.x;
      out[offset + 1] = a.y;
      out[offset + 2] = b.x;
      out[offset + 3] = b.y;
      out[offset + 4] = pyMod(b.angle, TWO_PI);
    } else if (this.observationKind === 'image') {
      const frame = renderPushT(this.getState(), { size: IMAGE_OBS_SIZE });
      for (let i = 0; i < frame.length; i++) out[offset + i] = frame[i]! / 255;
      out[offset + frame.length] = a.x;
      out[offset + frame.length + 1] = a.y;
    } else {
      pushTKeypoints(b.x, b.y, b.angle, out, offset);
      out[offset + 2 * N_KEYPOINTS] = a.x;
      out[offset + 2 * N_KEYPOINTS + 1] = a.y;
    }
    return out as Float64Array;
  }

  /**
   * The current frame (see `renderPushT`): 96 x 96 x 3 like `data/img` by default;
   * `{ size: 256 }` or `512` for pictures; `{ action: true }`-style marker via `options.action`.
   */
  render(options: PushTRenderOptions & { drawAction?: boolean } = {}): Uint8Array {
    const opts = { ...options };
    if (options.drawAction && this.lastAction) opts.action = this.lastAction;
    return renderPushT(this.getState(), opts);
  }

  private place(state: readonly number[], legacy: boolean): void {
    const w = new PushTWorld();
    w.setAgent(state[0]!, state[1]!, 0, 0);
    w.setBlockPose(state[2]!, state[3]!, state[4]!, legacy ? 'legacy' : 'angle-first');
    w.step(0.01);
    this.world = w;
    this.steps = 0;
    this.lastAction = null;
  }
}
