// evaluate/closed-loop.ts: a policy acting in its environment (PushT), scored as Diffusion Policy scores it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadZarrReplayBuffer } from '@mipjs/data';
import {
  MAX_EPISODE_STEPS,
  observationSize,
  PUSHT_TASK_OBSERVATIONS,
  PushTVectorEnv,
  pushTCoverage,
  pushTObservationForTask,
  pushTReward,
  SUCCESS_THRESHOLD,
} from '@mipjs/envs';
import type { Schedule } from '@mipjs/interpolant';
import type { Network, ObsEncoder } from '@mipjs/nets';
import { type ChunkPolicy, type Policy, RecedingHorizon } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { resolveSchedules } from '../algorithms/schedules.js';
import type { BackendName } from '../backend/backend.js';
import { prepareBackend } from '../backend/setup.js';
import { ConfigError, type RunConfig, validateRunConfig } from '../config/config.js';
import { readJsonFile } from '../io/io.js';
import { loadedFactories, resolvePlugins } from '../plugins/plugins.js';
import type { ResultRow } from './results.js';

/** Diffusion Policy's first test seed (its test envs use seeds 100000 onwards, legacy reset order). */
export const PUSHT_TEST_SEED = 100000;
/** Episodes of a closed-loop evaluation by default (Diffusion Policy's test protocol). */
export const DEFAULT_EVAL_EPISODES = 50;

/** Options of {@link evaluatePushT}. */
export interface ClosedLoopOptions {
  /** Episodes, stepped together as one batch. Default 50. */
  episodes?: number;
  /** Seed of the first episode; episode i resets with `seed + i`. Default 100000. */
  seed?: number;
  /** numpy legacy reset order (block position, then angle), as Diffusion Policy's test envs. Default true. */
  legacy?: boolean;
  /** NFE of every chunk; default the policy's. */
  nfe?: number;
  /** Chunk k draws its noise with `policySeed + k`. Default 0. */
  policySeed?: number;
  /** Control steps per episode (10 Hz). Default 300, the environment's limit. */
  maxSteps?: number;
  /** Called after every control step with the step count so far. */
  onStep?: (step: number, maxSteps: number) => void;
  /** Called after every control step with the batch's state `[N, 5]` and the actions just executed `[N, 2]`. */
  onFrame?: (states: Float64Array, actions: Float32Array, chunk: Float32Array | null) => void;
}

/** The score of one closed-loop evaluation (one policy at one NFE). */
export interface ClosedLoopResult {
  /** NFE of the chunks (the fixed call count of one- and two-step samplers); 0 for a baseline. */
  nfe: number;
  episodes: number;
  /** Mean over episodes of the best reward reached: mean_i max_t clip(coverage_i(t) / 0.95, 0, 1). */
  meanMaxReward: number;
  /** Fraction of episodes whose coverage passed 0.95 (the environment's success). */
  successRate: number;
  /** Mean coverage of the goal at the end of each episode. */
  meanFinalCoverage: number;
  /** Median wall time of one chunk (one `act` over the whole batch), ms; 0 for a baseline. */
  chunkLatencyMs: number;
  /** Wall time of the evaluation, s. */
  wallSeconds: number;
  /** Best reward of each episode, in seed order. */
  maxRewards: number[];
}

/** The policy a reader can place a score against: the agent holds still where it starts. */
export const HOLD_STILL = 'hold-still';

/**
 * Runs PushT episodes in closed loop and scores them as Diffusion Policy does. `episodes`
 * environments reset from seeds `seed, seed + 1, …` and step as one batch under receding-horizon
 * control ({@link RecedingHorizon}: a chunk every Ta steps, rows To − 1 … To − 2 + Ta executed) for
 * at most `maxSteps` steps; an episode ends once its coverage passes 0.95.
 *
 *   score_i = max_t clip(coverage_i(t) / 0.95, 0, 1),   meanMaxReward = (1/N) Σ_i score_i,
 *   successRate = #{i : coverage_i(t) > 0.95 for some t} / N.
 *
 * `policy` may be {@link HOLD_STILL}: every action is the agent's own position (a policy that does
 * nothing, the floor of the scale).
 *
 * ```ts
 * import { loadPolicyFromRun } from '@mipjs/policy/node';
 * const policy = await loadPolicyFromRun('runs/mip-pusht');
 * const r = await evaluatePushT(policy, { nfe: 2 }); // 50 episodes, seeds 100000 … 100049
 * console.log(r.meanMaxReward, r.successRate);
 * ```
 */
export async function evaluatePushT(
  policy: Policy | typeof HOLD_STILL,
  options: ClosedLoopOptions = {},
): Promise<ClosedLoopResult> {
  const episodes = options.episodes ?? DEFAULT_EVAL_EPISODES;
  const maxSteps = options.maxSteps ?? MAX_EPISODE_STEPS;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new RangeError(`closed-loop evaluation: episodes must be a positive integer, got ${episodes}`);
  }
  const kind = policy === HOLD_STILL ? 'state' : pushTObservationForTask(policy.manifest.task);
  if (policy !== HOLD_STILL && (policy.obsDim !== observationSize(kind) || policy.actDim !== 2)) {
    throw new RangeError(
      `closed-loop evaluation on pusht: the policy reads ${policy.obsDim}-D observations and writes ` +
        `${policy.actDim}-D actions; PushT's task '${policy.manifest.task}' has ${observationSize(kind)}-D ` +
        'observations and 2-D actions',
    );
  }
  const venv = new PushTVectorEnv(episodes, { maxEpisodeSteps: maxSteps, observation: kind });
  let observations = venv.reset(options.seed ?? PUSHT_TEST_SEED, { legacy: options.legacy ?? true });
  const latencies: number[] = [];
  let nfe = 0;
  let control: RecedingHorizon | null = null;
  if (policy !== HOLD_STILL) {
    // Times each chunk: the latency a robot would wait for at a chunk boundary (whole batch).
    const timed: ChunkPolicy = {
      obsSteps: policy.obsSteps,
      horizon: policy.horizon,
      actionSteps: policy.actionSteps,
      obsDim: policy.obsDim,
      actDim: policy.actDim,
      act: () => {
        throw new Error('unreachable: the evaluation steps with stepAsync');
      },
      // Asynchronous reads: the loop also runs where there is no synchronous one (WebGPU in Node).
      actAsync: async (obs, opts) => {
        const t0 = performance.now();
        const chunk = await policy.actAsync(obs, opts);
        latencies.push(performance.now() - t0);
        nfe = chunk.nfe;
        return chunk;
      },
    };
    control = new RecedingHorizon(timed, {
      batch: episodes,
      nfe: options.nfe,
      seed: options.policySeed ?? 0,
    });
  }
  const succeeded = new Uint8Array(episodes);
  const t0 = performance.now();
  for (let step = 0; step < maxSteps && !venv.allDone; step++) {
    const actions = control ? await control.stepAsync(observations) : agentPositions(states(venv), episodes);
    const result = venv.step(actions);
    for (let i = 0; i < episodes; i++) if (result.terminated[i]) succeeded[i] = 1;
    options.onFrame?.(states(venv), actions, control?.lastChunk?.data ?? null);
    observations = result.observations;
    options.onStep?.(step + 1, maxSteps);
  }
  const last = states(venv);
  const maxRewards = Array.from(venv.maxRewards);
  let finalCoverage = 0;
  for (let i = 0; i < episodes; i++) {
    finalCoverage += pushTCoverage(last[i * 5 + 2]!, last[i * 5 + 3]!, last[i * 5 + 4]!);
  }
  latencies.sort((a, b) => a - b);
  return {
    nfe,
    episodes,
    meanMaxReward: mean(maxRewards),
    successRate: mean(Array.from(succeeded)),
    meanFinalCoverage: finalCoverage / episodes,
    chunkLatencyMs: latencies.length > 0 ? latencies[Math.floor(latencies.length / 2)]! : 0,
    wallSeconds: (performance.now() - t0) / 1000,
    maxRewards,
  };
}

/** The level of the demonstrations themselves, from their recorded states. */
export interface DemonstrationLevel {
  episodes: number;
  /** Mean over episodes of max_t clip(coverage / 0.95, 0, 1). */
  meanMaxReward: number;
  /** Mean final coverage. */
  meanFinalCoverage: number;
  /** Fraction of episodes whose coverage passed 0.95 at some step. */
  successRate: number;
}

/**
 * Scores the recorded demonstrations like a policy: `state` `[T, 5]` rows, `episodeEnds` the
 * exclusive cumulative ends. The PushT demonstrations end near coverage 0.85 and never pass 0.95,
 * so a policy that imitates them well scores near 0.9, not 1.
 */
export function demonstrationLevel(
  state: ArrayLike<number>,
  episodeEnds: readonly number[],
): DemonstrationLevel {
  let reward = 0;
  let final = 0;
  let success = 0;
  let start = 0;
  for (const end of episodeEnds) {
    let best = 0;
    let passed = false;
    let coverage = 0;
    for (let t = start; t < end; t++) {
      coverage = pushTCoverage(state[t * 5 + 2]!, state[t * 5 + 3]!, state[t * 5 + 4]!);
      best = Math.max(best, pushTReward(coverage));
      if (coverage > SUCCESS_THRESHOLD) passed = true;
    }
    reward += best;
    final += coverage;
    if (passed) success++;
    start = end;
  }
  const n = episodeEnds.length;
  return { episodes: n, meanMaxReward: reward / n, meanFinalCoverage: final / n, successRate: success / n };
}

/** The states `[N, 5]` of every environment of the batch, whatever the policy observes. */
function states(venv: PushTVectorEnv): Float64Array {
  const out = new Float64Array(venv.numEnvs * 5);
  venv.envs.forEach((env, i) => env.getState(out.subarray(i * 5, i * 5 + 5)));
  return out;
}

/** The agent positions `[N, 2]` of a batch of states `[N, 5]`: the hold-still action. */
function agentPositions(states: ArrayLike<number>, n: number): Float32Array {
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[i * 2] = states[i * 5]!;
    out[i * 2 + 1] = states[i * 5 + 1]!;
  }
  return out;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Environments the bench evaluates in, by the task they serve (the edge table of names). */
export const ENVIRONMENTS = {
  pusht: { tasks: Object.keys(PUSHT_TASK_OBSERVATIONS) as readonly string[], evaluate: evaluatePushT },
} as const;
export type EnvironmentName = keyof typeof ENVIRONMENTS;
export const ENVIRONMENT_NAMES = Object.keys(ENVIRONMENTS) as EnvironmentName[];

/** The environment a task's policies act in, or null (toy tasks, robomimic, lerobot: none yet). */
export function environmentForTask(task: string): EnvironmentName | null {
  for (const name of ENVIRONMENT_NAMES) if (ENVIRONMENTS[name].tasks.includes(task)) return name;
  return null;
}

/** The metrics a closed-loop result adds to a result row. */
export function closedLoopMetrics(r: ClosedLoopResult): Record<string, number> {
  return {
    meanMaxReward: r.meanMaxReward,
    successRate: r.successRate,
    meanFinalCoverage: r.meanFinalCoverage,
    chunkLatencyMs: r.chunkLatencyMs,
    episodes: r.episodes,
  };
}

/** Options of {@link evaluateRunInEnvironment}. */
export interface RunInEnvironmentOptions {
  env: EnvironmentName;
  nfes: readonly number[];
  episodes?: number;
  seed?: number;
  log?: (line: string) => void;
}

/**
 * The package schedules a run was trained with (its config's `interpolantPackages`), for
 * `loadPolicy`: a run on a built-in schedule needs none.
 */
export async function runSchedules(dir: string): Promise<Record<string, Schedule>> {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return {};
  const packages = (readJsonFile(path, 'a run config') as { interpolantPackages?: unknown })
    .interpolantPackages;
  if (!Array.isArray(packages) || packages.length === 0) return {};
  const table = await resolveSchedules(packages.map(String));
  return Object.fromEntries(table);
}

/**
 * What `loadPolicy` needs beyond the built-ins to load a run folder: the package schedules
 * ({@link runSchedules}) and the network / encoder factories of its config's `networkPackages` /
 * `encoderPackages` (a run on built-ins needs none).
 */
export async function runPolicyOptions(dir: string): Promise<{
  schedules: Record<string, Schedule>;
  networks: Record<string, (config: Record<string, unknown>) => Network>;
  encoders: Record<string, (config: Record<string, unknown>) => ObsEncoder>;
}> {
  const path = join(dir, 'config.json');
  const saved = existsSync(path)
    ? (readJsonFile(path, 'a run config') as Record<string, unknown>)
    : ({} as Record<string, unknown>);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  await resolvePlugins({
    networkPackages: list(saved.networkPackages),
    encoderPackages: list(saved.encoderPackages),
  });
  return { schedules: await runSchedules(dir), ...loadedFactories() };
}

/**
 * Loads a run folder as a deployed policy (its `policy.json`, EMA weights and normalizers, through
 * `@mipjs/policy`: the same object a robot or the browser runs) and evaluates it in closed loop at
 * each NFE; the NFE of a fixed-call sampler (mip: 2) is evaluated once.
 */
export async function evaluateRunInEnvironment(
  dir: string,
  o: RunInEnvironmentOptions,
): Promise<ClosedLoopResult[]> {
  const policy = await loadPolicyFromRun(dir, await runPolicyOptions(dir));
  try {
    const fixed = policy.manifest.fixedNfe;
    const nfes = fixed ? [fixed] : [...new Set(o.nfes)];
    const out: ClosedLoopResult[] = [];
    for (const nfe of nfes) {
      const r = await ENVIRONMENTS[o.env].evaluate(policy, { nfe, episodes: o.episodes, seed: o.seed });
      o.log?.(
        `${policy.manifest.algorithm} ${o.env} NFE ${r.nfe}: mean max reward ${r.meanMaxReward.toFixed(3)}, ` +
          `success ${(r.successRate * 100).toFixed(0)}% over ${r.episodes} episodes, ` +
          `${r.chunkLatencyMs.toFixed(1)} ms per chunk, ${r.wallSeconds.toFixed(1)} s`,
      );
      out.push(r);
    }
    return out;
  } finally {
    policy.dispose();
  }
}

/**
 * The run config of `runDir`, checked to be a run of a task that `env` serves: a one-line
 * ConfigError naming the folder (`cannot <verb> ...`), the file or the task otherwise.
 */
export function readEnvironmentRunConfig(runDir: string, env: EnvironmentName, verb: string): RunConfig {
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath))
    throw new ConfigError(`cannot ${verb} ${runDir}: not a run folder (no config.json)`);
  const saved = readJsonFile(configPath, 'a run config');
  const config = validateRunConfig(saved, { file: configPath });
  const tasks = ENVIRONMENTS[env].tasks;
  if (!tasks.includes(config.task)) {
    throw new ConfigError(
      `--env ${env}: ${runDir} was trained on task '${config.task}'; ${env} runs policies of task(s) ${tasks.join(', ')}`,
    );
  }
  return config;
}

/** Options of {@link evaluateCheckpointInEnvironment} (`mipjs eval RUN --env NAME`). */
export interface CheckpointInEnvironmentOptions {
  env: EnvironmentName;
  backend: BackendName;
  nfe?: number[];
  episodes?: number;
  seed?: number;
  log?: (line: string) => void;
}

/**
 * `mipjs eval RUN --env pusht`: the run's policy in closed loop at each NFE, plus two reference
 * rows a reader can place the numbers against: the hold-still baseline on the same seeds
 * (`algorithm: 'hold-still'`) and the demonstrations' own level scored from the recorded states
 * of the run's dataset (`algorithm: 'demonstrations'`, when the dataset is at hand).
 */
export async function evaluateCheckpointInEnvironment(
  runDir: string,
  o: CheckpointInEnvironmentOptions,
): Promise<ResultRow[]> {
  const config = readEnvironmentRunConfig(runDir, o.env, 'evaluate');
  await prepareBackend(o.backend, o.log);
  const state = readJsonIfPresent(join(runDir, 'checkpoint', 'state.json')) as {
    step?: number;
    trainSeconds?: number;
  } | null;
  const row = (algorithm: string, nfe: number, metrics: Record<string, number>): ResultRow => ({
    algorithm,
    network: config.network,
    task: config.task,
    seed: config.seed,
    nfe,
    metrics,
    trainSeconds: state?.trainSeconds ?? 0,
    steps: state?.step ?? 0,
  });
  const episodes = o.episodes ?? DEFAULT_EVAL_EPISODES;
  const results = await evaluateRunInEnvironment(runDir, {
    env: o.env,
    nfes: o.nfe && o.nfe.length > 0 ? o.nfe : config.evalNfe.length > 0 ? config.evalNfe : [1],
    episodes,
    seed: o.seed,
    log: o.log,
  });
  const rows = results.map((r) => row(config.algorithm, r.nfe, closedLoopMetrics(r)));
  const still = await ENVIRONMENTS[o.env].evaluate(HOLD_STILL, { episodes, seed: o.seed });
  rows.push(row(HOLD_STILL, 0, closedLoopMetrics(still)));
  if (config.data && existsSync(config.data)) {
    const store = await loadZarrReplayBuffer(config.data, { keys: ['state'] });
    const demos = demonstrationLevel(store.get('state').data, store.episodeEnds);
    rows.push(row('demonstrations', 0, { ...demos }));
  } else {
    o.log?.(`demonstrations' level skipped: the run's dataset ${config.data ?? '(none)'} is not at hand`);
  }
  return rows;
}

function readJsonIfPresent(path: string): unknown {
  if (!existsSync(path)) return null;
  return readJsonFile(path, 'JSON');
}

/**
 * The closed-loop rows as a text table: policy, NFE, mean max reward, success, final coverage,
 * latency per chunk (the baseline rows show '-' where a number does not apply).
 */
export function closedLoopTable(rows: readonly ResultRow[]): string {
  const head = ['policy', 'NFE', 'mean max reward', 'success', 'final coverage', 'ms / chunk', 'episodes'];
  const fmt = (x: number | undefined, digits: number) => (x === undefined ? '-' : x.toFixed(digits));
  const body = rows.map((r) => {
    const m = r.metrics;
    return [
      r.algorithm,
      r.nfe > 0 ? String(r.nfe) : '-',
      fmt(m.meanMaxReward, 3),
      m.successRate === undefined ? '-' : `${(m.successRate * 100).toFixed(0)}%`,
      fmt(m.meanFinalCoverage, 3),
      m.chunkLatencyMs ? m.chunkLatencyMs.toFixed(1) : '-',
      fmt(m.episodes, 0),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
