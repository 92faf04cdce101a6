import { EnvError } from '../errors.js';
import { PushTEnv, type PushTEnvOptions } from '../pusht/env.js';

/** Options of {@link PushTVectorEnv}. */
export interface PushTVectorEnvOptions extends PushTEnvOptions {
  /** Element type of the batched observations, default `'float64'`. */
  dtype?: 'float64' | 'float32';
}

/** Batched results of {@link PushTVectorEnv.step}, one entry per environment. */
export interface PushTVectorStepResult {
  /** `[N, observationSize]` row-major. */
  observations: Float64Array | Float32Array;
  rewards: Float64Array;
  coverages: Float64Array;
  /** 1 where the episode succeeded at this step (or earlier: finished envs stay finished). */
  terminated: Uint8Array;
  /** 1 where the step limit was reached (or earlier). */
  truncated: Uint8Array;
  /** pusht's `n_contacts` of this step (0 for finished envs). */
  nContacts: Int32Array;
}

/**
 * N PushT environments stepped together (`gym.vector`-style, synchronous), for evaluations over
 * dozens of seeds. Observations, rewards and flags are batched typed arrays. An environment that
 * has terminated or truncated is frozen: its later actions are ignored (they may be NaN) and it
 * keeps reporting its final observation and reward until the next {@link reset}. `maxRewards`
 * holds each episode's best reward so far (Diffusion Policy's score is its mean).
 *
 * @example
 * ```ts
 * const venv = new PushTVectorEnv(50, { observation: 'keypoints' });
 * let obs = venv.reset(100000); // seeds 100000 ... 100049
 * while (!venv.allDone) obs = venv.step(policy(obs)).observations; // actions [50, 2] flat
 * const score = venv.maxRewards.reduce((a, b) => a + b) / 50;
 * ```
 */
export class PushTVectorEnv {
  readonly numEnvs: number;
  readonly envs: readonly PushTEnv[];
  readonly observationSize: number;
  /** Best reward of each current episode. */
  readonly maxRewards: Float64Array;
  /** 1 for the environments whose episode has ended. */
  readonly done: Uint8Array;
  private readonly obs: Float64Array | Float32Array;
  private readonly rewards: Float64Array;
  private readonly coverages: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly nContacts: Int32Array;

  constructor(numEnvs: number, options: PushTVectorEnvOptions = {}) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new EnvError(`PushTVectorEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    }
    const dtype = options.dtype ?? 'float64';
    if (dtype !== 'float64' && dtype !== 'float32') {
      throw new EnvError(`PushTVectorEnv: dtype must be 'float64' or 'float32', got ${String(dtype)}`);
    }
    this.numEnvs = numEnvs;
    this.envs = Array.from({ length: numEnvs }, () => new PushTEnv(options));
    this.observationSize = this.envs[0]!.observationSize;
    const n = numEnvs * this.observationSize;
    this.obs = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    this.rewards = new Float64Array(numEnvs);
    this.coverages = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.nContacts = new Int32Array(numEnvs);
    this.maxRewards = new Float64Array(numEnvs);
    this.done = new Uint8Array(numEnvs);
  }

  /** True when every environment's episode has ended. */
  get allDone(): boolean {
    return this.done.every((d) => d === 1);
  }

  /**
   * Resets every environment: `seeds` is one seed per environment, or a base seed `s` meaning
   * `s, s + 1, ..., s + N - 1`. Returns the batched observations (a fresh array).
   */
  reset(seeds: number | ArrayLike<number>, options: { legacy?: boolean } = {}): Float64Array | Float32Array {
    const list =
      typeof seeds === 'number'
        ? Array.from({ length: this.numEnvs }, (_, i) => seeds + i)
        : Array.from(seeds);
    if (list.length !== this.numEnvs) {
      throw new EnvError(`PushTVectorEnv.reset: expected ${this.numEnvs} seeds, got ${list.length}`);
    }
    for (const s of list) {
      if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) {
        throw new EnvError(`PushTVectorEnv.reset: seeds must be integers in [0, 2^32), got ${s}`);
      }
    }
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i]!;
      env.reset(list[i]!, options);
      env.observe(this.obs, i * this.observationSize);
      this.coverages[i] = env.coverage();
    }
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.nContacts.fill(0);
    this.maxRewards.fill(0);
    this.done.fill(0);
    return this.obs.slice();
  }

  /**
   * Steps every running environment with its row of `actions` (`[N, 2]` flat, or N pairs). The
   * actions of running environments are all checked before any is stepped.
   */
  step(actions: ArrayLike<number> | readonly ArrayLike<number>[]): PushTVectorStepResult {
    const flat = toFlat(actions, this.numEnvs);
    for (let i = 0; i < this.numEnvs; i++) {
      if (this.done[i]) continue;
      if (!Number.isFinite(flat[2 * i]!) || !Number.isFinite(flat[2 * i + 1]!)) {
        throw new EnvError(
          `PushTVectorEnv.step: action of env ${i} is [${flat[2 * i]}, ${flat[2 * i + 1]}], expected finite numbers`,
        );
      }
    }
    const pair = [0, 0];
    for (let i = 0; i < this.numEnvs; i++) {
      if (this.done[i]) {
        this.nContacts[i] = 0;
        continue;
      }
      const env = this.envs[i]!;
      pair[0] = flat[2 * i]!;
      pair[1] = flat[2 * i + 1]!;
      const r = env.step(pair);
      env.observe(this.obs, i * this.observationSize);
      this.rewards[i] = r.reward;
      this.coverages[i] = r.coverage;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      this.nContacts[i] = r.info.nContacts;
      if (r.reward > this.maxRewards[i]!) this.maxRewards[i] = r.reward;
      if (r.terminated || r.truncated) this.done[i] = 1;
    }
    return {
      observations: this.obs.slice(),
      rewards: this.rewards.slice(),
      coverages: this.coverages.slice(),
      terminated: this.terminated.slice(),
      truncated: this.truncated.slice(),
      nContacts: this.nContacts.slice(),
    };
  }
}

function toFlat(actions: ArrayLike<number> | readonly ArrayLike<number>[], n: number): ArrayLike<number> {
  if (actions == null || typeof actions.length !== 'number') {
    throw new EnvError(`PushTVectorEnv.step: expected ${n} actions, got ${String(actions)}`);
  }
  if (actions.length === n && n > 0 && typeof actions[0] === 'object') {
    const rows = actions as readonly ArrayLike<number>[];
    const flat = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (r == null || r.length !== 2) {
        throw new EnvError(`PushTVectorEnv.step: action of env ${i} must have 2 numbers, got ${r?.length}`);
      }
      flat[2 * i] = r[0]!;
      flat[2 * i + 1] = r[1]!;
    }
    return flat;
  }
  if (actions.length !== 2 * n) {
    throw new EnvError(`PushTVectorEnv.step: expected ${2 * n} numbers ([${n}, 2]), got ${actions.length}`);
  }
  return actions as ArrayLike<number>;
}
