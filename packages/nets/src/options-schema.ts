/**
 * Options schemas: the keys an options object (of a network, an encoder, a loss) may hold, and
 * the type of each. An options object is plain JSON that a user types (`--network-options`, a
 * config file), so a typo like `embDimm` must be an error that lists the valid keys instead of a
 * key that is stored and ignored. Dependency-free (no zod), so browser bundles stay small.
 */

/** The type of one option. */
export type OptionSpec =
  | { type: 'integer'; min?: number; max?: number; doc?: string }
  | {
      type: 'number';
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
      exclusiveMax?: boolean;
      doc?: string;
    }
  | { type: 'boolean'; doc?: string }
  | { type: 'enum'; values: readonly string[]; doc?: string }
  | { type: 'integer[]'; min?: number; doc?: string }
  /** A value the schema does not describe further (e.g. a function option of a library caller). */
  | { type: 'any'; doc?: string };

/** The keys of an options object and the type of each. */
export type OptionsSchema = Readonly<Record<string, OptionSpec>>;

const describe = (value: unknown): string => {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
};

function expected(spec: OptionSpec): string {
  switch (spec.type) {
    case 'integer':
    case 'number': {
      const kind = spec.type === 'integer' ? 'an integer' : 'a number';
      const lo =
        spec.min === undefined
          ? ''
          : `${'exclusiveMin' in spec && spec.exclusiveMin ? '>' : '>='} ${spec.min}`;
      const hi =
        spec.max === undefined
          ? ''
          : `${'exclusiveMax' in spec && spec.exclusiveMax ? '<' : '<='} ${spec.max}`;
      const range = [lo, hi].filter(Boolean).join(' and ');
      return range ? `${kind} ${range}` : kind;
    }
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${spec.values.map((v) => `'${v}'`).join(', ')}`;
    case 'integer[]':
      return spec.min === undefined ? 'an array of integers' : `an array of integers >= ${spec.min}`;
    case 'any':
      return 'any value';
  }
}

function inRange(
  v: number,
  spec: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean },
) {
  if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) return false;
  if (spec.max !== undefined && (spec.exclusiveMax ? v >= spec.max : v > spec.max)) return false;
  return true;
}

function fits(spec: OptionSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && inRange(value, spec);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inRange(value, spec);
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value);
    case 'integer[]':
      return (
        Array.isArray(value) &&
        value.every(
          (v) => typeof v === 'number' && Number.isInteger(v) && (spec.min === undefined || v >= spec.min),
        )
      );
    case 'any':
      return true;
  }
}

/**
 * The problems of `options` against `schema`, one short line each (empty when it fits): an
 * unknown key lists the valid ones, a bad value says what was expected and what was found.
 * `undefined` values count as absent.
 *
 * ```ts
 * checkOptions(MLP_OPTIONS_SCHEMA, { embDimm: 64 });
 * // ["unknown key 'embDimm'; valid keys: embDim, nLayers, dropout, ..."]
 * ```
 */
export function checkOptions(schema: OptionsSchema, options: unknown): string[] {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    return [`expected an object of options, found ${describe(options)}`];
  }
  const problems: string[] = [];
  const valid = Object.keys(schema);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const spec = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!spec) {
      problems.push(`unknown key '${key}'; valid keys: ${valid.length ? valid.join(', ') : '(none)'}`);
    } else if (!fits(spec, value)) {
      problems.push(`'${key}': expected ${expected(spec)}, found ${describe(value)}`);
    }
  }
  return problems;
}

/** An options object that does not fit its schema; the message names every bad key. */
export class OptionsError extends Error {
  override name = 'OptionsError';
  constructor(
    /** What the options are for, e.g. `network 'mlp' options`. */
    readonly subject: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid ${subject}: ${problems.join('; ')}`);
  }
}

/** Throws an {@link OptionsError} naming every problem of {@link checkOptions}. */
export function assertOptions(schema: OptionsSchema, options: unknown, subject: string): void {
  const problems = checkOptions(schema, options);
  if (problems.length > 0) throw new OptionsError(subject, problems);
}
