// config/ owns the run configuration: its schema, presets, precedence, flag parsing and ConfigError.
import { readFileSync } from 'node:fs';
import { checkEncoderOptions, checkNetworkOptions } from '@mipjs/nets';
import YAML from 'yaml';
import { z } from 'zod';
import { BACKEND_NAMES } from '../backend/backend.js';

/** Tasks the bench knows. */
export const TASK_NAMES = [
  'checkerboard',
  'bimodal',
  'recon',
  'proj',
  'lie',
  'pusht',
  'pusht_keypoint',
  'pusht_image',
  'robomimic',
  'lerobot',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];
/** Tasks read from files (`--data PATH`). */
export const DATASET_TASKS: readonly TaskName[] = [
  'pusht',
  'pusht_keypoint',
  'pusht_image',
  'robomimic',
  'lerobot',
];

/** Network kinds of `createNetwork` in @mipjs/nets. */
export const NETWORK_NAMES = [
  'mlp',
  'vanilla_mlp',
  'chiunet',
  'jannerunet',
  'chitransformer',
  'sudeepdit',
  'rnn',
  'vanilla_rnn',
] as const;
/** Observation encoder kinds of `createEncoder` in @mipjs/nets. */
export const ENCODER_NAMES = ['identity', 'mlp', 'per_step_mlp', 'image'] as const;

const positiveInt = z.number().int().positive();
const unit = z.number().min(0).max(1);

/**
 * Everything that defines one training run. Saved as `config.json` in the run folder; a resume
 * must find the same values (logging, evaluation and package fields aside).
 */
export const runConfigSchema = z
  .object({
    /** A task of {@link TASK_NAMES}, or one of a package in `taskPackages` (checked when the task opens). */
    task: z.string().min(1),
    /** Dataset path of the dataset tasks. */
    data: z.string().min(1).optional(),
    algorithm: z.string().min(1),
    /** Packages that export extra algorithms (loaded by name). */
    algorithmPackages: z.array(z.string().min(1)).default([]),
    /** Packages that export extra tasks (`--task-package`, loaded by name; see the bench's plugins/). */
    taskPackages: z.array(z.string().min(1)).default([]),
    /** A network of {@link NETWORK_NAMES}, or one of a package in `networkPackages`. */
    network: z.string().min(1),
    /** Packages that export extra networks (`--network-package`, loaded by name). */
    networkPackages: z.array(z.string().min(1)).default([]),
    /** Options forwarded to `createNetwork` (e.g. embDim, nLayers, dropout). */
    networkOptions: z.record(z.string(), z.unknown()).default({}),
    /**
     * Observation encoder of @mipjs/nets for tasks with observations (`createEncoder`); trained
     * jointly with the network (same optimizer, EMA and checkpoint). The dataset tasks default to
     * `mlp` as the reference YAML; the toy tasks to `identity`.
     */
    encoder: z.string().min(1).default('identity'),
    /** Packages that export extra observation encoders (`--encoder-package`, loaded by name). */
    encoderPackages: z.array(z.string().min(1)).default([]),
    /** Options of the encoder (embDim, hiddenDims, dropout); embDim defaults to the network's embDim or 256. */
    encoderOptions: z.record(z.string(), z.unknown()).default({}),
    /**
     * robomimic action space (`--action-space`), the reference's task variants: `absolute` (`_abs`,
     * low_dim_abs.hdf5, `[pos3, rot6d, grip1]`), `delta` (`_delta`, low_dim.hdf5, the raw 7-D delta
     * actions of a delta controller), `relative` (`_rel`, low_dim_abs.hdf5, each chunk relative to
     * the EEF pose at window index To-1; evaluation maps predictions back to absolute).
     */
    actionSpace: z.enum(['absolute', 'delta', 'relative']).default('absolute'),
    /**
     * Dataset normalizers (`--normalizer`): `minmax` (the reference's, to [-1, 1]; relative actions:
     * MinMax on position and gripper, identity on rot6d) or `gaussian` (zero mean, unit std).
     */
    normalizer: z.enum(['minmax', 'gaussian']).default('minmax'),
    /** Dataset tasks: fraction of episodes held out for evaluation (split by episode, seeded by splitSeed). */
    valFraction: z.number().min(0).max(0.9).default(0.1),
    /** Dataset tasks: seed of the episode split (fixed by default, so every run of a compare shares it). */
    splitSeed: z.number().int().min(0).default(0),
    /** Dataset tasks: prediction horizon H, observation steps To, executed action steps Ta. */
    horizon: positiveInt.optional(),
    obsSteps: positiveInt.optional(),
    actSteps: positiveInt.optional(),
    steps: positiveInt,
    batchSize: positiveInt,
    lr: z.number().positive(),
    weightDecay: z.number().min(0),
    gradClip: z.number().min(0),
    emaRate: unit,
    /** delta_t warm-up / ramp-up ratios (WarmupAnnealing). */
    warmupRatio: unit,
    rampupRatio: unit,
    /** Options forwarded to the loss (lossScale, tTwoStep, discreteDt, normType, variant ...). */
    lossOptions: z.record(z.string(), z.unknown()).default({}),
    /**
     * Interpolant schedule by name (`--interpolant`): `linear`, `trig`, or a schedule of a package in
     * `interpolantPackages` (checked when the run resolves its algorithm; see the bench's schedule table).
     */
    interpolant: z.string().min(1).default('linear'),
    /** Packages that export extra interpolant schedules (`--interpolant-package`, loaded by name). */
    interpolantPackages: z.array(z.string().min(1)).default([]),
    /**
     * Sampler (`--sampler`): `auto` = the algorithm's own, or a compatible entry of the bench's
     * sampler table (flow: euler, heun, midpoint; the flow-map families also flow_map). NFE counts
     * network calls: a Heun or midpoint step is two.
     */
    sampler: z.string().min(1).default('auto'),
    /** Sampling start: `auto` = the algorithm's (noise for flows / flow maps, zeros for regression and mip), or forced. */
    sampleStart: z.enum(['auto', 'zero', 'noise']).default('auto'),
    seed: z.number().int().min(0),
    /** NFE values evaluated at the end; empty = the algorithm's default step list. */
    evalNfe: z.array(positiveInt).default([]),
    evalSamples: positiveInt,
    /**
     * Closed-loop episodes per NFE on tasks with an environment (pusht): Diffusion Policy's test
     * protocol, seeds 100000 onwards. 0 = off.
     */
    evalEpisodes: z.number().int().min(0).default(50),
    /**
     * Steps between closed-loop evaluations during training (`evalEpisodes` episodes at the first
     * NFE) on tasks with an environment: the curve goes into metrics.jsonl, the best EMA weights
     * by mean max reward into `checkpoint-best/`. 0 = off.
     */
    evalEvery: z.number().int().min(0).default(0),
    logEvery: positiveInt,
    checkpointEvery: positiveInt,
    /** A trained flow-matching teacher (run folder or checkpoint) for ctm / lmd. */
    teacher: z.string().min(1).optional(),
    /** Steps of the flow-matching teacher trained first when ctm / lmd get no --teacher. */
    teacherSteps: positiveInt.optional(),
  })
  .strict();

export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;

/** Options that do not change what a run computes (not part of config.json). */
export const executionSchema = z
  .object({
    backend: z.enum(BACKEND_NAMES).default('auto'),
    out: z.string().min(1).optional(),
    resume: z.boolean().default(false),
    quiet: z.boolean().default(false),
  })
  .strict();

/** Invalid configuration: the message names every bad field. */
export class ConfigError extends Error {
  override name = 'ConfigError';

  /** One problem on one line (`invalid config: --batch: ...`), several as an indented list. */
  static of(problems: readonly string[]): ConfigError {
    return new ConfigError(
      problems.length === 1
        ? `invalid config: ${problems[0]}`
        : `invalid config:\n  ${problems.join('\n  ')}`,
    );
  }
}

/**
 * The dataset tasks' defaults: the reference's MLP encoder and MLP network (narrower and shallower
 * than its YAML, and a batch of 64, so that a CPU trains them), H / To / Ta of the task (spec §9).
 */
const DATASET_PRESET: Partial<RunConfigInput> = {
  network: 'mlp',
  networkOptions: { embDim: 256, nLayers: 4 },
  encoder: 'mlp',
  steps: 2000,
  batchSize: 64,
  lr: 1e-4,
  evalSamples: 256,
  evalNfe: [1, 2, 4, 8],
};

/**
 * The toy tasks' `mlp`: 256 x 3, time features up to frequency 1 (`maxFreq`, the network's default
 * 100). With frequency 100, `f` at two nearby times is two unrelated functions: on recon lsd, psd,
 * esd and mf stayed at the error of predicting nothing (L1 about 1.0 after 800 steps; lsd 0.95 after
 * 3000) and flow learned about half as fast; with 1, lsd reached 0.034 (the toy-study guide).
 */
const TOY_MLP_OPTIONS = { embDim: 256, nLayers: 3, timestepEmbDim: 32, maxFreq: 1, dropout: 0 };

/** Per-task defaults: sized for a laptop CPU. */
export const TASK_PRESETS: Record<TaskName, Partial<RunConfigInput>> = {
  checkerboard: {
    network: 'mlp',
    networkOptions: { embDim: 64, nLayers: 2, timestepEmbDim: 16, dropout: 0 },
    steps: 1200,
    batchSize: 256,
    lr: 3e-3,
    evalSamples: 2000,
    evalNfe: [1, 2, 4, 8, 16],
  },
  bimodal: {
    network: 'mlp',
    networkOptions: { embDim: 128, nLayers: 2, timestepEmbDim: 32, dropout: 0 },
    steps: 3000,
    batchSize: 256,
    lr: 2e-3,
    evalSamples: 2000,
  },
  recon: {
    network: 'mlp',
    networkOptions: TOY_MLP_OPTIONS,
    steps: 3000,
    batchSize: 32,
    lr: 1e-3,
    evalSamples: 2000,
  },
  proj: {
    network: 'mlp',
    networkOptions: TOY_MLP_OPTIONS,
    steps: 3000,
    batchSize: 32,
    lr: 1e-3,
    evalSamples: 2000,
  },
  lie: {
    network: 'mlp',
    networkOptions: TOY_MLP_OPTIONS,
    steps: 3000,
    batchSize: 32,
    lr: 1e-3,
    evalSamples: 2000,
  },
  pusht: DATASET_PRESET,
  pusht_keypoint: DATASET_PRESET,
  // The reference's image encoder (ResNet-18, 84 x 84 crops of 96 x 96 frames): a step costs
  // seconds on a CPU (see the image-observations guide), so few steps and a small held-out batch.
  pusht_image: {
    ...DATASET_PRESET,
    encoder: 'image',
    encoderOptions: { imageShape: [96, 96, 3], cropShape: [84, 84] },
    steps: 300,
    batchSize: 16,
    evalSamples: 32,
    evalNfe: [1, 2],
  },
  robomimic: DATASET_PRESET,
  lerobot: DATASET_PRESET,
};

/**
 * Per-(task, algorithm) defaults between the task preset and the config file. The JVP algorithms
 * (one forward-mode tangent pass per step besides the plain pass) cost about 3x a flow step on the
 * checkerboard net (3.3x measured in the demo), so the demo gives them fewer steps to finish in
 * its ~3 minute budget; `--steps` (or a config file) overrides this like any preset value, and the
 * compare table's header states every algorithm's steps.
 */
export const ALGORITHM_PRESETS: Partial<Record<TaskName, Record<string, Partial<RunConfigInput>>>> = {
  checkerboard: {
    lsd: { steps: 800 },
    esd: { steps: 800 },
    psd: { steps: 800 },
    mf: { steps: 800 },
  },
};

/** Defaults shared by every task (the reference YAML's optimisation settings, spec §6.1). */
export const COMMON_DEFAULTS: Partial<RunConfigInput> = {
  algorithm: 'flow',
  task: 'checkerboard',
  lr: 1e-4,
  weightDecay: 1e-5,
  gradClip: 10,
  emaRate: 0.995,
  warmupRatio: 0.2,
  rampupRatio: 0.5,
  seed: 0,
  evalSamples: 1000,
  logEvery: 50,
  checkpointEvery: 1000,
};

/**
 * The CLI flag of each run-config field (what `mipjs train` and friends parse into it): errors
 * name what the user typed, `--batch`, not the field `batchSize`.
 */
export const FIELD_FLAGS: Readonly<Record<string, string>> = {
  task: '--task',
  data: '--data',
  algorithm: '--algorithm',
  algorithmPackages: '--algorithm-package',
  network: '--network',
  networkOptions: '--network-options',
  lossOptions: '--loss-options',
  steps: '--steps',
  batchSize: '--batch',
  lr: '--lr',
  weightDecay: '--weight-decay',
  gradClip: '--grad-clip',
  emaRate: '--ema',
  seed: '--seed',
  evalNfe: '--nfe',
  evalSamples: '--eval-samples',
  evalEpisodes: '--episodes',
  evalEvery: '--eval-every',
  teacher: '--teacher',
  teacherSteps: '--teacher-steps',
  actionSpace: '--action-space',
  normalizer: '--normalizer',
  sampler: '--sampler',
  interpolant: '--interpolant',
  interpolantPackages: '--interpolant-package',
  encoder: '--encoder',
  encoderOptions: '--encoder-options',
  networkPackages: '--network-package',
  encoderPackages: '--encoder-package',
  taskPackages: '--task-package',
};

/** The option objects of a run config (merged key by key across the sources). */
const OPTION_FIELDS = ['networkOptions', 'lossOptions', 'encoderOptions'] as const;

/**
 * Where the fields of a resolved config came from, by dotted path (`batchSize`,
 * `lossOptions.tStar`): the flag, or the key in the config file. Kept beside the config object
 * (not in it: config.json stays the run's definition) for errors raised after resolution, such
 * as a loss option the algorithm does not know.
 */
const FIELD_SOURCES = new WeakMap<object, ReadonlyMap<string, string>>();

/**
 * How an error names a field of `config`: the flag (`--batch`) when it came from one, the key in
 * its file (`'batchSize' in run.yaml`) when it came from a config file, else the field itself.
 * `path` is dotted for keys inside the option objects (`lossOptions.tStar`).
 */
export function fieldLabel(config: object | undefined, path: string): string {
  const sources = config ? FIELD_SOURCES.get(config) : undefined;
  return sources?.get(path) ?? sources?.get(path.split('.')[0]!) ?? path;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length > 8 ? 'an array' : `[${value.map(describeValue).join(', ')}]`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** What a zod issue expected, in words. */
function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int'
        ? 'an integer'
        : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      if (issue.origin === 'string') return `a non-empty string`;
      if (issue.origin === 'array') return `${op} ${String(bound)} entries`;
      return `a number ${op} ${String(bound)}`;
    }
    case 'invalid_value':
      return `one of ${issue.values.map((v) => describeValue(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

/**
 * One line per zod issue, naming the field as the user wrote it (`label`): `--batch: expected a
 * number > 0, found 0`, `unknown key 'bogus' in run.yaml; valid keys: ...`.
 */
function describeIssue(issue: z.core.$ZodIssue, label: (path: string) => string): string[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const valid = Object.keys(runConfigSchema.shape).join(', ');
    return issue.keys.map((key) => {
      const where = label(path ? `${path}.${key}` : key);
      return `${where === key ? `unknown config key '${key}'` : `unknown key ${where}`}; valid keys: ${valid}`;
    });
  }
  const found = 'input' in issue ? `, found ${describeValue(issue.input)}` : '';
  return [`${label(path || '(config)')}: expected ${expectation(issue)}${found}`];
}

/** Where a resolved config's fields came from (see {@link resolveRunConfig}). */
export interface ConfigSourceOptions {
  /**
   * How to name a key that came from the file fields, e.g. `(key) => \`'${key}' in run.yaml\``
   * (default `'<key>'`).
   */
  fileKey?: (key: string) => string;
  /** Names a key of a saved config file (config.json of a run folder): every field is the file's. */
  file?: string;
}

/**
 * Validates a merged config object; throws {@link ConfigError} naming every bad field (a field of
 * a saved file by its key in `sources.file`). Network and encoder options are checked against the
 * schemas of @mipjs/nets (loss options need the algorithm: see the bench's algorithm table).
 */
export function validateRunConfig(raw: unknown, sources: ConfigSourceOptions = {}): RunConfig {
  const labels = new Map<string, string>();
  if (sources.file && raw && typeof raw === 'object') {
    for (const key of Object.keys(raw)) labels.set(key, `'${key}' in ${sources.file}`);
    for (const key of OPTION_FIELDS) {
      const o = (raw as Record<string, unknown>)[key];
      if (o && typeof o === 'object')
        for (const k of Object.keys(o)) labels.set(`${key}.${k}`, `'${key}.${k}' in ${sources.file}`);
    }
  }
  return validateWithLabels(raw, labels);
}

function validateWithLabels(raw: unknown, labels: Map<string, string>): RunConfig {
  const label = (path: string) => labels.get(path) ?? labels.get(path.split('.')[0]!) ?? path;
  const parsed = runConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw ConfigError.of(parsed.error.issues.flatMap((i) => describeIssue(i, label)));
  }
  const config = parsed.data;
  const problems: string[] = [];
  const optionProblems = (field: string, subject: string, found: string[]) => {
    for (const p of found) {
      const key = /^unknown key '([^']+)'/.exec(p)?.[1] ?? /^'([^']+)'/.exec(p)?.[1];
      problems.push(`${label(key ? `${field}.${key}` : field)} (${subject}): ${p}`);
    }
  };
  // A name outside the built-ins needs a package to come from (checked against it when loaded);
  // a package network's / encoder's options are its own to check.
  const builtin = (field: 'network' | 'encoder' | 'task', names: readonly string[], packages: string[]) => {
    const name = config[field];
    if (names.includes(name)) return true;
    if (packages.length === 0)
      problems.push(
        `${label(field)}: unknown ${field} '${name}'; valid: ${names.join(', ')} (others load with ${FIELD_FLAGS[`${field}Packages`]} PKG)`,
      );
    return false;
  };
  builtin('task', TASK_NAMES, config.taskPackages);
  if (builtin('network', NETWORK_NAMES, config.networkPackages))
    optionProblems(
      'networkOptions',
      `network '${config.network}'`,
      checkNetworkOptions(config.network, config.networkOptions),
    );
  if (builtin('encoder', ENCODER_NAMES, config.encoderPackages))
    optionProblems(
      'encoderOptions',
      `encoder '${config.encoder}'`,
      checkEncoderOptions(config.encoder, config.encoderOptions),
    );
  if (DATASET_TASKS.includes(config.task as TaskName) && !config.data) {
    problems.push(`${label('data')}: task '${config.task}' needs a dataset path (--data PATH)`);
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  FIELD_SOURCES.set(config, labels);
  return config;
}

/** Reads a JSON or YAML config file (an object of run-config fields). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(path) ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new ConfigError(`cannot parse config file ${path}: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`config file ${path} must hold an object of fields`);
  }
  return value as Record<string, unknown>;
}

/**
 * Merges common defaults < task preset < (task, algorithm) preset < config file < flags, and validates.
 * Objects (networkOptions, lossOptions, encoderOptions) merge key by key; each must be an object
 * where it is given (a string is not spread into characters). Errors name a flag's field by the
 * flag (`--batch`, see {@link FIELD_FLAGS}) and a file's field by `sources.fileKey`.
 *
 * ```ts
 * resolveRunConfig({ steps: 50 }, { batchSize: 0 }); // ConfigError: --batch: expected a number > 0, found 0
 * ```
 */
export function resolveRunConfig(
  file: Record<string, unknown> = {},
  flags: Record<string, unknown> = {},
  sources: Pick<ConfigSourceOptions, 'fileKey'> = {},
): RunConfig {
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const f = defined(file);
  const g = defined(flags);
  const fileKey = sources.fileKey ?? ((key: string) => `'${key}'`);
  const labels = new Map<string, string>();
  for (const key of Object.keys(f)) labels.set(key, fileKey(key));
  for (const key of Object.keys(g)) labels.set(key, FIELD_FLAGS[key] ?? key);
  const objectProblems: string[] = [];
  for (const key of OPTION_FIELDS) {
    for (const [source, isFlag] of [
      [f, false],
      [g, true],
    ] as const) {
      const o = source[key];
      if (o === undefined) continue;
      if (o === null || typeof o !== 'object' || Array.isArray(o)) {
        objectProblems.push(
          `${labels.get(key) ?? key}: expected an object of options, found ${describeValue(o)}`,
        );
        continue;
      }
      for (const k of Object.keys(o))
        labels.set(`${key}.${k}`, isFlag ? (FIELD_FLAGS[key] ?? key) : fileKey(`${key}.${k}`));
    }
  }
  if (objectProblems.length > 0) throw ConfigError.of(objectProblems);
  const task = (g.task ?? f.task ?? COMMON_DEFAULTS.task) as string;
  const taskPackages = (g.taskPackages ?? f.taskPackages ?? []) as unknown[];
  if (!(TASK_NAMES as readonly string[]).includes(task) && taskPackages.length === 0) {
    throw ConfigError.of([
      `${labels.get('task') ?? 'task'}: unknown task ${describeValue(task)}; valid: ${TASK_NAMES.join(', ')} (others load with --task-package PKG)`,
    ]);
  }
  const algorithm = (g.algorithm ?? f.algorithm ?? COMMON_DEFAULTS.algorithm) as string;
  const preset: Partial<RunConfigInput> = {
    // A package task (--task-package) has no preset: it trains the default mlp unless told.
    ...(TASK_PRESETS[task as TaskName] ?? { network: 'mlp' }),
    ...ALGORITHM_PRESETS[task as TaskName]?.[algorithm],
  };
  const merged: Record<string, unknown> = { ...COMMON_DEFAULTS, ...preset, ...f, ...g, task };
  // A preset's network options are written for the preset's network: another network chosen by
  // the file or a flag starts from none of them (the toy tasks' `timestepEmbDim` is an `mlp` key
  // that `vanilla_mlp` rejects), with or without options of its own.
  const presetOptions = (key: (typeof OPTION_FIELDS)[number]) =>
    key === 'networkOptions' && merged.network !== preset.network
      ? undefined
      : ((preset as Record<string, unknown>)[key] as object | undefined);
  for (const key of OPTION_FIELDS) {
    merged[key] = {
      ...presetOptions(key),
      ...(f[key] as object | undefined),
      ...(g[key] as object | undefined),
    };
  }
  return validateWithLabels(merged, labels);
}

/** Parses a numeric flag; a clear error names the flag. */
export function parseNumberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new ConfigError(`${flag}: expected a number, found '${value}'`);
  }
  return n;
}

/** Parses a comma-separated list of positive integers (e.g. `--nfe 1,2,4`). */
export function parseIntListFlag(flag: string, value: string): number[] {
  return value.split(',').map((part) => {
    const n = parseNumberFlag(flag, part.trim());
    if (!Number.isInteger(n) || n < 1)
      throw new ConfigError(`${flag}: expected positive integers, found '${part}'`);
    return n;
  });
}

/** Fields whose change makes a checkpoint incompatible with a resume. */
export function configMismatch(saved: RunConfig, now: RunConfig): string[] {
  const ignore = new Set([
    'logEvery',
    'checkpointEvery',
    'evalNfe',
    'evalSamples',
    'evalEpisodes',
    'evalEvery',
    'algorithmPackages',
    'interpolantPackages',
    'networkPackages',
    'encoderPackages',
    'taskPackages',
    'sampler', // how the trained weights are sampled, not what they are
  ]);
  const diffs: string[] = [];
  const keys = new Set([...Object.keys(saved), ...Object.keys(now)]);
  for (const key of keys) {
    if (ignore.has(key)) continue;
    const a = JSON.stringify((saved as Record<string, unknown>)[key]);
    const b = JSON.stringify((now as Record<string, unknown>)[key]);
    if (a !== b) diffs.push(`${key}: saved ${a ?? 'unset'}, now ${b ?? 'unset'}`);
  }
  return diffs;
}
