import { PolicyError } from './policy-error.js';

/** The `format` tag of a policy manifest. */
export const POLICY_FORMAT = 'mipjs-policy';
/** The manifest version this package reads and writes. */
export const POLICY_MANIFEST_VERSION = 1;
/** File name of the manifest in a run folder. */
export const POLICY_MANIFEST_FILE = 'policy.json';

/** Which sampler draws the policy's action chunks, and with what fixed options. */
export interface PolicySamplerSpec {
  /**
   * Key of the sampler table ({@link POLICY_SAMPLERS}): the name of a `@mipjs/samplers` export,
   * e.g. `'eulerSampler'`, `'flowMapSampler'`, `'mipSampler'`, `'mipReferenceSampler'`.
   */
  name: string;
  /**
   * Options given to the sampler on every call, besides `steps`, `seed`, `batch`, `horizon`,
   * `actDim`: `start` (`'zero'` | `'noise'`, the run's resolved sampling start) and `tStar`
   * (two-step samplers: must be the t* of training).
   */
  options?: { start?: 'zero' | 'noise'; tStar?: number } & Record<string, unknown>;
  /** The training variant the sampler matches (`'page'` or `'reference'`), for the record. */
  variant?: string;
  /**
   * Network calls per sampler step (Heun and midpoint: 2; default 1). Every NFE of the manifest
   * (`defaultNfe`, `nfe`, `act`'s option) counts network calls, so the sampler runs
   * `steps = nfe / callsPerStep`.
   */
  callsPerStep?: number;
}

/** One side of the policy's interface (observation or action): width, names and units. */
export interface PolicyFeatureSpec {
  /** Width D (observation) or A (action) of one time step. 0: the task has no observation. */
  dim: number;
  /** Dataset keys the features were read from (e.g. `['state']`). */
  keys?: string[];
  /** A name per feature, when known. */
  names?: string[];
  /** Units, in words (e.g. `'pixels'`, `'pixels, pixels, radians'`). */
  units?: string;
  /** Lower / upper bound per feature (the action space), when known. */
  low?: number[];
  high?: number[];
}

/** A weights folder (a `@mipjs/nets` `saveWeights` directory: manifest.json + its data file). */
export interface PolicyWeightsSpec {
  /** Network / encoder kind (`createNetwork` / `createEncoder`). */
  kind: string;
  /** Folder of the weights, relative to the run folder (e.g. `checkpoint/ema/network`). */
  weights: string;
}

/**
 * `policy.json`: everything needed to run a trained policy, next to its weights. The bench writes
 * it when a run saves its checkpoint; `loadPolicy` reads it. Paths are relative to the run folder
 * and use `/`, so the same manifest serves files on disk and files fetched from a base URL.
 *
 * ```json
 * { "format": "mipjs-policy", "version": 1, "algorithm": "mip", "task": "pusht",
 *   "sampler": { "name": "mipSampler", "options": { "start": "zero", "tStar": 0.9 }, "variant": "page" },
 *   "interpolant": "linear", "defaultNfe": 2, "fixedNfe": 2, "nfe": [2],
 *   "obsSteps": 2, "horizon": 16, "actionSteps": 8,
 *   "obs": { "dim": 5, "keys": ["state"] }, "action": { "dim": 2, "keys": ["action"] },
 *   "network": { "kind": "mlp", "weights": "checkpoint/ema/network" },
 *   "encoder": { "kind": "mlp", "weights": "checkpoint/ema/encoder" },
 *   "normalizers": "normalizers.json" }
 * ```
 */
/**
 * The frame the network's actions are in when it is not the environment's: `eef_relative` chunks
 * (robomimic `--action-space relative`) are relative to the EEF pose of the latest observation, found
 * in the observation vector after `objectDim` leading values (pos 3, quat xyzw 4, gripper 2 per arm).
 * The policy maps them back to absolute before returning them.
 */
export interface PolicyActionFrame {
  kind: 'eef_relative';
  objectDim: number;
  arms: number;
}

export interface PolicyManifest {
  format: typeof POLICY_FORMAT;
  version: typeof POLICY_MANIFEST_VERSION;
  /** Algorithm the network was trained with (`flow`, `mip`, ...). Informative: the sampler says how to run it. */
  algorithm: string;
  /** Task the run was trained on (`pusht`, `checkerboard`, ...). */
  task: string;
  sampler: PolicySamplerSpec;
  /** Interpolant schedule of training (`'linear'` default, `'trig'`); the two-step samplers re-noise with it. */
  interpolant?: string;
  /** NFE (network calls: the sampler's `steps` x `sampler.callsPerStep`) used when `act` is not given one. */
  defaultNfe: number;
  /** Samplers with a fixed number of network calls (one-step 1, two-step 2): that number; `nfe` is then ignored. */
  fixedNfe?: number;
  /** The NFE values the run is evaluated at (the first is the primary one). */
  nfe?: number[];
  /** Observation steps To (0: no observation, e.g. the checkerboard). */
  obsSteps: number;
  /** Chunk length H. */
  horizon: number;
  /** Actions executed per chunk Ta (receding horizon). */
  actionSteps: number;
  obs: PolicyFeatureSpec;
  action: PolicyFeatureSpec;
  network: PolicyWeightsSpec;
  /** The observation encoder's weights; null when the task has no observation. */
  encoder: PolicyWeightsSpec | null;
  /** The normalizer file (`saveNormalizers` of @mipjs/data, entries `obs` and `action`); null: none (toy tasks). */
  normalizers: string | null;
  /** Absent: actions are returned as the network predicts them (after unnormalising). */
  actionFrame?: PolicyActionFrame;
  /** Who wrote the manifest (e.g. `@mipjs/bench`), for the record. */
  createdBy?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNat = (v: unknown, min: number): v is number => Number.isInteger(v) && (v as number) >= min;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isRelativePath = (v: unknown): v is string =>
  isName(v) && !v.startsWith('/') && !v.split('/').includes('..') && !v.includes('\\');

function checkFeature(f: unknown, key: string, allowZero: boolean, problems: string[]): void {
  if (!isObject(f)) {
    problems.push(`${key} must be an object { dim, keys?, names?, units?, low?, high? }`);
    return;
  }
  if (!isNat(f.dim, allowZero ? 0 : 1))
    problems.push(`${key}.dim must be an integer >= ${allowZero ? 0 : 1}`);
  for (const k of ['low', 'high'] as const) {
    const v = f[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === f.dim && v.every(Number.isFinite))) {
      problems.push(`${key}.${k} must be ${f.dim} finite numbers when given`);
    }
  }
}

function checkWeights(w: unknown, key: string, problems: string[]): void {
  if (!isObject(w) || !isName(w.kind) || !isRelativePath(w.weights)) {
    problems.push(`${key} must be { kind, weights } with weights a relative folder path`);
  }
}

/**
 * Checks a parsed `policy.json` and returns it typed; every problem is listed in one
 * {@link PolicyError} (`code: 'manifest'`) that names `label` (the file or URL).
 */
export function parsePolicyManifest(value: unknown, label = POLICY_MANIFEST_FILE): PolicyManifest {
  let m: unknown = value;
  if (typeof value === 'string') {
    try {
      m = JSON.parse(value);
    } catch (error) {
      throw new PolicyError('manifest', `${label}: not JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(m) || m.format !== POLICY_FORMAT) {
    throw new PolicyError(
      'manifest',
      `${label}: not a mipjs policy manifest (expected format '${POLICY_FORMAT}')`,
    );
  }
  if (m.version !== POLICY_MANIFEST_VERSION) {
    throw new PolicyError(
      'manifest',
      `${label}: policy manifest version ${String(m.version)}; this @mipjs/policy reads version ${POLICY_MANIFEST_VERSION}`,
    );
  }
  const problems: string[] = [];
  if (!isName(m.algorithm)) problems.push('algorithm must be a non-empty string');
  if (!isName(m.task)) problems.push('task must be a non-empty string');
  const s = m.sampler;
  if (!isObject(s) || !isName(s.name)) problems.push('sampler must be { name, options? }');
  else if (s.options !== undefined) {
    const o = s.options;
    if (!isObject(o)) problems.push('sampler.options must be an object');
    else {
      if (o.start !== undefined && o.start !== 'zero' && o.start !== 'noise')
        problems.push(`sampler.options.start must be 'zero' or 'noise'`);
      if (o.tStar !== undefined && !(typeof o.tStar === 'number' && o.tStar > 0 && o.tStar < 1))
        problems.push('sampler.options.tStar must be in (0, 1)');
    }
  }
  const calls = isObject(s) ? s.callsPerStep : undefined;
  if (calls !== undefined && !isNat(calls, 1))
    problems.push('sampler.callsPerStep must be a positive integer');
  else if (
    calls !== undefined &&
    m.fixedNfe === undefined &&
    [m.defaultNfe, ...(Array.isArray(m.nfe) ? m.nfe : [])].some((n) => isNat(n, 1) && n % calls !== 0)
  )
    problems.push(`defaultNfe and nfe must be multiples of sampler.callsPerStep (${String(calls)})`);
  if (m.interpolant !== undefined && !isName(m.interpolant)) problems.push('interpolant must be a string');
  if (!isNat(m.defaultNfe, 1)) problems.push('defaultNfe must be a positive integer');
  if (m.fixedNfe !== undefined && !isNat(m.fixedNfe, 1)) problems.push('fixedNfe must be a positive integer');
  if (m.nfe !== undefined && !(Array.isArray(m.nfe) && m.nfe.length > 0 && m.nfe.every((n) => isNat(n, 1))))
    problems.push('nfe must be a non-empty list of positive integers');
  if (!isNat(m.obsSteps, 0)) problems.push('obsSteps must be an integer >= 0');
  if (!isNat(m.horizon, 1)) problems.push('horizon must be a positive integer');
  if (!isNat(m.actionSteps, 1)) problems.push('actionSteps must be a positive integer');
  checkFeature(m.obs, 'obs', true, problems);
  checkFeature(m.action, 'action', false, problems);
  checkWeights(m.network, 'network', problems);
  if (m.encoder !== null) checkWeights(m.encoder, 'encoder', problems);
  if (m.normalizers !== null && !isRelativePath(m.normalizers))
    problems.push('normalizers must be a relative file path or null');
  const f = m.actionFrame;
  if (
    f !== undefined &&
    !(isObject(f) && f.kind === 'eef_relative' && isNat(f.objectDim, 0) && isNat(f.arms, 1))
  )
    problems.push(
      "actionFrame must be { kind: 'eef_relative', objectDim: integer >= 0, arms: integer >= 1 }",
    );
  if (problems.length === 0) {
    const obsDim = (m.obs as PolicyFeatureSpec).dim;
    if (isObject(f) && (m.obsSteps === 0 || obsDim < (f.objectDim as number) + 9 * (f.arms as number)))
      problems.push(
        `actionFrame 'eef_relative' needs observations of width >= objectDim + 9·arms, got ${obsDim}`,
      );
    if ((m.obsSteps === 0) !== (obsDim === 0))
      problems.push(`obsSteps ${m.obsSteps} and obs.dim ${obsDim} must be both zero or both positive`);
    if (m.obsSteps === 0 && m.encoder !== null) problems.push('a policy without observations has no encoder');
  }
  if (problems.length > 0)
    throw new PolicyError('manifest', `${label}: invalid policy manifest: ${problems.join('; ')}`);
  return m as unknown as PolicyManifest;
}
