// config/ owns the run configuration: its schema, presets, precedence, flag parsing and ConfigError.
import { readFileSync } from 'node:fs';
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
  'robomimic',
  'lerobot',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];
/** Tasks read from files (`--data PATH`). */
export const DATASET_TASKS: readonly TaskName[] = ['pusht', 'pusht_keypoint', 'robomimic', 'lerobot'];

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

const positiveInt = z.number().int().positive();
const unit = z.number().min(0).max(1);

/**
 * Everything that defines one training run. Saved as `config.json` in the run folder; a resume
 * must find the same values (logging, evaluation and package fields aside).
 */
export const runConfigSchema = z
  .object({
    task: z.enum(TASK_NAMES),
    /** Dataset path of the dataset tasks. */
    data: z.string().min(1).optional(),
    algorithm: z.string().min(1),
    /** Packages that export extra algorithms (loaded by name). */
    algorithmPackages: z.array(z.string().min(1)).default([]),
    network: z.enum(NETWORK_NAMES),
    /** Options forwarded to `createNetwork` (e.g. embDim, nLayers, dropout). */
    networkOptions: z.record(z.string(), z.unknown()).default({}),
    /**
     * Observation encoder of @mipjs/nets for tasks with observations (`createEncoder`); trained
     * jointly with the network (same optimizer, EMA and checkpoint). The dataset tasks default to
     * `mlp` as the reference YAML; the toy tasks to `identity`.
     */
    encoder: z.enum(['identity', 'mlp', 'per_step_mlp']).default('identity'),
    /** Options of the encoder (embDim, hiddenDims, dropout); embDim defaults to the network's embDim or 256. */
    encoderOptions: z.record(z.string(), z.unknown()).default({}),
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
    interpolant: z.enum(['linear', 'trig']).default('linear'),
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
    networkOptions: { embDim: 256, nLayers: 3, timestepEmbDim: 32, dropout: 0 },
    steps: 3000,
    batchSize: 32,
    lr: 1e-3,
    evalSamples: 2000,
  },
  proj: {
    network: 'mlp',
    networkOptions: { embDim: 256, nLayers: 3, timestepEmbDim: 32, dropout: 0 },
    steps: 3000,
    batchSize: 32,
    lr: 1e-3,
    evalSamples: 2000,
  },
  lie: {
    network: 'mlp',
    networkOptions: { embDim: 256, nLayers: 3, timestepEmbDim: 32, dropout: 0 },
    steps: 3000,
    batchSize: 32,
    lr: 1e-3,
    evalSamples: 2000,
  },
  pusht: DATASET_PRESET,
  pusht_keypoint: DATASET_PRESET,
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

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length ? issue.path.join('.') : '(config)';
  return `${field}: ${issue.message}`;
}

/** Validates a merged config object; throws {@link ConfigError} naming every bad field. */
export function validateRunConfig(raw: unknown): RunConfig {
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`invalid config:\n  ${parsed.error.issues.map(describeIssue).join('\n  ')}`);
  }
  const config = parsed.data;
  if (DATASET_TASKS.includes(config.task) && !config.data) {
    throw new ConfigError(
      `invalid config:\n  data: task '${config.task}' needs a dataset path (--data PATH)`,
    );
  }
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
 * Objects (networkOptions, lossOptions) merge key by key.
 */
export function resolveRunConfig(
  file: Record<string, unknown> = {},
  flags: Record<string, unknown> = {},
): RunConfig {
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const f = defined(file);
  const g = defined(flags);
  const task = (g.task ?? f.task ?? COMMON_DEFAULTS.task) as string;
  if (!(TASK_NAMES as readonly string[]).includes(task)) {
    throw new ConfigError(
      `invalid config:\n  task: unknown task '${task}'; valid tasks: ${TASK_NAMES.join(', ')}`,
    );
  }
  const algorithm = (g.algorithm ?? f.algorithm ?? COMMON_DEFAULTS.algorithm) as string;
  const preset: Partial<RunConfigInput> = {
    ...TASK_PRESETS[task as TaskName],
    ...ALGORITHM_PRESETS[task as TaskName]?.[algorithm],
  };
  const merged: Record<string, unknown> = { ...COMMON_DEFAULTS, ...preset, ...f, ...g, task };
  for (const key of ['networkOptions', 'lossOptions', 'encoderOptions'] as const) {
    merged[key] = {
      ...((preset as Record<string, unknown>)[key] as object | undefined),
      ...(f[key] as object | undefined),
      ...(g[key] as object | undefined),
    };
  }
  // A different network than the preset's does not inherit the preset's network options.
  if (merged.network !== preset.network && !f.networkOptions && !g.networkOptions) merged.networkOptions = {};
  return validateRunConfig(merged);
}

/** Parses a numeric flag; a clear error names the flag. */
export function parseNumberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new ConfigError(`invalid value for ${flag}: '${value}' is not a number`);
  }
  return n;
}

/** Parses a comma-separated list of positive integers (e.g. `--nfe 1,2,4`). */
export function parseIntListFlag(flag: string, value: string): number[] {
  return value.split(',').map((part) => {
    const n = parseNumberFlag(flag, part.trim());
    if (!Number.isInteger(n) || n < 1)
      throw new ConfigError(`invalid value for ${flag}: '${part}' is not a positive integer`);
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
