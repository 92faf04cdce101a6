import type { LossFn } from '@mipjs/losses';
import type { OptionsSchema } from '@mipjs/nets';
import type { Sampler } from '@mipjs/samplers';

/**
 * One algorithm: a loss, the sampler its policy is drawn with, and the NFE values it is evaluated
 * at by default (the first is the primary one). Built-in algorithms and external packages are
 * entries of this same shape.
 */
export interface Algorithm {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: each loss has its own options type
  loss: LossFn<any>;
  /**
   * The loss options a config may set (`lossOptions`), as an @mipjs/nets options schema; the
   * built-ins use the schema next to each loss. Without one the options are passed unchecked.
   */
  lossOptionsSchema?: OptionsSchema;
  /** A sampler of @mipjs/samplers' contract `(ctx, cond, options) -> [B, H, A]`. */
  sampler: Sampler;
  /**
   * The same sampler by name, for a deployed policy: the key of `@mipjs/policy`'s sampler table
   * (an export name of @mipjs/samplers, e.g. `'eulerSampler'`), written to the run's `policy.json`.
   * `{ page, reference }` when the loss option `variant: 'reference'` switches the sampler. Without
   * it a run writes no `policy.json`.
   */
  samplerName?: string | { page: string; reference: string };
  defaultSteps: number[];
  /**
   * Names in the bench's sampler table (`SAMPLER_CHOICES`: euler, heun, midpoint, flow_map) that
   * `--sampler` may pick for this algorithm, its own first. Absent: only its own sampler.
   */
  samplers?: readonly string[];
  /**
   * Network calls per sampler step (Heun and midpoint: 2). NFE = steps x callsPerStep; `--nfe`
   * and every result table count network calls. Default 1.
   */
  callsPerStep?: number;
  /**
   * Samplers that always make the same number of network calls (regression 1, mip and tsd 2):
   * that number. Such an algorithm is evaluated once, and its row reports this NFE.
   */
  fixedNfe?: number;
  /** Sampling start when the config says `auto`: 'noise' (default) or 'zero' (regression, mip). */
  defaultStart?: 'zero' | 'noise';
  /** ctm / lmd: the loss reads a frozen flow-matching teacher velocity. */
  needsTeacher?: boolean;
  /** One line for `mipjs info`. */
  description?: string;
}

/** A malformed algorithm (from an external package). */
export class AlgorithmError extends Error {
  override name = 'AlgorithmError';
}

/** Checks the shape of an algorithm object; `where` names its source in errors. */
export function validateAlgorithm(value: unknown, where: string): Algorithm {
  const problems: string[] = [];
  const a = value as Partial<Algorithm> | null;
  if (a === null || typeof a !== 'object') {
    throw new AlgorithmError(
      `${where}: an algorithm must be an object { name, loss, sampler, defaultSteps }, got ${typeof value}`,
    );
  }
  if (typeof a.name !== 'string' || !/^[a-z0-9][a-z0-9_.-]*$/i.test(a.name)) {
    problems.push(
      `name must be a non-empty string of letters, digits, '_', '-', '.' (got ${JSON.stringify(a.name)})`,
    );
  }
  if (typeof a.loss !== 'function')
    problems.push(`loss must be a function (ctx, batch, draws?) => { loss, terms }`);
  if (typeof a.sampler !== 'function')
    problems.push(`sampler must be a function (ctx, cond, options) => actions`);
  if (
    !Array.isArray(a.defaultSteps) ||
    a.defaultSteps.length === 0 ||
    !a.defaultSteps.every((s) => Number.isInteger(s) && s >= 1)
  ) {
    problems.push(
      `defaultSteps must be a non-empty array of positive integers (got ${JSON.stringify(a.defaultSteps)})`,
    );
  }
  if (a.fixedNfe !== undefined && !(Number.isInteger(a.fixedNfe) && a.fixedNfe >= 1)) {
    problems.push('fixedNfe must be a positive integer when given');
  }
  if (
    a.lossOptionsSchema !== undefined &&
    (a.lossOptionsSchema === null ||
      typeof a.lossOptionsSchema !== 'object' ||
      Array.isArray(a.lossOptionsSchema))
  ) {
    problems.push('lossOptionsSchema must be an object of option specs when given');
  }
  if (a.callsPerStep !== undefined && !(Number.isInteger(a.callsPerStep) && a.callsPerStep >= 1)) {
    problems.push('callsPerStep must be a positive integer when given');
  }
  if (
    a.samplers !== undefined &&
    !(Array.isArray(a.samplers) && a.samplers.every((s) => typeof s === 'string'))
  ) {
    problems.push('samplers must be an array of sampler names when given');
  }
  if (a.needsTeacher !== undefined && typeof a.needsTeacher !== 'boolean') {
    problems.push('needsTeacher must be a boolean when given');
  }
  if (problems.length > 0) {
    throw new AlgorithmError(`${where}: invalid algorithm '${String(a.name)}':\n  ${problems.join('\n  ')}`);
  }
  return a as Algorithm;
}

/**
 * Loads algorithms from a package by name (dynamic import): its default export or its
 * `algorithms` export, an Algorithm or an array of them.
 */
export async function loadAlgorithmPackage(name: string): Promise<Algorithm[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ name)) as Record<string, unknown>;
  } catch (error) {
    throw new AlgorithmError(
      `cannot load algorithm package '${name}': ${(error as Error).message.split('\n')[0]}. ` +
        `Install it next to @mipjs/bench (pnpm add ${name}).`,
    );
  }
  const exported = mod.algorithms ?? mod.default;
  if (exported === undefined) {
    throw new AlgorithmError(
      `algorithm package '${name}' has neither a default export nor an 'algorithms' export`,
    );
  }
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0)
    throw new AlgorithmError(`algorithm package '${name}' exports an empty list of algorithms`);
  return list.map((a, i) => validateAlgorithm(a, `package '${name}'${list.length > 1 ? ` entry ${i}` : ''}`));
}
