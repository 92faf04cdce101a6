// algorithms/schedules.ts: the bench's interpolant schedule table (`--interpolant NAME`): the
// built-ins of @mipjs/interpolant plus the schedules of `--interpolant-package` packages.
import { schedules as BUILTIN_SCHEDULES, Interpolant, type Schedule } from '@mipjs/interpolant';
import { ConfigError, fieldLabel, type RunConfig } from '../config/config.js';

/** A malformed schedule package. */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

const SCHEDULE_METHODS = ['alpha', 'beta', 'alphaDot', 'betaDot'] as const;

/** Checks the shape of a schedule object (`where` names its source in errors). */
export function validateSchedule(value: unknown, where: string): Schedule {
  const s = value as Partial<Schedule> | null;
  if (s === null || typeof s !== 'object')
    throw new ScheduleError(
      `${where}: a schedule must be an object { name, alpha, beta, alphaDot, betaDot }, got ${typeof value}`,
    );
  const problems: string[] = [];
  if (typeof s.name !== 'string' || !/^[a-z0-9][a-z0-9_.-]*$/i.test(s.name))
    problems.push(
      `name must be a non-empty string of letters, digits, '_', '-', '.' (got ${JSON.stringify(s.name)})`,
    );
  for (const m of SCHEDULE_METHODS)
    if (typeof s[m] !== 'function') problems.push(`${m} must be a function (t: Tensor) => Tensor`);
  if (problems.length > 0)
    throw new ScheduleError(`${where}: invalid schedule '${String(s.name)}':\n  ${problems.join('\n  ')}`);
  return s as Schedule;
}

/**
 * Loads the schedules of a package by name (dynamic import): its `schedules` export (or its
 * default export), a Schedule or an array of them.
 */
export async function loadSchedulePackage(name: string): Promise<Schedule[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ name)) as Record<string, unknown>;
  } catch (error) {
    throw new ScheduleError(
      `cannot load interpolant package '${name}': ${(error as Error).message.split('\n')[0]}. ` +
        `Install it next to @mipjs/bench (pnpm add ${name}).`,
    );
  }
  const exported = mod.schedules ?? mod.default;
  if (exported === undefined)
    throw new ScheduleError(`interpolant package '${name}' has neither a 'schedules' nor a default export`);
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0) throw new ScheduleError(`interpolant package '${name}' exports no schedules`);
  return list.map((s, i) => validateSchedule(s, `package '${name}'${list.length > 1 ? ` entry ${i}` : ''}`));
}

/** Schedules loaded from packages so far, by name (filled by {@link resolveSchedules}). */
const LOADED = new Map<string, Schedule>();

/**
 * The schedule table of a run: the built-ins plus every schedule of the given packages (a
 * package may not reuse a built-in name). Loaded schedules stay known to {@link interpolantFor}.
 */
export async function resolveSchedules(packages: readonly string[] = []): Promise<Map<string, Schedule>> {
  const table = new Map<string, Schedule>(Object.entries(BUILTIN_SCHEDULES));
  for (const pkg of packages) {
    for (const s of await loadSchedulePackage(pkg)) {
      if (Object.hasOwn(BUILTIN_SCHEDULES, s.name))
        throw new ScheduleError(`package '${pkg}' defines schedule '${s.name}', which is built in`);
      table.set(s.name, s);
      LOADED.set(s.name, s);
    }
  }
  return table;
}

/**
 * Loads a config's interpolant packages and checks its `interpolant` name: an unknown one is a
 * ConfigError naming the flag and listing the valid names.
 *
 * ```ts
 * await checkInterpolant({ ...config, interpolant: 'quadratic', interpolantPackages: ['mipjs-algorithm-example'] });
 * ```
 */
export async function checkInterpolant(
  config: Pick<RunConfig, 'interpolant' | 'interpolantPackages'>,
): Promise<Schedule> {
  const table = await resolveSchedules(config.interpolantPackages ?? []);
  const schedule = table.get(config.interpolant);
  if (!schedule) {
    throw ConfigError.of([
      `${fieldLabel(config, 'interpolant')}: unknown interpolant '${config.interpolant}'; valid: ${[...table.keys()].join(', ')}` +
        ((config.interpolantPackages ?? []).length === 0
          ? ' (others load with --interpolant-package PKG)'
          : ''),
    ]);
  }
  return schedule;
}

/**
 * The interpolant of a run: the built-in schedule of that name, or one loaded by
 * {@link checkInterpolant} / {@link resolveSchedules} from the run's packages (which every run
 * path awaits before training or evaluating: `algorithmFor` does).
 */
export function interpolantFor(config: Pick<RunConfig, 'interpolant'>): Interpolant {
  const name = config.interpolant ?? 'linear';
  const schedule = Object.hasOwn(BUILTIN_SCHEDULES, name)
    ? BUILTIN_SCHEDULES[name as keyof typeof BUILTIN_SCHEDULES]
    : LOADED.get(name);
  if (!schedule)
    throw new ConfigError(
      `interpolant '${name}' is not loaded: give its package with --interpolant-package (config key interpolantPackages)`,
    );
  return new Interpolant(schedule);
}

/** The loaded package schedules by name, for a policy that must re-noise with them (`loadPolicy`'s `schedules`). */
export function loadedSchedules(): Readonly<Record<string, Schedule>> {
  return Object.fromEntries(LOADED);
}
