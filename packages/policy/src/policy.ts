import { type Normalizer, relativeChunksToAbsolute } from '@mipjs/data/normalizers';
import { Interpolant, type Schedule } from '@mipjs/interpolant';
import { FlowMap, type Network, type ObsEncoder } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs-core';
import type { PolicyManifest } from './manifest.js';
import { type ObservationInput, observationBatch } from './observations.js';
import { PolicyError } from './policy-error.js';
import type { PolicySampler } from './sampler-table.js';

/** Options of {@link Policy.act}. */
export interface ActOptions {
  /**
   * Network calls per chunk: the sampler runs `nfe / manifest.sampler.callsPerStep` steps (so a
   * Heun policy takes even NFE). Default: the manifest's `defaultNfe`.
   */
  nfe?: number;
  /** Seed of the noise start (unsigned 32-bit integer). Default 0. Same seed, same actions. */
  seed?: number;
  /** Override the run's sampling start (`'zero'` | `'noise'`). */
  start?: 'zero' | 'noise';
  /** Batch size, only for policies without observations (`act(null, { batch })`). */
  batch?: number;
}

/** An action chunk `[B, H, A]` in environment units, flat row-major. */
export interface ActionChunk {
  data: Float32Array;
  shape: [batch: number, horizon: number, actDim: number];
  /** The NFE it was drawn with (the fixed call count for one- and two-step samplers). */
  nfe: number;
  seed: number;
}

/** What a {@link Policy} is made of (what `loadPolicy` builds from a run's files). */
export interface PolicyParts {
  manifest: PolicyManifest;
  network: Network;
  encoder: ObsEncoder | null;
  /** `obs` (when the task has observations) and `action`; null: identity (no normalisation). */
  normalizers: { obs?: Normalizer; action: Normalizer } | null;
  sampler: PolicySampler;
  /**
   * Interpolant schedules beyond the built-ins (`linear`, `trig`), by manifest `interpolant` name:
   * a run trained with a package schedule (the bench's `--interpolant-package`).
   */
  schedules?: Readonly<Record<string, Schedule>>;
  /**
   * Whether {@link Policy.dispose} frees the network's and the encoder's variables. Default true;
   * false for a policy built over weights someone else owns (the bench's evaluation of the EMA
   * model during training).
   */
  ownsWeights?: boolean;
}

/**
 * A trained policy: observation history in, action chunk out, in environment units.
 *
 * With o the last To observations of each environment, N_o / N_a the dataset normalizers, E the
 * observation encoder and S the run's sampler over the flow map X_{s,t}(x) = x + (t − s)·f(x, s, t, c):
 *
 *   c = E(N_o(o))  [B, To, E],   â = S(c; nfe, seed)  [B, H, A],   a = N_a⁻¹(â).
 *
 * Rows of the chunk are time steps; index To − 1 is aligned with the most recent observation
 * (see {@link RecedingHorizon} for which slice a controller executes).
 *
 * ```ts
 * const policy = await loadPolicyFromRun('runs/mip-pusht');           // '@mipjs/policy/node'
 * const chunk = policy.act([[...obsPrev, ...obsNow]], { nfe: 2, seed: 0 });
 * chunk.shape; // [1, 16, 2]: 16 agent targets in pixels
 * ```
 */
export class Policy {
  readonly manifest: PolicyManifest;
  readonly network: Network;
  readonly flowMap: FlowMap;
  readonly encoder: ObsEncoder | null;
  readonly normalizers: PolicyParts['normalizers'];
  readonly sampler: PolicySampler;
  readonly interpolant: Interpolant;
  private disposed = false;
  private readonly ownsWeights: boolean;

  constructor(parts: PolicyParts) {
    this.ownsWeights = parts.ownsWeights ?? true;
    this.manifest = parts.manifest;
    this.network = parts.network;
    this.flowMap = new FlowMap(parts.network);
    this.encoder = parts.encoder;
    this.normalizers = parts.normalizers;
    this.sampler = parts.sampler;
    const name = parts.manifest.interpolant ?? 'linear';
    const own = parts.schedules && Object.hasOwn(parts.schedules, name) ? parts.schedules[name] : undefined;
    try {
      this.interpolant = new Interpolant(own ?? name);
    } catch (error) {
      throw new PolicyError(
        'manifest',
        `${(error as Error).message} (pass it in loadPolicy options.schedules)`,
      );
    }
  }

  /** Observation steps To. */
  get obsSteps(): number {
    return this.manifest.obsSteps;
  }
  /** Chunk length H. */
  get horizon(): number {
    return this.manifest.horizon;
  }
  /** Actions executed per chunk Ta. */
  get actionSteps(): number {
    return this.manifest.actionSteps;
  }
  /** Observation width D. */
  get obsDim(): number {
    return this.manifest.obs.dim;
  }
  /** Action width A. */
  get actDim(): number {
    return this.manifest.action.dim;
  }
  /** NFE used when `act` is given none. */
  get defaultNfe(): number {
    return this.manifest.defaultNfe;
  }

  private prepare(observations: ObservationInput | null, options: ActOptions) {
    if (this.disposed) throw new PolicyError('disposed', 'policy.act: the policy was disposed');
    const nfe = options.nfe ?? this.manifest.defaultNfe;
    if (!Number.isInteger(nfe) || nfe < 1)
      throw new PolicyError('option', `policy.act: nfe must be a positive integer, got ${nfe}`);
    // NFE counts network calls; a two-call-per-step sampler (Heun, midpoint) runs nfe / 2 steps.
    const calls = this.manifest.sampler.callsPerStep ?? 1;
    if (!this.manifest.fixedNfe && nfe % calls !== 0)
      throw new PolicyError(
        'option',
        `policy.act: nfe must be a multiple of ${calls} (sampler '${this.manifest.sampler.name}' makes ${calls} network calls per step), got ${nfe}`,
      );
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new PolicyError('option', `policy.act: seed must be an unsigned 32-bit integer, got ${seed}`);
    const start = options.start ?? this.manifest.sampler.options?.start ?? 'zero';
    if (start !== 'zero' && start !== 'noise')
      throw new PolicyError('option', `policy.act: start must be 'zero' or 'noise', got '${String(start)}'`);
    const [To, D] = [this.obsSteps, this.obsDim];
    let obs: Float32Array | null = null;
    let rawObs: Float32Array | null = null;
    let batch: number;
    if (To === 0) {
      if (observations !== null && observations !== undefined)
        throw new PolicyError(
          'observation-shape',
          'policy.act: this policy takes no observations; pass null and options.batch',
        );
      batch = options.batch ?? 1;
      if (!Number.isInteger(batch) || batch < 1)
        throw new PolicyError('option', `policy.act: batch must be a positive integer, got ${batch}`);
    } else {
      const checked = observationBatch(observations as ObservationInput, To, D);
      batch = checked.batch;
      if (options.batch !== undefined && options.batch !== batch) {
        throw new PolicyError(
          'observation-shape',
          `policy.act: options.batch is ${options.batch} but the observations hold ${batch}`,
        );
      }
      rawObs = checked.data;
      obs = this.normalizers?.obs ? this.normalizers.obs.normalize(checked.data) : checked.data;
    }
    return { nfe, steps: nfe / calls, seed, start, obs, rawObs, batch };
  }

  /** The normalised chunk `[B, H, A]` as a tensor (the caller disposes it). */
  private sample(p: ReturnType<Policy['prepare']>): tf.Tensor3D {
    const { horizon: H, actDim: A, obsSteps: To, obsDim: D } = this;
    return tf.tidy(() => {
      const o = p.obs ? tf.tensor3d(p.obs, [p.batch, To, D]) : null;
      const cond = o && this.encoder ? this.encoder.encode(o, { training: false }) : o;
      return this.sampler({ flowMap: this.flowMap, interpolant: this.interpolant }, cond, {
        ...this.manifest.sampler.options,
        start: p.start,
        steps: p.steps,
        seed: p.seed,
        batch: p.batch,
        horizon: H,
        actDim: A,
      });
    });
  }

  private finish(p: ReturnType<Policy['prepare']>, raw: Float32Array): ActionChunk {
    let data = this.normalizers ? this.normalizers.action.unnormalize(raw) : Float32Array.from(raw);
    // A relative-action policy (robomimic `relative`): back to absolute with the EEF pose of each
    // history's latest observation, as the evaluation and the reference do before the controller.
    const frame = this.manifest.actionFrame;
    if (frame && p.rawObs) {
      const shape = {
        horizon: this.horizon,
        obsSteps: this.obsSteps,
        actDim: this.actDim,
        obsDim: this.obsDim,
      };
      data = relativeChunksToAbsolute(data, p.rawObs, shape, {
        objectDim: frame.objectDim,
        arms: frame.arms,
      });
    }
    return {
      data,
      shape: [p.batch, this.horizon, this.actDim],
      nfe: this.manifest.fixedNfe ?? p.nfe,
      seed: p.seed,
    };
  }

  /**
   * The action chunk `[B, H, A]` (environment units) for a batch of observation histories
   * `[B, To, D]` (environment units). Synchronous (reads the result with `dataSync`); every
   * intermediate tensor is freed. Samplers with a fixed number of calls ignore `nfe`.
   *
   * ```ts
   * const chunk = policy.act(new Float32Array(B * 2 * 5), { nfe: 1 }); // B PushT envs, To 2, D 5
   * chunk.data.subarray(0, 2); // env 0, step 0: [x, y]
   * ```
   */
  act(observations: ObservationInput | null, options: ActOptions = {}): ActionChunk {
    const p = this.prepare(observations, options);
    const out = this.sample(p);
    try {
      return this.finish(p, out.dataSync() as Float32Array);
    } finally {
      out.dispose();
    }
  }

  /** {@link act} reading the result asynchronously (`data()`): better for the WebGL / WebGPU backends. */
  async actAsync(observations: ObservationInput | null, options: ActOptions = {}): Promise<ActionChunk> {
    const p = this.prepare(observations, options);
    const out = this.sample(p);
    try {
      return this.finish(p, (await out.data()) as Float32Array);
    } finally {
      out.dispose();
    }
  }

  /** Frees the network's and the encoder's variables (unless built with `ownsWeights: false`). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.ownsWeights) return;
    this.network.dispose();
    this.encoder?.dispose();
  }
}
