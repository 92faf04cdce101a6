import { basename, resolve } from 'node:path';
import { loadPolicyFromRun, POLICY_SAMPLERS, type Policy } from '@mipjs/policy/node';
import { ConfigError } from '../config/config.js';
import { runPolicyOptions } from '../evaluate/closed-loop.js';

/** One served run: its name in the URLs, its folder and the loaded policy. */
export interface ServedPolicy {
  name: string;
  dir: string;
  policy: Policy;
}

/** What `GET /policies` says of one policy: everything a robot needs to build its requests. */
export interface PolicyDescription {
  name: string;
  algorithm: string;
  task: string;
  /** NFE used when a request gives none. */
  nfe: number;
  /** Samplers with a fixed number of network calls: that number (a request's nfe is then ignored). */
  fixedNfe: number | null;
  /** The NFE values the run was evaluated at. */
  evaluatedNfe: number[];
  obsSteps: number;
  horizon: number;
  actionSteps: number;
  /** One request's observation history `[To, D]`, and what the D features are. */
  observation: {
    shape: [number, number];
    units: string | null;
    names: string[] | null;
    keys: string[] | null;
  };
  /** One answer's action chunk `[H, A]` in environment units; `low` / `high` when the run knows its action space. */
  action: {
    shape: [number, number];
    units: string | null;
    names: string[] | null;
    low: number[] | null;
    high: number[] | null;
  };
  /** Sampler, and whether its start is seed-free (then concurrent requests are batched exactly). */
  sampler: { name: string; start: 'zero' | 'noise' };
  /** Rows of the chunk a receding-horizon controller executes: `[To − 1, To − 1 + Ta)`. */
  executedRows: [number, number];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * `name=folder` or `folder` (named after the folder) -> `{ name, dir }`; names are URL-safe
 * (`[A-Za-z0-9._-]`, at most 64) so that `/policies/:name/act` needs no escaping.
 *
 * ```ts
 * parseRunSpec('mip=runs/mip-pusht'); // { name: 'mip', dir: 'runs/mip-pusht' }
 * parseRunSpec('runs/flow-pusht');    // { name: 'flow-pusht', dir: 'runs/flow-pusht' }
 * ```
 */
export function parseRunSpec(spec: string): { name: string; dir: string } {
  const eq = spec.indexOf('=');
  const dir = eq > 0 ? spec.slice(eq + 1) : spec;
  const name = eq > 0 ? spec.slice(0, eq) : basename(resolve(dir));
  if (!NAME.test(name)) {
    throw new ConfigError(
      `RUN '${spec}': policy name '${name}' must be 1-64 of A-Z a-z 0-9 . _ - (write it as name=folder)`,
    );
  }
  if (dir === '') throw new ConfigError(`RUN '${spec}': expected name=folder, the folder is empty`);
  return { name, dir };
}

/**
 * Loads every run (`name=folder` or `folder`) through `loadPolicyFromRun`; a duplicate name or an
 * unloadable run is one clear error (and the runs loaded before it are disposed).
 *
 * ```ts
 * const policies = await loadCatalog(['mip=runs/mip-pusht', 'runs/flow-pusht']);
 * const server = await startPolicyServer({ policies });
 * ```
 */
export async function loadCatalog(specs: readonly string[]): Promise<ServedPolicy[]> {
  if (specs.length === 0) throw new ConfigError('mipjs serve: expected at least one RUN folder');
  const parsed = specs.map(parseRunSpec);
  const seen = new Set<string>();
  for (const p of parsed) {
    if (seen.has(p.name)) {
      throw new ConfigError(`RUN: two runs are named '${p.name}'; name one of them with name=folder`);
    }
    seen.add(p.name);
  }
  const served: ServedPolicy[] = [];
  try {
    // A run trained with package schedules, networks or encoders needs their factories to load.
    for (const p of parsed) {
      served.push({ ...p, policy: await loadPolicyFromRun(p.dir, await runPolicyOptions(p.dir)) });
    }
  } catch (error) {
    for (const s of served) s.policy.dispose();
    throw error;
  }
  return served;
}

/** Whether the policy's chunks do not depend on the seed: a zero start with a built-in sampler. */
export function isSeedFree(policy: Policy): boolean {
  const start = policy.manifest.sampler.options?.start ?? 'zero';
  return start === 'zero' && Object.hasOwn(POLICY_SAMPLERS, policy.manifest.sampler.name);
}

/**
 * The `GET /policies` entry of a served policy: shapes per request (`[To, D]` in, `[H, A]` out)
 * and the rows a receding-horizon controller executes.
 *
 * ```ts
 * describePolicy(served).observation.shape; // [2, 5] for PushT
 * ```
 */
export function describePolicy(s: ServedPolicy): PolicyDescription {
  const m = s.policy.manifest;
  return {
    name: s.name,
    algorithm: m.algorithm,
    task: m.task,
    nfe: m.defaultNfe,
    fixedNfe: m.fixedNfe ?? null,
    evaluatedNfe: m.nfe ?? [m.defaultNfe],
    obsSteps: m.obsSteps,
    horizon: m.horizon,
    actionSteps: m.actionSteps,
    observation: {
      shape: [m.obsSteps, m.obs.dim],
      units: m.obs.units ?? null,
      names: m.obs.names ?? null,
      keys: m.obs.keys ?? null,
    },
    action: {
      shape: [m.horizon, m.action.dim],
      units: m.action.units ?? null,
      names: m.action.names ?? null,
      low: m.action.low ?? null,
      high: m.action.high ?? null,
    },
    sampler: { name: m.sampler.name, start: m.sampler.options?.start ?? 'zero' },
    executedRows: [Math.max(0, m.obsSteps - 1), Math.max(0, m.obsSteps - 1) + m.actionSteps],
  };
}
