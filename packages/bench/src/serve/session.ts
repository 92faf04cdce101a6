import type { ActionChunk } from '@mipjs/policy';
import { RequestError } from './request.js';

/** The shapes a session needs of its policy. */
export interface SessionPolicy {
  readonly obsSteps: number;
  readonly horizon: number;
  readonly actionSteps: number;
  readonly obsDim: number;
  readonly actDim: number;
}

/** Options of {@link RobotSession} (the WebSocket URL's query). */
export interface SessionOptions {
  /** NFE of every chunk; default the policy's. */
  nfe?: number;
  /** Chunk k is drawn with seed `(seed + k) mod 2^32`. Default 0. */
  seed?: number;
  /** Actions executed per chunk; default the policy's Ta (at most H − (To − 1) − prefetch). */
  actionSteps?: number;
  /**
   * Prefetch lead p (default 0: off). With p ≥ 1 the next chunk is asked for p steps before the
   * chunk boundary, from the history of that step, while the robot executes its last p actions;
   * at the boundary it is ready, so the robot never waits for the policy there.
   */
  prefetch?: number;
}

/** Draws the chunk `[1, H, A]` for one observation history `[1, To, D]` (the batcher, in the server). */
export type ChunkSource = (
  history: Float32Array | null,
  options: { nfe?: number; seed: number },
) => Promise<ActionChunk>;

/** One step's answer. */
export interface SessionStep {
  /** The action to execute now, `[A]` in environment units. */
  action: Float32Array;
  /** Steps handed out before this one in the episode (0 at the first). */
  step: number;
  /** Index of the chunk the action comes from (its seed is `seed + chunk`). */
  chunk: number;
  /** Whether this step had to wait for a policy call (false: served from the queue or a prefetch). */
  waited: boolean;
}

/**
 * A robot's receding horizon kept on the server (one per WebSocket): the robot streams one
 * observation per control step and gets one action back. As `RecedingHorizon` of
 * `@mipjs/policy` with batch 1: the history starts as the first observation repeated To times, a
 * chunk is drawn at the first step and every Ta steps after, and its rows To − 1 … To − 2 + Ta are
 * executed (row To − 1 aligned with the newest observation).
 *
 * With prefetch p, chunk k ≥ 1 is drawn at step t_k − p (t_k the boundary) from that step's
 * history, so its row To − 1 is aligned with step t_k − p and the rows executed from t_k on are
 * To − 1 + p … To − 2 + p + Ta (needs Ta + p ≤ H − To + 1). With p = 0 the session equals
 * `RecedingHorizon` step for step.
 *
 * Steps are handled in arrival order: a pipelining client gets its answers in order.
 *
 * ```ts
 * const session = new RobotSession(policy, (h, o) => batcher.submit({ observations: h, batch: 1, ...o }), { prefetch: 1 });
 * const { action } = await session.step(observation); // [A]
 * ```
 */
export class RobotSession {
  readonly nfe: number | undefined;
  readonly seed: number;
  readonly actionSteps: number;
  readonly prefetch: number;
  private readonly policy: SessionPolicy;
  private readonly source: ChunkSource;
  private readonly history: Float32Array;
  private filled = false;
  private queue: Float32Array | null = null;
  private next = 0;
  private chunks = 0;
  private steps = 0;
  private prefetched: Promise<ActionChunk> | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(policy: SessionPolicy, source: ChunkSource, options: SessionOptions = {}) {
    const { obsSteps: To, horizon: H } = policy;
    const prefetch = options.prefetch ?? 0;
    const most = H - Math.max(0, To - 1);
    if (!Number.isInteger(prefetch) || prefetch < 0 || prefetch >= most) {
      throw new RequestError(
        400,
        'bad-request',
        'query.prefetch',
        `an integer in [0, ${most - 1}]`,
        `query.prefetch: expected an integer in [0, ${most - 1}], got ${options.prefetch}`,
      );
    }
    const room = most - prefetch;
    const ta = options.actionSteps ?? Math.min(policy.actionSteps, room);
    if (!Number.isInteger(ta) || ta < 1 || ta > room || (prefetch > 0 && prefetch >= ta)) {
      const hi =
        prefetch > 0
          ? `min(H − (To − 1) − prefetch, …) = ${room}, and above prefetch ${prefetch}`
          : `H − (To − 1) = ${room}`;
      throw new RequestError(
        400,
        'bad-request',
        'query.actionSteps',
        `an integer in [1, ${room}]`,
        `query.actionSteps: expected an integer up to ${hi}, got ${ta}`,
      );
    }
    this.policy = policy;
    this.source = source;
    this.nfe = options.nfe;
    this.seed = options.seed ?? 0;
    this.actionSteps = ta;
    this.prefetch = prefetch;
    this.history = new Float32Array(To * policy.obsDim);
  }

  /** Steps handed out in this episode. */
  get stepCount(): number {
    return this.steps;
  }

  /** Resolves when every step asked for so far has been answered (or failed). */
  idle(): Promise<void> {
    return this.tail.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Starts a new episode (after the steps already asked for): forgets the history, queue and prefetch. */
  reset(): Promise<void> {
    const done = this.tail.then(() => this.clear());
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Records this step's observation `[D]` (environment units) and answers the action to execute now. */
  step(observation: Float32Array | null): Promise<SessionStep> {
    const result = this.tail.then(() => this.advance(observation));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private clear(): void {
    this.filled = false;
    this.queue = null;
    this.next = 0;
    this.chunks = 0;
    this.steps = 0;
    this.prefetched = null;
  }

  private async advance(observation: Float32Array | null): Promise<SessionStep> {
    const { obsSteps: To, obsDim: D, actDim: A, horizon: H } = this.policy;
    if (To > 0) {
      if (!observation || observation.length !== D) {
        throw new RequestError(
          400,
          'bad-request',
          'observation',
          `${D} finite numbers`,
          `observation: expected ${D} numbers, got ${observation?.length ?? 'none'}`,
        );
      }
      if (!this.filled) {
        for (let t = 0; t < To; t++) this.history.set(observation, t * D);
        this.filled = true;
      } else {
        this.history.copyWithin(0, D);
        this.history.set(observation, (To - 1) * D);
      }
    }
    let waited = false;
    if (this.queue === null || this.next >= this.actionSteps) {
      const from = Math.max(0, To - 1) + (this.prefetched ? this.prefetch : 0);
      waited = this.prefetched === null;
      const pending = this.prefetched ?? this.draw();
      this.prefetched = null;
      const chunk = await pending;
      this.queue = chunk.data.slice(from * A, (from + this.actionSteps) * A);
      if (this.queue.length !== this.actionSteps * A || chunk.shape[1] !== H) {
        throw new Error(`session: the chunk has ${chunk.shape[1]} rows, expected ${H}`);
      }
      this.next = 0;
      this.chunks++;
    }
    const action = this.queue.slice(this.next * A, (this.next + 1) * A);
    const answer: SessionStep = { action, step: this.steps, chunk: this.chunks - 1, waited };
    this.next++;
    this.steps++;
    if (this.prefetch > 0 && this.actionSteps - this.next === this.prefetch) {
      this.prefetched = this.draw();
      // A reset before the boundary drops the prefetch; its failure then concerns nobody.
      this.prefetched.catch(() => undefined);
    }
    return answer;
  }

  /** Chunk `this.chunks` from a copy of the current history. */
  private draw(): Promise<ActionChunk> {
    const history = this.policy.obsSteps > 0 ? Float32Array.from(this.history) : null;
    return this.source(history, { nfe: this.nfe, seed: (this.seed + this.chunks) >>> 0 });
  }
}
