import { type Normalizer, parseNormalizers } from '@mipjs/data/normalizers';
import { type Schedule, schedules } from '@mipjs/interpolant';
import {
  assignWeights,
  createEncoder,
  createNetwork,
  type Network,
  type ObsEncoder,
  verifyWeightsChecksum,
  type WeightsManifest,
} from '@mipjs/nets';
import {
  POLICY_MANIFEST_FILE,
  type PolicyManifest,
  type PolicyWeightsSpec,
  parsePolicyManifest,
} from './manifest.js';
import { Policy } from './policy.js';
import { PolicyError } from './policy-error.js';
import { type PolicySampler, resolveSampler } from './sampler-table.js';

/** The bytes or text of one file. */
export type PolicyFile = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** A run's files in memory, by path relative to the run folder (e.g. fetched in a browser). */
export interface PolicyFiles {
  /** The manifest (object or text); default: `files['policy.json']`. */
  manifest?: PolicyManifest | string;
  /** `checkpoint/ema/network/manifest.json`, `.../weights.bin`, `normalizers.json`, ... */
  files: Readonly<Record<string, PolicyFile | undefined>>;
  /** Names the source in errors (default `'files'`). */
  label?: string;
}

/** A run's files read on demand (a folder, a URL, a zip): `readFile(relativePath)`. */
export interface PolicyReader {
  manifest?: PolicyManifest | string;
  /** Resolves to the file, or rejects / resolves to undefined when it does not exist. */
  readFile(path: string): Promise<PolicyFile | undefined>;
  label?: string;
}

/** Where `loadPolicy` reads a run from. */
export type PolicySource = PolicyFiles | PolicyReader;

/** What the caller expects of the run; a difference is a `task-mismatch` {@link PolicyError}. */
export interface PolicyExpectation {
  task?: string;
  obsDim?: number;
  actDim?: number;
  obsSteps?: number;
  horizon?: number;
}

/** Options of {@link loadPolicy}. */
export interface LoadPolicyOptions {
  /** Checked against the manifest before any weights are read. */
  expect?: PolicyExpectation;
  /** Samplers beyond the built-in table (external algorithm packages), by manifest name. */
  samplers?: Readonly<Record<string, PolicySampler>>;
  /** Interpolant schedules beyond the built-ins, by manifest `interpolant` name. */
  schedules?: Readonly<Record<string, Schedule>>;
  /**
   * Network factories beyond `createNetwork`'s kinds (a package network), by saved kind: each
   * gets the saved `config` and rebuilds the architecture the weights are assigned to.
   */
  networks?: Readonly<Record<string, (config: Record<string, unknown>) => Network>>;
  /** Observation encoder factories beyond `createEncoder`'s kinds, by saved kind (as `networks`). */
  encoders?: Readonly<Record<string, (config: Record<string, unknown>) => ObsEncoder>>;
}

/** The factory a caller gave for `kind`, if any (an own property: no prototype names). */
function own<T>(table: Readonly<Record<string, T>> | undefined, kind: string): T | undefined {
  return table && Object.hasOwn(table, kind) ? table[kind] : undefined;
}

const decoder = new TextDecoder();

function bytes(file: PolicyFile): Uint8Array {
  if (typeof file === 'string') return new TextEncoder().encode(file);
  if (file instanceof Uint8Array) return file;
  if (file instanceof ArrayBuffer) return new Uint8Array(file);
  return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
}

const text = (file: PolicyFile): string => (typeof file === 'string' ? file : decoder.decode(bytes(file)));

/** Joins a folder and a name with `/` (manifest paths are always `/`-separated). */
const joinPath = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);

function readerOf(source: PolicySource): { read: (path: string) => Promise<PolicyFile>; label: string } {
  const label = source.label ?? ('files' in source ? 'files' : 'run');
  const missing = (path: string, why?: string) =>
    new PolicyError('missing-file', `${label}: ${path} is missing${why ? ` (${why})` : ''}`);
  if ('files' in source) {
    return {
      label,
      read: async (path) => {
        const f = Object.hasOwn(source.files, path) ? source.files[path] : undefined;
        if (f === undefined) throw missing(path);
        return f;
      },
    };
  }
  return {
    label,
    read: async (path) => {
      let f: PolicyFile | undefined;
      try {
        f = await source.readFile(path);
      } catch (error) {
        throw missing(path, (error as Error).message?.split('\n')[0]);
      }
      if (f === undefined) throw missing(path);
      return f;
    },
  };
}

function checkExpectation(m: PolicyManifest, expect: PolicyExpectation | undefined, label: string): void {
  if (!expect) return;
  const have: Required<PolicyExpectation> = {
    task: m.task,
    obsDim: m.obs.dim,
    actDim: m.action.dim,
    obsSteps: m.obsSteps,
    horizon: m.horizon,
  };
  const diffs = (Object.keys(have) as (keyof PolicyExpectation)[])
    .filter((k) => expect[k] !== undefined && expect[k] !== have[k])
    .map((k) => `${k} ${String(have[k])} (expected ${String(expect[k])})`);
  if (diffs.length > 0) {
    throw new PolicyError(
      'task-mismatch',
      `${label}: the run was trained for task '${m.task}' (${m.algorithm}) and does not fit: ${diffs.join(', ')}`,
    );
  }
}

async function readWeights(
  read: (path: string) => Promise<PolicyFile>,
  spec: PolicyWeightsSpec,
  label: string,
): Promise<{ manifest: WeightsManifest; data: Uint8Array }> {
  const path = joinPath(spec.weights, 'manifest.json');
  let manifest: WeightsManifest;
  try {
    manifest = JSON.parse(text(await read(path))) as WeightsManifest;
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw new PolicyError('weights', `${label}: ${path} is not JSON (${(error as Error).message})`);
  }
  if (
    manifest?.format !== 'mipjs-weights' ||
    typeof manifest.kind !== 'string' ||
    typeof manifest.config !== 'object'
  ) {
    throw new PolicyError('weights', `${label}: ${path} is not a mipjs weights manifest`);
  }
  if (manifest.kind !== spec.kind) {
    throw new PolicyError(
      'weights',
      `${label}: ${path} holds a '${manifest.kind}', the policy manifest says '${spec.kind}'`,
    );
  }
  const dataPath = joinPath(spec.weights, manifest.dataFile ?? 'weights.bin');
  const data = bytes(await read(dataPath));
  try {
    // Flipped bytes would load as plausible weights: the manifest's sha256 catches them.
    await verifyWeightsChecksum(manifest, data, `${label}: ${dataPath}`);
  } catch (error) {
    throw new PolicyError('weights', (error as Error).message);
  }
  return { manifest, data };
}

/** Builds a module from its saved kind/config and assigns the weights; errors name the folder. */
function rebuild<T extends { dispose(): void }>(
  make: () => T,
  weights: { manifest: WeightsManifest; data: Uint8Array },
  where: string,
): T {
  let module: T;
  try {
    module = make();
  } catch (error) {
    throw new PolicyError(
      'weights',
      `${where}: cannot rebuild '${weights.manifest.kind}': ${(error as Error).message}`,
    );
  }
  try {
    // An encoder has the same kind / config / variables / namedVariables surface the weights I/O reads.
    assignWeights(module as unknown as Network, weights.manifest, weights.data);
  } catch (error) {
    module.dispose();
    throw new PolicyError('weights', `${where}: ${(error as Error).message}`);
  }
  return module;
}

/**
 * Saved config with a cheap initialiser: every variable is overwritten by `assignWeights` (which
 * checks that each one is in the file), so the network's own init (orthogonal Gram-Schmidt, ~20 s
 * for a W512 x 8 MLP on one core) would be wasted work.
 */
function configForLoading(config: Record<string, unknown>): Record<string, unknown> {
  return 'init' in config ? { ...config, init: 'zeros' } : { ...config };
}

function checkShape(net: Network, m: PolicyManifest, condDim: number, where: string): void {
  const want = {
    horizon: m.horizon,
    actDim: m.action.dim,
    obsSteps: Math.max(1, m.obsSteps),
    condDim: Math.max(1, condDim),
  };
  const cfg = net.config as Record<string, unknown>;
  const diffs = (Object.keys(want) as (keyof typeof want)[])
    .filter((k) => cfg[k] !== undefined && cfg[k] !== want[k])
    .map((k) => `${k} ${String(cfg[k])} (the policy needs ${want[k]})`);
  if (diffs.length > 0)
    throw new PolicyError(
      'weights',
      `${where}: the network does not fit the policy manifest: ${diffs.join(', ')}`,
    );
}

function pickNormalizers(
  all: Record<string, Normalizer>,
  m: PolicyManifest,
  where: string,
): { obs?: Normalizer; action: Normalizer } {
  const { obs, action } = all;
  if (!action || (m.obsSteps > 0 && !obs)) {
    throw new PolicyError(
      'normalizers',
      `${where}: needs an 'action'${m.obsSteps > 0 ? " and an 'obs'" : ''} normalizer, found ${Object.keys(all).join(', ') || 'none'}`,
    );
  }
  if (action.dim !== m.action.dim)
    throw new PolicyError(
      'normalizers',
      `${where}: the action normalizer is ${action.dim}-D, the policy's actions ${m.action.dim}-D`,
    );
  if (m.obsSteps > 0 && obs!.dim !== m.obs.dim)
    throw new PolicyError(
      'normalizers',
      `${where}: the obs normalizer is ${obs!.dim}-D, the policy's observations ${m.obs.dim}-D`,
    );
  return m.obsSteps > 0 ? { obs, action } : { action };
}

/**
 * Loads a trained policy from a run's files: `policy.json` (the {@link PolicyManifest}), the EMA
 * network and encoder weights it names (rebuilt with `createNetwork` / `createEncoder` from their
 * saved kind and config), the normalizers, and the sampler from the sampler table. Browser-safe:
 * give it files already in memory or a `readFile` (see `loadPolicyFromUrl`; in Node,
 * `loadPolicyFromRun` of `@mipjs/policy/node`). Every failure is a {@link PolicyError}.
 *
 * ```ts
 * import '@tensorflow/tfjs'; // or any backend
 * import { loadPolicy } from '@mipjs/policy';
 * const policy = await loadPolicy({ files }, { expect: { task: 'pusht' } });
 * ```
 */
export async function loadPolicy(source: PolicySource, options: LoadPolicyOptions = {}): Promise<Policy> {
  const { read, label } = readerOf(source);
  const manifestLabel = `${label}: ${POLICY_MANIFEST_FILE}`;
  const manifest = parsePolicyManifest(
    source.manifest ?? text(await read(POLICY_MANIFEST_FILE)),
    manifestLabel,
  );
  checkExpectation(manifest, options.expect, label);
  const sampler = resolveSampler(manifest.sampler, options.samplers);
  // An unknown schedule fails here, before any weights are read (nothing to free).
  const name = manifest.interpolant ?? 'linear';
  if (!Object.hasOwn(schedules, name) && !(options.schedules && Object.hasOwn(options.schedules, name)))
    throw new PolicyError(
      'manifest',
      `policy interpolant '${name}' is neither built in (${Object.keys(schedules).join(', ')}) nor in loadPolicy options.schedules`,
    );

  // Read every file first, so that a missing one fails before any variable is created.
  const netWeights = await readWeights(read, manifest.network, label);
  const encWeights = manifest.encoder ? await readWeights(read, manifest.encoder, label) : null;
  let normalizers: { obs?: Normalizer; action: Normalizer } | null = null;
  if (manifest.normalizers) {
    const where = `${label}: ${manifest.normalizers}`;
    let all: Record<string, Normalizer>;
    const raw = text(await read(manifest.normalizers));
    try {
      all = parseNormalizers(raw, where);
    } catch (error) {
      throw new PolicyError('normalizers', (error as Error).message);
    }
    normalizers = pickNormalizers(all, manifest, where);
  }

  let encoder: ObsEncoder | null = null;
  if (encWeights && manifest.encoder) {
    const where = `${label}: ${manifest.encoder.weights}`;
    const cfg = encWeights.manifest.config as Record<string, unknown>;
    encoder = rebuild(
      () =>
        own(options.encoders, encWeights.manifest.kind)?.(cfg) ??
        createEncoder(encWeights.manifest.kind, cfg as unknown as Parameters<typeof createEncoder>[1]),
      encWeights,
      where,
    );
    if (encoder.obsDim !== manifest.obs.dim || encoder.obsSteps !== manifest.obsSteps) {
      encoder.dispose();
      throw new PolicyError(
        'weights',
        `${where}: the encoder reads [To=${encoder.obsSteps}, D=${encoder.obsDim}], the policy manifest says [${manifest.obsSteps}, ${manifest.obs.dim}]`,
      );
    }
  }
  const where = `${label}: ${manifest.network.weights}`;
  let network: Network;
  try {
    network = rebuild(
      () =>
        own(options.networks, netWeights.manifest.kind)?.(netWeights.manifest.config) ??
        createNetwork(netWeights.manifest.kind, configForLoading(netWeights.manifest.config)),
      netWeights,
      where,
    );
    checkShape(network, manifest, encoder?.embDim ?? manifest.obs.dim, where);
  } catch (error) {
    encoder?.dispose();
    throw error;
  }
  return new Policy({ manifest, network, encoder, normalizers, sampler, schedules: options.schedules });
}

/** Options of {@link loadPolicyFromUrl}. */
export interface LoadPolicyFromUrlOptions extends LoadPolicyOptions {
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
}

/**
 * Loads a policy from a run folder served over HTTP: `baseUrl/policy.json` and the files it names.
 *
 * ```ts
 * const policy = await loadPolicyFromUrl('/runs/mip-pusht/');
 * ```
 */
export async function loadPolicyFromUrl(
  baseUrl: string,
  options: LoadPolicyFromUrlOptions = {},
): Promise<Policy> {
  const doFetch =
    options.fetch ?? (globalThis.fetch as unknown as NonNullable<LoadPolicyFromUrlOptions['fetch']>);
  if (typeof doFetch !== 'function')
    throw new PolicyError('option', 'loadPolicyFromUrl: no fetch available; pass options.fetch');
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return loadPolicy(
    {
      label: base,
      readFile: async (path) => {
        const res = await doFetch(base + path);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return new Uint8Array(await res.arrayBuffer());
      },
    },
    options,
  );
}
