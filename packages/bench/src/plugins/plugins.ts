// plugins/ owns the networks, encoders and tasks of packages (`--network-package`,
// `--encoder-package`, `--task-package`): one loader for the three kinds, a table per kind.
import { ENCODER_KINDS, NETWORK_KINDS, type Network, type ObsEncoder } from '@mipjs/nets';
import { ConfigError, fieldLabel, type RunConfig, TASK_NAMES } from '../config/config.js';

/** A malformed plugin package (cannot load, missing export, bad entry). */
export class PluginError extends Error {
  override name = 'PluginError';
}

/**
 * A network of a package: `create(options)` builds it from the options `createNetwork` gets
 * (networkOptions + horizon, actDim, obsSteps, condDim, seed). The network's `kind` must be the
 * entry's and its `config` must rebuild it (`create(net.config)`), as the built-ins' do: the EMA
 * copy, the checkpoint and the policy loader rebuild it that way.
 */
export interface NetworkPlugin {
  readonly kind: string;
  create(options: Record<string, unknown>): Network;
  readonly description?: string;
}

/** An observation encoder of a package: `create(options)` gets encoderOptions + obsDim, obsSteps, embDim, seed. */
export interface EncoderPlugin {
  readonly kind: string;
  create(options: Record<string, unknown>): ObsEncoder;
  readonly description?: string;
}

/**
 * A task of a package: `open(config)` returns a bench `Task` (shapes, seeded batches, evaluation).
 * Typed loosely here because plugins sit below tasks; `openTask` gives it its type.
 */
export interface TaskPlugin {
  readonly name: string;
  open(config: RunConfig, options?: unknown): unknown;
  readonly description?: string;
}

/** The run-config fields the plugins read (all optional: a policy loader names only packages). */
type PluginFields = Partial<
  Pick<RunConfig, 'network' | 'encoder' | 'task' | 'networkPackages' | 'encoderPackages' | 'taskPackages'>
>;

interface Kind<T> {
  /** Singular noun in errors ('network'). */
  readonly noun: 'network' | 'encoder' | 'task';
  /** The export read from the package. */
  readonly exportName: 'networks' | 'encoders' | 'tasks';
  /** The entry's name field and its factory method. */
  readonly nameKey: 'kind' | 'name';
  readonly method: 'create' | 'open';
  /** The run-config fields of the name and of the packages. */
  readonly field: 'network' | 'encoder' | 'task';
  readonly packagesField: 'networkPackages' | 'encoderPackages' | 'taskPackages';
  readonly flag: string;
  /** Loaded entries by name. */
  readonly loaded: Map<string, T>;
}

const NETWORKS: Kind<NetworkPlugin> = {
  noun: 'network',
  exportName: 'networks',
  nameKey: 'kind',
  method: 'create',
  field: 'network',
  packagesField: 'networkPackages',
  flag: '--network-package',
  loaded: new Map(),
};
const ENCODERS: Kind<EncoderPlugin> = {
  noun: 'encoder',
  exportName: 'encoders',
  nameKey: 'kind',
  method: 'create',
  field: 'encoder',
  packagesField: 'encoderPackages',
  flag: '--encoder-package',
  loaded: new Map(),
};
const TASKS: Kind<TaskPlugin> = {
  noun: 'task',
  exportName: 'tasks',
  nameKey: 'name',
  method: 'open',
  field: 'task',
  packagesField: 'taskPackages',
  flag: '--task-package',
  loaded: new Map(),
};

/**
 * Loads the `networks` / `encoders` / `tasks` export of a package (an entry or an array of them)
 * and checks each entry's shape; `builtins` are names a package may not reuse.
 */
async function loadPackage<T>(kind: Kind<T>, pkg: string, builtins: readonly string[]): Promise<T[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ pkg)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginError(
      `${kind.flag} ${pkg}: cannot load the package: ${(error as Error).message.split('\n')[0]}. ` +
        `Install it next to @mipjs/bench (pnpm add ${pkg}).`,
    );
  }
  const exported = mod[kind.exportName];
  if (exported === undefined)
    throw new PluginError(`${kind.flag} ${pkg}: the package has no '${kind.exportName}' export`);
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0) throw new PluginError(`${kind.flag} ${pkg}: '${kind.exportName}' is empty`);
  return list.map((entry, i) => {
    const e = entry as Record<string, unknown> | null;
    const where = `${kind.flag} ${pkg}: ${kind.exportName}[${i}]`;
    const name = e?.[kind.nameKey];
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof name !== 'string' ||
      !/^[a-z0-9][a-z0-9_.-]*$/i.test(name)
    )
      throw new PluginError(
        `${where}: expected { ${kind.nameKey}: string of letters, digits, '_', '-', '.', ${kind.method}: function }`,
      );
    if (typeof e[kind.method] !== 'function')
      throw new PluginError(`${where} ('${name}'): ${kind.method} must be a function`);
    if (builtins.includes(name))
      throw new PluginError(`${where}: ${kind.noun} '${name}' is built in; a package must use another name`);
    return entry as T;
  });
}

/** Loads a config's packages of one kind into its table and checks the config's name against it. */
async function resolveKind<T>(
  kind: Kind<T>,
  config: PluginFields,
  builtins: readonly string[],
): Promise<void> {
  const packages = config[kind.packagesField] ?? [];
  for (const pkg of packages)
    for (const entry of await loadPackage(kind, pkg, builtins))
      kind.loaded.set((entry as Record<string, string>)[kind.nameKey]!, entry);
  const name = config[kind.field];
  if (name !== undefined && !builtins.includes(name) && !kind.loaded.has(name)) {
    throw ConfigError.of([
      `${fieldLabel(config as RunConfig, kind.field)}: unknown ${kind.noun} '${name}'; valid: ${[...builtins, ...kind.loaded.keys()].join(', ')}` +
        (packages.length === 0 ? ` (others load with ${kind.flag} PKG)` : ''),
    ]);
  }
}

/**
 * Loads a config's network, encoder and task packages and checks its `network`, `encoder` and
 * `task` names (an unknown one is a ConfigError naming the flag and listing the valid names).
 * Every run path awaits it before building a model or opening a task (`openTask` does).
 *
 * ```ts
 * await resolvePlugins({ ...config, network: 'example_linear', networkPackages: ['mipjs-algorithm-example'] });
 * buildModel(config, task); // builds the package's network
 * ```
 */
export async function resolvePlugins(config: PluginFields): Promise<void> {
  await resolveKind(NETWORKS, config, NETWORK_KINDS);
  await resolveKind(ENCODERS, config, ENCODER_KINDS);
  await resolveKind(TASKS, config, TASK_NAMES);
}

/** One entry of a package, as `mipjs info` lists it. */
export interface PluginListing {
  readonly name: string;
  readonly description?: string;
}

/**
 * Loads packages of each kind (as {@link resolvePlugins} does, without a run's names to check) and
 * lists their entries, for `mipjs info --network-package PKG ...`.
 *
 * ```ts
 * const { networks } = await listPlugins({ networkPackages: ['mipjs-algorithm-example'] });
 * // [{ name: 'example_mlp', description: '...' }]
 * ```
 */
export async function listPlugins(
  packages: Partial<Pick<RunConfig, 'networkPackages' | 'encoderPackages' | 'taskPackages'>>,
): Promise<{ networks: PluginListing[]; encoders: PluginListing[]; tasks: PluginListing[] }> {
  const list = async <T>(kind: Kind<T>, builtins: readonly string[]) => {
    const out: PluginListing[] = [];
    for (const pkg of packages[kind.packagesField] ?? [])
      for (const entry of await loadPackage(kind, pkg, builtins)) {
        const e = entry as Record<string, unknown>;
        const description = typeof e.description === 'string' ? e.description : undefined;
        out.push({ name: e[kind.nameKey] as string, ...(description ? { description } : {}) });
      }
    return out;
  };
  return {
    networks: await list(NETWORKS, NETWORK_KINDS),
    encoders: await list(ENCODERS, ENCODER_KINDS),
    tasks: await list(TASKS, TASK_NAMES),
  };
}

/** A loaded package network by kind (undefined for the built-ins). */
export function pluginNetwork(kind: string): NetworkPlugin | undefined {
  return NETWORKS.loaded.get(kind);
}

/** A loaded package encoder by kind (undefined for the built-ins). */
export function pluginEncoder(kind: string): EncoderPlugin | undefined {
  return ENCODERS.loaded.get(kind);
}

/** A loaded package task by name (undefined for the built-ins). */
export function pluginTask(name: string): TaskPlugin | undefined {
  return TASKS.loaded.get(name);
}

/** The loaded package factories, as `loadPolicy`'s `networks` / `encoders` options take them. */
export function loadedFactories(): {
  networks: Record<string, (config: Record<string, unknown>) => Network>;
  encoders: Record<string, (config: Record<string, unknown>) => ObsEncoder>;
} {
  const table = <T extends { create: (c: Record<string, unknown>) => unknown }>(m: Map<string, T>) =>
    Object.fromEntries([...m].map(([k, p]) => [k, (c: Record<string, unknown>) => p.create(c)]));
  return {
    networks: table(NETWORKS.loaded) as Record<string, (c: Record<string, unknown>) => Network>,
    encoders: table(ENCODERS.loaded) as Record<string, (c: Record<string, unknown>) => ObsEncoder>,
  };
}

/** Throws when a name is neither built in nor loaded (a guard for sync paths such as buildModel). */
export function notLoaded(noun: 'network' | 'encoder' | 'task', name: string): ConfigError {
  const flag = noun === 'network' ? NETWORKS.flag : noun === 'encoder' ? ENCODERS.flag : TASKS.flag;
  return new ConfigError(`${noun} '${name}' is not loaded: give its package with ${flag}`);
}
