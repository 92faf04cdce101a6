/**
 * One PushT episode driven by a policy through a receding horizon, with the latency of every chunk
 * recorded. Used by the live page and by the deterministic `runEpisode` hook the browser test calls;
 * nothing here touches the DOM.
 */
import { PushTEnv, pushTObservationForTask } from '@mipjs/envs';
import {
  type ActionChunk,
  type ActOptions,
  type ChunkPolicy,
  type Policy,
  RecedingHorizon,
} from '@mipjs/policy';

/** A policy whose `act` calls are timed (ms, `performance.now`, the readback included). */
export class TimedPolicy implements ChunkPolicy {
  readonly latencies: number[] = [];
  constructor(readonly policy: Policy) {}
  get obsSteps() {
    return this.policy.obsSteps;
  }
  get horizon() {
    return this.policy.horizon;
  }
  get actionSteps() {
    return this.policy.actionSteps;
  }
  get obsDim() {
    return this.policy.obsDim;
  }
  get actDim() {
    return this.policy.actDim;
  }
  act(observations: Float32Array | null, options?: ActOptions): ActionChunk {
    const t0 = performance.now();
    const chunk = this.policy.act(observations, options);
    this.latencies.push(performance.now() - t0);
    return chunk;
  }
}

/** What one control step did. */
export interface StepRecord {
  action: Float32Array;
  coverage: number;
  reward: number;
  done: boolean;
  success: boolean;
}

/**
 * The live episode: an environment (state observations, Diffusion Policy's evaluation order), the
 * receding horizon over the policy, and the coverage / reward history. The policy's noise seed of
 * chunk k is `seed + k`, the same seed as the reset.
 */
export class Episode {
  readonly env: PushTEnv;
  readonly timed: TimedPolicy;
  readonly coverages: number[] = [];
  readonly rewards: number[] = [];
  control: RecedingHorizon;
  observation: Float64Array;
  steps = 0;
  done = false;
  success = false;

  constructor(
    policy: Policy,
    readonly seed: number,
    private nfe: number,
  ) {
    // The policy's task says what it reads: the state (pusht) or the 9 keypoints + agent (pusht_keypoint).
    this.env = new PushTEnv({ observation: pushTObservationForTask(policy.manifest.task), legacy: true });
    this.timed = new TimedPolicy(policy);
    this.observation = this.env.reset(seed);
    this.control = this.makeControl();
  }

  get maxReward(): number {
    return this.rewards.reduce((a, b) => Math.max(a, b), 0);
  }

  /** The NFE of the following chunks (a new receding horizon: the history restarts from now). */
  setNfe(nfe: number): void {
    this.nfe = nfe;
    this.control = this.makeControl();
  }

  step(): StepRecord {
    const action = this.control.step(this.observation);
    const r = this.env.step(action);
    this.observation = r.observation;
    this.steps++;
    this.coverages.push(r.coverage);
    this.rewards.push(r.reward);
    this.success ||= r.terminated;
    this.done = r.terminated || r.truncated;
    return { action, coverage: r.coverage, reward: r.reward, done: this.done, success: r.terminated };
  }

  /**
   * Moves the agent or the T (a perturbation): a fresh world at `state`, at rest, and a new receding
   * horizon so that the next chunk is planned from the new scene.
   */
  perturb(state: ArrayLike<number>): void {
    // Angle first: the pose given is the pose placed (the legacy order would shift the T by its
    // centre of gravity when the angle is set after the position).
    this.observation = this.env.setState(state, { legacy: false });
    this.control = this.makeControl();
    this.done = false;
  }

  private makeControl(): RecedingHorizon {
    return new RecedingHorizon(this.timed, { batch: 1, nfe: this.nfe, seed: this.seed });
  }
}

/** Result of {@link runEpisode}. */
export interface EpisodeResult {
  coverages: number[];
  rewards: number[];
  /** The action of every step, flat `[x0, y0, x1, y1, ...]` (pixels). */
  actions: number[];
  /** Latency of each chunk, ms (the first includes warm-up: shader compilation on WebGL). */
  latencyMs: number[];
  steps: number;
  success: boolean;
}

/** A seeded episode of `steps` control steps at most (it stops at success), without drawing. */
export function runEpisode(policy: Policy, seed: number, steps: number, nfe: number): EpisodeResult {
  const episode = new Episode(policy, seed, nfe);
  const actions: number[] = [];
  while (episode.steps < steps && !episode.done) actions.push(...episode.step().action);
  return {
    coverages: episode.coverages,
    rewards: episode.rewards,
    actions,
    latencyMs: episode.timed.latencies,
    steps: episode.steps,
    success: episode.success,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
