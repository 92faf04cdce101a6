import type { ActionChunk, ActOptions } from './policy.js';
import { PolicyError } from './policy-error.js';

/** What {@link RecedingHorizon} needs of a policy (a {@link Policy}, or a stand-in in tests). */
export interface ChunkPolicy {
  readonly obsSteps: number;
  readonly horizon: number;
  readonly actionSteps: number;
  readonly obsDim: number;
  readonly actDim: number;
  act(observations: Float32Array | null, options?: ActOptions): ActionChunk;
  /** `act` reading its result asynchronously; {@link RecedingHorizon.stepAsync} uses it when present. */
  actAsync?(observations: Float32Array | null, options?: ActOptions): Promise<ActionChunk>;
}

/** One step's observations `[B, D]`: flat, or one row per environment; null when To is 0. */
export type StepObservation = Float32Array | ArrayLike<number> | readonly (readonly number[])[] | null;

/** Options of {@link RecedingHorizon}. */
export interface RecedingHorizonOptions {
  /** Number of environments B stepped together. Default 1. */
  batch?: number;
  /** NFE of every chunk. Default: the policy's. */
  nfe?: number;
  /** Chunk k is drawn with seed `(seed + k) mod 2^32`. Default 0. */
  seed?: number;
  /** Actions executed per chunk (default the policy's Ta); at most H − (To − 1). */
  actionSteps?: number;
}

/**
 * Receding-horizon control over a batch of environments, as Diffusion Policy's `MultiStepWrapper`
 * and the reference's evaluation loop (spec §8): keep the last To observations of each environment
 * (at the start, the first observation repeated To times, as the training windows pad with
 * `pad_before = To − 1`), ask the policy for a chunk every Ta steps, and hand out one action per
 * step. Of the H-long chunk, rows `To − 1 … To − 2 + Ta` are executed: row To − 1 is aligned with
 * the most recent observation (rows before it belong to the past observations), i.e.
 * `chunk[:, To−1 : To−1+Ta]`, rows 1…8 for To 2, Ta 8, H 16.
 *
 * ```ts
 * const control = new RecedingHorizon(policy, { batch: envs.length, nfe: 2 });
 * let obs = resetAll(envs);                 // [B, D]
 * for (let t = 0; t < 300; t++) obs = stepAll(envs, control.step(obs)); // action [B, A]
 * ```
 */
export class RecedingHorizon {
  readonly batch: number;
  readonly actionSteps: number;
  private readonly policy: ChunkPolicy;
  private readonly nfe: number | undefined;
  private readonly seed: number;
  private readonly history: Float32Array;
  private filled = false;
  private queue: Float32Array | null = null;
  private queueLength = 0;
  private next = 0;
  private chunks = 0;
  private steps = 0;
  private last: ActionChunk | null = null;

  constructor(policy: ChunkPolicy, options: RecedingHorizonOptions = {}) {
    const { obsSteps: To, horizon: H } = policy;
    const batch = options.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1)
      throw new PolicyError('option', `RecedingHorizon: batch must be a positive integer, got ${batch}`);
    const most = H - Math.max(0, To - 1);
    const ta = options.actionSteps ?? Math.min(policy.actionSteps, most);
    if (!Number.isInteger(ta) || ta < 1 || ta > most) {
      throw new PolicyError(
        'option',
        `RecedingHorizon: actionSteps must be an integer in [1, H − (To − 1)] = [1, ${most}], got ${ta}`,
      );
    }
    this.policy = policy;
    this.batch = batch;
    this.actionSteps = ta;
    this.nfe = options.nfe;
    this.seed = options.seed ?? 0;
    this.history = new Float32Array(batch * To * policy.obsDim);
  }

  /** Chunks requested since the last reset. */
  get chunksRequested(): number {
    return this.chunks;
  }

  /** Steps handed out since the last reset. */
  get stepCount(): number {
    return this.steps;
  }

  /** The last chunk the policy returned (full H rows, environment units), e.g. to draw the plan. */
  get lastChunk(): ActionChunk | null {
    return this.last;
  }

  /** A copy of the observation history `[B, To, D]` the next chunk would be asked with. */
  observationHistory(): Float32Array {
    return Float32Array.from(this.history);
  }

  /** Starts new episodes: forgets the history and the queued actions. */
  reset(): void {
    this.filled = false;
    this.queue = null;
    this.queueLength = 0;
    this.next = 0;
    this.chunks = 0;
    this.steps = 0;
    this.last = null;
  }

  /**
   * Records this step's observations `[B, D]` (flat, or one row per environment) and returns the
   * action to execute now, `[B, A]` flat (environment units). A new chunk is drawn at the first step
   * and after every `actionSteps` steps.
   */
  step(observation: StepObservation): Float32Array {
    const request = this.record(observation);
    if (request) this.enqueue(this.policy.act(request.observations, request.options));
    return this.nextAction();
  }

  /**
   * {@link step} with the chunk read asynchronously (the policy's `actAsync` when it has one): the
   * form for WebGL / WebGPU, where a synchronous read stalls the pipeline or does not exist
   * (WebGPU in Node). The same actions as `step`, step for step.
   *
   * ```ts
   * for (let t = 0; t < 300; t++) obs = stepAll(envs, await control.stepAsync(obs));
   * ```
   */
  async stepAsync(observation: StepObservation): Promise<Float32Array> {
    const request = this.record(observation);
    if (request) {
      const { observations, options } = request;
      this.enqueue(
        this.policy.actAsync
          ? await this.policy.actAsync(observations, options)
          : this.policy.act(observations, options),
      );
    }
    return this.nextAction();
  }

  /** Pushes this step's observations into the history; the chunk request when one is due. */
  private record(
    observation: StepObservation,
  ): { observations: Float32Array | null; options: ActOptions } | null {
    const { obsSteps: To, obsDim: D } = this.policy;
    const B = this.batch;
    if (To > 0) {
      const obs = this.observationRow(observation, B, D);
      if (!this.filled) {
        for (let b = 0; b < B; b++)
          for (let t = 0; t < To; t++) this.history.set(obs.subarray(b * D, (b + 1) * D), (b * To + t) * D);
        this.filled = true;
      } else {
        for (let b = 0; b < B; b++) {
          const row = b * To * D;
          this.history.copyWithin(row, row + D, row + To * D);
          this.history.set(obs.subarray(b * D, (b + 1) * D), row + (To - 1) * D);
        }
      }
    }
    if (this.queue !== null && this.next < this.queueLength) return null;
    return {
      observations: To > 0 ? Float32Array.from(this.history) : null,
      options: { nfe: this.nfe, seed: (this.seed + this.chunks) >>> 0, ...(To > 0 ? {} : { batch: B }) },
    };
  }

  /** Queues the executed rows `To − 1 … To − 2 + Ta` of a new chunk. */
  private enqueue(chunk: ActionChunk): void {
    const { obsSteps: To, actDim: A, horizon: H } = this.policy;
    const B = this.batch;
    const from = Math.max(0, To - 1);
    const n = this.actionSteps;
    const q = new Float32Array(B * n * A);
    for (let b = 0; b < B; b++)
      q.set(chunk.data.subarray((b * H + from) * A, (b * H + from + n) * A), b * n * A);
    this.queue = q;
    this.queueLength = n;
    this.next = 0;
    this.chunks++;
    this.last = chunk;
  }

  /** The queued action of this step, `[B, A]`. */
  private nextAction(): Float32Array {
    const { actDim: A } = this.policy;
    const B = this.batch;
    const n = this.queueLength;
    const queue = this.queue!;
    const out = new Float32Array(B * A);
    for (let b = 0; b < B; b++)
      out.set(queue.subarray((b * n + this.next) * A, (b * n + this.next + 1) * A), b * A);
    this.next++;
    this.steps++;
    return out;
  }

  private observationRow(observation: unknown, B: number, D: number): Float32Array {
    let flat: Float32Array;
    if (Array.isArray(observation) && Array.isArray(observation[0])) {
      const rows = observation as readonly (readonly number[])[];
      if (rows.length !== B || rows.some((r) => !Array.isArray(r) || r.length !== D)) {
        throw new PolicyError(
          'observation-shape',
          `RecedingHorizon.step: expected ${B} rows of ${D} values ([B, D])`,
        );
      }
      flat = new Float32Array(B * D);
      rows.forEach((r, b) => flat.set(r, b * D));
    } else if (observation && typeof (observation as ArrayLike<number>).length === 'number') {
      flat = Float32Array.from(observation as ArrayLike<number>);
      if (flat.length !== B * D) {
        throw new PolicyError(
          'observation-shape',
          `RecedingHorizon.step: expected [B=${B}, D=${D}] = ${B * D} values, got ${flat.length}`,
        );
      }
    } else {
      throw new PolicyError(
        'observation-shape',
        `RecedingHorizon.step: expected [B=${B}, D=${D}] observations`,
      );
    }
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isFinite(flat[i])) {
        throw new PolicyError(
          'observation-not-finite',
          `RecedingHorizon.step: ${flat[i]} at environment ${Math.floor(i / D)}, feature ${i % D}; observations must be finite`,
        );
      }
    }
    return flat;
  }
}
