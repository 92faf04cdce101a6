// cli/ owns the `mipjs` command line: the commander program, its flags and their parsing, one action per command.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { schedules as BUILTIN_SCHEDULES } from '@mipjs/interpolant';
import { ENCODER_KINDS } from '@mipjs/nets';
import { Command, CommanderError, Option } from 'commander';
import { builtinAlgorithms } from '../algorithms/algorithms.js';
import { SAMPLER_CHOICES } from '../algorithms/samplers.js';
import { BACKEND_NAMES, type BackendName, probeBackends } from '../backend/backend.js';
import { tuneGarbageCollector } from '../backend/gc-tuning.js';
import { WASM_THREADS_ENV } from '../backend/wasm-threads.js';
import {
  ConfigError,
  NETWORK_NAMES,
  parseIntListFlag,
  parseNumberFlag,
  readConfigFile,
  resolveRunConfig,
  TASK_NAMES,
} from '../config/config.js';
import { presetNames, readPreset } from '../config/presets.js';
import {
  closedLoopTable,
  ENVIRONMENT_NAMES,
  type EnvironmentName,
  evaluateCheckpointInEnvironment,
} from '../evaluate/closed-loop.js';
import { evaluateCheckpoint } from '../evaluate/evaluate.js';
import { checkRolloutRun, rolloutFormat, rolloutRun } from '../evaluate/rollout.js';
import { writeJsonAtomic } from '../io/io.js';
import { registerPerfCommand } from '../perf/command.js';
import { writeReport } from '../report/report.js';
import { executeRun } from '../run/run.js';
import { registerServeCommand } from '../serve/command.js';
import { compare } from '../sweep/compare.js';
import { preflight, timestamp } from '../sweep/jobs.js';
import { DEFAULT_SWEEP_NAME } from '../sweep/queue/queue.js';
import { parseRedisUrl, REDIS_PASSWORD_ENV } from '../sweep/queue/redis-url.js';
import { remoteSweep, remoteSweepCollect, remoteSweepStatus } from '../sweep/queue/remote-sweep.js';
import { DEFAULT_STORE } from '../sweep/queue/store.js';
import { runQueueWorker } from '../sweep/queue/worker.js';
import { parseSetFlag, sweep } from '../sweep/sweep.js';
import { TASK_DESCRIPTIONS } from '../tasks/tasks.js';
import { registerValidateEnvCommand } from './validate-env.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
const print = (text: string) => process.stdout.write(`${text}\n`);

const DEFAULT_COMPARE_ALGORITHMS = ['regression', 'flow', 'mip', 'lsd'];

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function checkChoice(flag: string, value: string, valid: readonly string[]): string {
  if (!valid.includes(value))
    throw new ConfigError(`--${flag}: unknown ${flag} '${value}'; valid: ${valid.join(', ')}`);
  return value;
}

/** A flag that must be a positive integer (`--workers 0` is an error, not a silent default). */
function positiveIntFlag(flag: string, value: string): number {
  const n = parseNumberFlag(flag, value);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${flag}: expected a positive integer, found ${value}`);
  return n;
}

function jsonObjectFlag(flag: string, value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // fall through
  }
  throw new ConfigError(`${flag}: expected a JSON object, found '${value}'`);
}

/** Flags of `mipjs info`: packages whose entries are listed beside the built-ins. */
interface InfoFlags {
  algorithmPackage?: string[];
  networkPackage?: string[];
  encoderPackage?: string[];
  taskPackage?: string[];
  interpolantPackage?: string[];
}

interface CommonFlags {
  config?: string;
  preset?: string;
  task?: string;
  data?: string;
  algorithm?: string;
  algorithmPackage?: string[];
  network?: string;
  networkOptions?: string;
  lossOptions?: string;
  steps?: string;
  batch?: string;
  lr?: string;
  weightDecay?: string;
  gradClip?: string;
  ema?: string;
  seed?: string;
  nfe?: string;
  evalSamples?: string;
  episodes?: string;
  evalEvery?: string;
  teacher?: string;
  teacherSteps?: string;
  actionSpace?: string;
  normalizer?: string;
  sampler?: string;
  interpolant?: string;
  interpolantPackage?: string[];
  encoder?: string;
  encoderOptions?: string;
  networkPackage?: string[];
  encoderPackage?: string[];
  taskPackage?: string[];
  backend: string;
  out?: string;
  json?: string;
  quiet?: boolean;
  workers?: string;
}

/** Flags common to the run commands -> partial run config (validated later by zod). */
function runFlags(f: CommonFlags): Record<string, unknown> {
  const n = (flag: string, v: string | undefined) => (v === undefined ? undefined : parseNumberFlag(flag, v));
  // --task and --network are checked with the config (a package's names when its package loads).
  return {
    task: f.task,
    data: f.data,
    algorithm: f.algorithm,
    algorithmPackages: f.algorithmPackage?.length ? f.algorithmPackage : undefined,
    network: f.network,
    networkOptions: jsonObjectFlag('--network-options', f.networkOptions),
    lossOptions: jsonObjectFlag('--loss-options', f.lossOptions),
    steps: n('--steps', f.steps),
    batchSize: n('--batch', f.batch),
    lr: n('--lr', f.lr),
    weightDecay: n('--weight-decay', f.weightDecay),
    gradClip: n('--grad-clip', f.gradClip),
    emaRate: n('--ema', f.ema),
    seed: n('--seed', f.seed),
    evalNfe: f.nfe === undefined ? undefined : parseIntListFlag('--nfe', f.nfe),
    evalSamples: n('--eval-samples', f.evalSamples),
    evalEpisodes: n('--episodes', f.episodes),
    evalEvery: n('--eval-every', f.evalEvery),
    teacher: f.teacher,
    teacherSteps: n('--teacher-steps', f.teacherSteps),
    actionSpace: f.actionSpace,
    normalizer: f.normalizer,
    sampler: f.sampler,
    interpolant: f.interpolant,
    interpolantPackages: f.interpolantPackage?.length ? f.interpolantPackage : undefined,
    encoder: f.encoder,
    encoderOptions: jsonObjectFlag('--encoder-options', f.encoderOptions),
    networkPackages: f.networkPackage?.length ? f.networkPackage : undefined,
    encoderPackages: f.encoderPackage?.length ? f.encoderPackage : undefined,
    taskPackages: f.taskPackage?.length ? f.taskPackage : undefined,
  };
}

/** The file-level fields of a run command: the preset's, then `--config`'s on top. */
function fileFields(f: CommonFlags): Record<string, unknown> {
  const preset = f.preset ? readPreset(f.preset, { dataGiven: f.data !== undefined }).fields : {};
  return { ...preset, ...(f.config ? readConfigFile(f.config) : {}) };
}

/**
 * How errors name a key of {@link fileFields}: `'batchSize' in run.yaml` for the config file's,
 * `'steps' of preset pusht` for the preset's (dotted keys reach the option objects).
 */
function fileKeyLabel(f: CommonFlags): (key: string) => string {
  const file = f.config ? readConfigFile(f.config) : {};
  return (key) => {
    const [head, sub] = key.split('.');
    const own = head! in file && (sub === undefined || Object.hasOwn((file[head!] as object) ?? {}, sub));
    if (own || !f.preset) return f.config ? `'${key}' in ${f.config}` : `'${key}'`;
    return `'${key}' of preset ${f.preset}`;
  };
}

function backendOf(f: CommonFlags): BackendName {
  return checkChoice('backend', f.backend, BACKEND_NAMES) as BackendName;
}

/**
 * A task name checked against the built-ins; with task packages (--task-package / taskPackages)
 * any name passes here and is checked when the run loads its packages (`resolvePlugins`).
 */
function checkTaskName(task: string, f: CommonFlags, file: Record<string, unknown>): string {
  if (f.taskPackage?.length || (file.taskPackages as unknown[] | undefined)?.length) return task;
  return checkChoice('task', task, TASK_NAMES);
}

function addRunOptions(cmd: Command, withAlgorithm = true): Command {
  cmd
    .option('--config <file>', 'JSON or YAML file of run-config fields')
    .option('--preset <name>', `a shipped recipe (below --config and flags): ${presetNames().join(', ')}`)
    .option('--data <path>', 'dataset path (pusht: Zarr, robomimic: HDF5, lerobot: folder)')
    .option('--network <kind>', `network: ${NETWORK_NAMES.join(', ')}`)
    .option('--network-options <json>', 'options of createNetwork, e.g. \'{"embDim":64,"nLayers":2}\'')
    .option('--loss-options <json>', 'loss options, e.g. \'{"lossScale":1,"tStar":0.9}\'')
    .option('--steps <n>', 'gradient steps')
    .option('--batch <n>', 'batch size')
    .option('--lr <x>', 'base learning rate (cosine-annealed to 0)')
    .option('--weight-decay <x>', 'AdamW decoupled weight decay')
    .option('--grad-clip <x>', 'global-norm gradient clip (0 = off)')
    .option('--ema <rate>', 'EMA rate of the evaluation weights')
    .option('--nfe <list>', 'NFE values to evaluate, e.g. 1,2,4,8,16')
    .option('--eval-samples <n>', 'samples per evaluation')
    .option('--episodes <n>', 'closed-loop episodes per NFE on tasks with an environment (pusht; 0 = off)')
    .option(
      '--eval-every <n>',
      'steps between closed-loop evaluations during training (pusht; best weights kept in checkpoint-best/; 0 = off)',
    )
    .option('--algorithm-package <name...>', 'load extra algorithms from a package (repeatable)')
    .option('--teacher <dir>', 'trained flow-matching run folder used as teacher by ctm / lmd')
    .option('--teacher-steps <n>', 'steps of the teacher trained first when --teacher is not given')
    .option(
      '--action-space <kind>',
      'robomimic actions: absolute (low_dim_abs), delta (low_dim, raw 7-D), relative (to the EEF at To-1); config key actionSpace',
    )
    .option('--normalizer <kind>', 'dataset normalizers: minmax (default) or gaussian; config key normalizer')
    .option(
      '--sampler <name>',
      "sampler: auto (the algorithm's), or euler, heun, midpoint, flow_map where the algorithm takes it (NFE counts network calls: a Heun step is 2)",
    )
    .option('--interpolant <name>', 'interpolant schedule: linear, trig, or one of an --interpolant-package')
    .option('--interpolant-package <name...>', 'load extra interpolant schedules from a package (repeatable)')
    .option('--encoder <kind>', 'observation encoder: identity, mlp, per_step_mlp, image')
    .option(
      '--encoder-options <json>',
      'options of createEncoder, e.g. \'{"embDim":128,"hiddenDims":[256]}\'',
    )
    .option(
      '--network-package <name...>',
      'load extra networks from a package (repeatable; its `networks` export); config key networkPackages',
    )
    .option(
      '--encoder-package <name...>',
      'load extra observation encoders from a package (repeatable; its `encoders` export); config key encoderPackages',
    )
    .option(
      '--task-package <name...>',
      'load extra tasks from a package (repeatable; its `tasks` export); config key taskPackages',
    )
    .addOption(new Option('--backend <name>', `TF.js backend: ${BACKEND_NAMES.join(', ')}`).default('auto'))
    .option('--quiet', 'no progress output');
  if (withAlgorithm) cmd.option('--algorithm <name>', 'algorithm (see mipjs info)');
  return cmd;
}

async function versions(): Promise<Record<string, string>> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = { node: process.version };
  for (const pkg of [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    '@mipjs/interpolant',
    '@mipjs/nets',
    '@mipjs/losses',
    '@mipjs/samplers',
    '@mipjs/data',
  ]) {
    try {
      const main = require.resolve(pkg);
      let dir = main;
      for (let i = 0; i < 6; i++) {
        dir = join(dir, '..');
        if (existsSync(join(dir, 'package.json'))) {
          const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          if (p.name === pkg) {
            out[pkg] = p.version;
            break;
          }
        }
      }
    } catch {
      out[pkg] = 'not installed';
    }
  }
  const self = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  out['@mipjs/bench'] = self.version;
  return out;
}

export function buildProgram(): Command {
  const program = new Command('mipjs')
    .description('Train, evaluate, compare, sweep and report mip.js generative policies')
    .showHelpAfterError()
    .exitOverride()
    .option(
      '--threads <n>',
      'XNNPACK threads of the wasm backend in each process (default 1; pays off for wide networks on idle cores)',
    )
    .hook('preAction', () => {
      const { threads } = program.opts<{ threads?: string }>();
      if (threads === undefined) return;
      const n = parseNumberFlag('--threads', threads);
      if (!Number.isInteger(n) || n < 1)
        throw new ConfigError(`--threads ${threads}: expected a positive integer`);
      process.env[WASM_THREADS_ENV] = String(n);
    });

  addRunOptions(program.command('train').description('train one run (and evaluate its EMA weights)'))
    .option('--task <name>', `task: ${TASK_NAMES.join(', ')}`)
    .option('--seed <n>', 'seed')
    .option('--out <dir>', 'run folder (default runs/train-<algorithm>-<task>-<time>)')
    .option('--resume', 'continue the run in --out from its checkpoint')
    .option('--no-eval', 'skip the evaluation')
    .addOption(
      new Option('--stop-after <step>', 'stop after this step (simulates a kill; for tests)').hideHelp(),
    )
    .action(async (f: CommonFlags & { resume?: boolean; eval: boolean; stopAfter?: string }) => {
      const backend = backendOf(f);
      const config = resolveRunConfig(fileFields(f), runFlags(f), { fileKey: fileKeyLabel(f) });
      if (f.resume && !f.out) throw new ConfigError('--resume needs --out <run folder>');
      if (f.resume && !existsSync(join(f.out!, 'config.json'))) {
        throw new ConfigError(`cannot resume ${f.out}: it holds no config.json (not a run folder)`);
      }
      await preflight([config], backend, log);
      const dir = f.out ?? join('runs', `train-${config.algorithm}-${config.task}-${timestamp()}`);
      log(`run folder: ${dir}`);
      const outcome = await executeRun(
        {
          config,
          dir,
          backend,
          resume: f.resume,
          quiet: f.quiet,
          evaluate: f.eval,
          stopAfterStep: f.stopAfter === undefined ? undefined : parseNumberFlag('--stop-after', f.stopAfter),
        },
        log,
      );
      for (const r of outcome.rows)
        print(`${r.algorithm} ${r.task} NFE ${r.nfe}: ${JSON.stringify(r.metrics)}`);
      print(`trained ${config.steps} steps in ${outcome.trainSeconds.toFixed(1)} s; run folder ${dir}`);
    });

  program
    .command('eval')
    .description('evaluate a run folder (its EMA weights) at one or more NFE')
    .argument('<run>', 'run folder written by mipjs train')
    .option('--nfe <list>', "NFE values, e.g. 1,2,4,8,16 (default: the algorithm's step list)")
    .option('--eval-samples <n>', 'samples per evaluation')
    .option('--algorithm-package <name...>', "packages the run's algorithm comes from")
    .option('--data <path>', 'dataset path (when it moved since training)')
    .option('--json <file>', 'write result rows as JSON')
    .option('--env <name>', `closed-loop evaluation in an environment: ${ENVIRONMENT_NAMES.join(', ')}`)
    .option('--episodes <n>', 'closed-loop episodes per NFE, stepped as one batch (default 50)')
    .option('--seed <n>', 'seed of the first closed-loop episode (default 100000, the test seeds)')
    .addOption(new Option('--backend <name>', `TF.js backend: ${BACKEND_NAMES.join(', ')}`).default('auto'))
    .action(async (run: string, f: CommonFlags & { env?: string }) => {
      const backend = backendOf(f);
      const nfe = f.nfe === undefined ? undefined : parseIntListFlag('--nfe', f.nfe);
      if (f.env !== undefined) {
        const env = checkChoice('env', f.env, ENVIRONMENT_NAMES) as EnvironmentName;
        const episodes = f.episodes === undefined ? undefined : parseNumberFlag('--episodes', f.episodes);
        if (episodes !== undefined && (!Number.isInteger(episodes) || episodes < 1)) {
          throw new ConfigError(`--episodes: expected a positive integer, got ${f.episodes}`);
        }
        const seed = f.seed === undefined ? undefined : parseNumberFlag('--seed', f.seed);
        if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
          throw new ConfigError(`--seed: expected a non-negative integer, got ${f.seed}`);
        }
        const rows = await evaluateCheckpointInEnvironment(run, { env, backend, nfe, episodes, seed, log });
        print(closedLoopTable(rows));
        if (f.json) writeJsonAtomic(f.json, rows);
        return;
      }
      const evalSamples =
        f.evalSamples === undefined ? undefined : parseNumberFlag('--eval-samples', f.evalSamples);
      const rows = await evaluateCheckpoint(run, {
        nfe,
        evalSamples,
        backend,
        data: f.data,
        packages: f.algorithmPackage,
        log,
      });
      for (const r of rows) print(`${r.algorithm} ${r.task} NFE ${r.nfe}: ${JSON.stringify(r.metrics)}`);
      if (f.json) writeJsonAtomic(f.json, rows);
    });

  program
    .command('rollout')
    .description('one closed-loop episode of a run as an animated GIF (.gif) or a strip of frames (.png)')
    .argument('<run>', 'run folder written by mipjs train (with a policy.json)')
    .requiredOption('--env <name>', `environment: ${ENVIRONMENT_NAMES.join(', ')}`)
    .requiredOption(
      '--out <file>',
      'output: FILE.gif (animation, 10 fps) or FILE.png (6 frames side by side)',
    )
    .option('--seed <n>', 'reset seed of the episode (default 100000: episode 0 of mipjs eval --env)')
    .option('--nfe <n>', "NFE of every chunk (default the policy's)")
    .option('--legacy', 'numpy legacy reset order, as the test envs (default)')
    .option('--no-legacy', 'the current reset order')
    .option('--size <px>', 'frame side in pixels (default 256)')
    .addOption(new Option('--backend <name>', `TF.js backend: ${BACKEND_NAMES.join(', ')}`).default('auto'))
    .action(
      async (run: string, f: CommonFlags & { env: string; out: string; legacy?: boolean; size?: string }) => {
        const backend = backendOf(f);
        const env = checkChoice('env', f.env, ENVIRONMENT_NAMES) as EnvironmentName;
        const format = rolloutFormat(f.out);
        const seed = f.seed === undefined ? undefined : parseNumberFlag('--seed', f.seed);
        if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
          throw new ConfigError(`--seed: expected an integer in [0, 2^32), got ${f.seed}`);
        }
        const nfe = f.nfe === undefined ? undefined : parseNumberFlag('--nfe', f.nfe);
        if (nfe !== undefined && (!Number.isInteger(nfe) || nfe < 1)) {
          throw new ConfigError(`--nfe: expected one positive integer, got ${f.nfe}`);
        }
        const size = f.size === undefined ? undefined : parseNumberFlag('--size', f.size);
        if (size !== undefined && (!Number.isInteger(size) || size < 16 || size > 1024)) {
          throw new ConfigError(`--size: expected an integer in [16, 1024], got ${f.size}`);
        }
        checkRolloutRun(run, env);
        const {
          rollout: r,
          bytes,
          algorithm,
        } = await rolloutRun(run, {
          env,
          out: f.out,
          seed,
          nfe,
          legacy: f.legacy ?? true,
          size,
          backend,
          log,
        });
        print(
          `${algorithm} ${env} seed ${r.seed} NFE ${r.nfe}: max reward ${r.maxReward.toFixed(3)}, ` +
            `${r.success ? 'success' : 'no success'}, ${r.steps} steps, final coverage ${r.finalCoverage.toFixed(3)}`,
        );
        print(
          `wrote ${f.out} (${format === 'gif' ? `${r.frames.length} frames` : 'strip of frames'}, ${(bytes / 1024).toFixed(0)} KiB)`,
        );
      },
    );

  addRunOptions(
    program.command('compare').description('several algorithms on one task: one table, one report'),
    false,
  )
    .option('--task <name>', `task: ${TASK_NAMES.join(', ')} (default checkerboard, or the preset's)`)
    .option(
      '--algorithms <list>',
      `comma-separated algorithms (default ${DEFAULT_COMPARE_ALGORITHMS.join(',')}, or the preset's)`,
    )
    .option('--seeds <list>', "comma-separated seeds (default 0, or the preset's)")
    .option('--out <dir>', 'results folder (default runs/compare-<time>)')
    .option('--workers <n>', 'worker processes (default: one per core, at most one per run)')
    .option('--json <file>', 'also write the result rows to this file')
    .option('--resume', 'continue the results folder in --out: finished runs are kept, the others resume')
    .action(async (f: CommonFlags & { algorithms?: string; seeds?: string; resume?: boolean }) => {
      const backend = backendOf(f);
      const preset = f.preset ? readPreset(f.preset, { dataGiven: f.data !== undefined }) : null;
      const file = fileFields(f);
      const task = f.task ?? (file.task as string | undefined) ?? 'checkerboard';
      checkTaskName(task, f, file);
      const seeds =
        f.seeds !== undefined
          ? list(f.seeds).map((s) => parseNumberFlag('--seeds', s))
          : (preset?.seeds ?? [0]);
      const flags = runFlags({ ...f, task: undefined });
      const { seconds } = await compare({
        task,
        algorithms: f.algorithms
          ? list(f.algorithms)
          : (preset?.algorithms ?? [...DEFAULT_COMPARE_ALGORITHMS]),
        seeds,
        file,
        flags,
        backend,
        out: f.out,
        resume: f.resume,
        fileKey: fileKeyLabel(f),
        workers: f.workers === undefined ? undefined : positiveIntFlag('--workers', f.workers),
        json: f.json,
        quiet: f.quiet,
        log,
        print,
      });
      log(`compare finished in ${seconds.toFixed(1)} s`);
    });

  addRunOptions(
    program
      .command('sweep')
      .description(
        'grid of algorithms x tasks x seeds x options, resumable, in parallel workers (or on a Redis queue: --queue)',
      )
      .argument('[action]', 'with --queue: status (progress) or collect (results.json and report)'),
    false,
  )
    .option('--algorithms <list>', 'comma-separated algorithms (required to run or enqueue a sweep)')
    .option('--tasks <list>', 'comma-separated tasks', 'checkerboard')
    .option('--seeds <list>', 'comma-separated seeds', '0')
    .option(
      '--set <key=values...>',
      'an option axis, e.g. lr=1e-3,3e-3 or networkOptions.embDim=64,128 (repeatable)',
    )
    .option(
      '--out <dir>',
      'sweep folder (rerun with the same folder to resume; with --queue: runs/sweep-<name>)',
    )
    .option('--workers <n>', 'worker processes (default: one per core)')
    .option('--json <file>', 'also write the result rows to this file')
    .option(
      '--queue <url>',
      `enqueue the runs on Redis for mipjs worker processes on any machine: redis://[user:password@]host[:port][/db] or rediss:// (password also from ${REDIS_PASSWORD_ENV})`,
    )
    .option('--name <name>', `with --queue: the sweep's name (default ${DEFAULT_SWEEP_NAME})`)
    .option('--no-follow', 'with --queue: enqueue and return (collect later with mipjs sweep collect)')
    .action(
      async (
        action: string | undefined,
        f: CommonFlags & {
          algorithms?: string;
          tasks: string;
          seeds: string;
          set?: string[];
          queue?: string;
          name?: string;
          follow: boolean;
        },
      ) => {
        const backend = backendOf(f);
        const name = f.name ?? DEFAULT_SWEEP_NAME;
        if (action !== undefined) {
          if (action !== 'status' && action !== 'collect')
            throw new ConfigError(
              `mipjs sweep ${action}: unknown action; valid: status, collect (with --queue)`,
            );
          if (!f.queue)
            throw new ConfigError(`mipjs sweep ${action} needs --queue <url> (and --name <name>)`);
          if (action === 'status') await remoteSweepStatus({ queue: f.queue, name, log, print });
          else
            await remoteSweepCollect({
              queue: f.queue,
              name,
              out: f.out ?? join('runs', `sweep-${name}`),
              json: f.json,
              log,
              print,
            });
          return;
        }
        if (!f.algorithms) throw new ConfigError("required option '--algorithms <list>' not specified");
        if (f.name !== undefined && !f.queue) throw new ConfigError('--name needs --queue <url>');
        const tasks = list(f.tasks).map((t) => checkTaskName(t, f, fileFields(f)));
        const seeds = list(f.seeds).map((s) => parseNumberFlag('--seeds', s));
        const grid = {
          algorithms: list(f.algorithms),
          tasks,
          seeds,
          sets: (f.set ?? []).map(parseSetFlag),
          file: fileFields(f),
          fileKey: fileKeyLabel(f),
          flags: runFlags({ ...f, task: undefined }),
        };
        if (f.queue) {
          if (f.workers !== undefined)
            throw new ConfigError(
              '--workers is for a local sweep; with --queue start mipjs worker processes',
            );
          const stop = new AbortController();
          process.once('SIGINT', () => stop.abort());
          await remoteSweep({
            ...grid,
            queue: f.queue,
            name,
            backend,
            out: f.out ?? join('runs', `sweep-${name}`),
            json: f.json,
            follow: f.follow,
            quiet: f.quiet,
            signal: stop.signal,
            log,
            print,
          });
          return;
        }
        await sweep({
          ...grid,
          backend,
          out: f.out ?? join('runs', `sweep-${timestamp()}`),
          workers: f.workers === undefined ? undefined : positiveIntFlag('--workers', f.workers),
          json: f.json,
          quiet: f.quiet,
          log,
          print,
        });
      },
    );

  program
    .command('worker')
    .description(
      'take the jobs of a queue sweep (mipjs sweep --queue) from Redis: train, evaluate, return results',
    )
    .requiredOption(
      '--queue <url>',
      `redis://[user:password@]host[:port][/db] or rediss:// (password also from ${REDIS_PASSWORD_ENV})`,
    )
    .option('--name <name>', `the sweep's name (default ${DEFAULT_SWEEP_NAME})`)
    .option('--concurrency <n>', 'runs at once, each in its own process (default 1)')
    .option(
      '--store <dir>',
      `folder of the runs and their checkpoints, shared by the workers of a sweep (default ${DEFAULT_STORE})`,
    )
    .addOption(
      new Option(
        '--backend <name>',
        `TF.js backend, instead of the one the sweep asked for: ${BACKEND_NAMES.join(', ')}`,
      ),
    )
    .option(
      '--lock-seconds <n>',
      "seconds before a dead worker's run is taken over by another worker (default 30)",
    )
    .option('--until-done', 'exit once every run of the sweep has finished or failed')
    .action(
      async (f: {
        queue: string;
        name?: string;
        concurrency?: string;
        store?: string;
        backend?: string;
        lockSeconds?: string;
        untilDone?: boolean;
      }) => {
        const backend =
          f.backend === undefined
            ? undefined
            : (checkChoice('backend', f.backend, BACKEND_NAMES) as BackendName);
        const target = parseRedisUrl(f.queue);
        const stop = new AbortController();
        const onSignal = () => {
          // A second signal: stop now. The running runs resume on another worker from their
          // checkpoints once their locks expire.
          if (stop.signal.aborted) process.exit(130);
          stop.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const { completed, failed } = await runQueueWorker({
          target,
          name: f.name ?? DEFAULT_SWEEP_NAME,
          store: f.store ?? DEFAULT_STORE,
          concurrency: f.concurrency === undefined ? 1 : parseNumberFlag('--concurrency', f.concurrency),
          backend,
          lockSeconds:
            f.lockSeconds === undefined ? undefined : parseNumberFlag('--lock-seconds', f.lockSeconds),
          untilDone: f.untilDone,
          signal: stop.signal,
          log,
        });
        print(`worker finished ${completed} run(s), ${failed} failed`);
      },
    );

  program
    .command('report')
    .description('a results folder to report.md plus PNG/SVG plots')
    .argument('<dir>', 'results folder (compare, sweep or a run folder)')
    .action(async (dir: string) => {
      if (!existsSync(dir)) throw new ConfigError(`cannot read results folder ${dir}: no such directory`);
      const files = await writeReport(dir);
      print(`report: ${join(dir, 'report.md')} (${files.length} files)`);
    });

  program
    .command('info')
    .description('backends, versions, algorithms, networks, tasks')
    .option('--algorithm-package <name...>', 'also list the algorithms of these packages')
    .option('--network-package <name...>', 'also list the networks of these packages')
    .option('--encoder-package <name...>', 'also list the observation encoders of these packages')
    .option('--task-package <name...>', 'also list the tasks of these packages')
    .option('--interpolant-package <name...>', 'also list the interpolant schedules of these packages')
    .action(async (f: InfoFlags) => {
      const { resolveAlgorithms } = await import('../algorithms/algorithms.js');
      const { listPlugins } = await import('../plugins/plugins.js');
      const { resolveSchedules } = await import('../algorithms/schedules.js');
      // Packages load first: a bad one is one error before anything is printed.
      const plugins = await listPlugins({
        networkPackages: f.networkPackage,
        encoderPackages: f.encoderPackage,
        taskPackages: f.taskPackage,
      });
      const schedules = await resolveSchedules(f.interpolantPackage ?? []);
      print('versions:');
      for (const [k, v] of Object.entries(await versions())) print(`  ${k} ${v}`);
      print('backends (auto tries them in this order):');
      for (const [k, v] of Object.entries(await probeBackends())) print(`  ${k}: ${v}`);
      // NFE: network calls per action chunk, the unit `--nfe` and the result tables use.
      print('algorithms (NFE evaluated by default; --nfe changes it unless it is fixed):');
      const table = await resolveAlgorithms(f.algorithmPackage ?? []);
      const builtin = new Set(builtinAlgorithms().map((a) => a.name));
      for (const a of table.values()) {
        const nfe = a.fixedNfe ? `NFE ${a.fixedNfe} (fixed)` : `NFE ${a.defaultSteps.join(', ')}`;
        const tags = `${nfe}${a.needsTeacher ? ' (teacher)' : ''}${builtin.has(a.name) ? '' : ' (package)'}`;
        print(`  ${a.name.padEnd(14)} ${tags.padEnd(26)} ${a.description ?? ''}`);
        // --sampler choices with their honest NFE (Heun's default steps 9, 3, 1 are NFE 18, 6, 2).
        for (const name of a.samplers ?? []) {
          const choice = SAMPLER_CHOICES[name];
          if (!choice) continue;
          const nfe = a.defaultSteps.map((s) => s * choice.callsPerStep).join(', ');
          print(`  ${''.padEnd(14)}   --sampler ${name.padEnd(9)} NFE ${nfe} (${choice.description})`);
        }
      }
      const named = (builtins: readonly string[], extra: readonly { name: string }[]) =>
        [...builtins, ...extra.map((e) => `${e.name} (package)`)].join(', ');
      print(`networks: ${named(NETWORK_NAMES, plugins.networks)}`);
      print(`encoders: ${named(ENCODER_KINDS, plugins.encoders)}`);
      const builtinSchedules = Object.keys(BUILTIN_SCHEDULES);
      const packageSchedules = [...schedules.keys()].filter((k) => !builtinSchedules.includes(k));
      print(
        `interpolants: ${named(
          builtinSchedules,
          packageSchedules.map((name) => ({ name })),
        )}`,
      );
      print('tasks:');
      for (const t of TASK_NAMES) print(`  ${t.padEnd(13)} ${TASK_DESCRIPTIONS[t]}`);
      for (const t of plugins.tasks) print(`  ${t.name.padEnd(13)} ${t.description ?? ''} (package)`);
    });

  registerPerfCommand(program, log, print);
  registerServeCommand(program, log, print);
  registerValidateEnvCommand(program, log, print);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the message (help, version, usage errors)
      return error.exitCode === 0 ? 0 : 2;
    }
    const e = error as Error;
    process.stderr.write(`mipjs: error: ${e.message}\n`);
    if (process.env.MIPJS_DEBUG) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

/** Runs the CLI and exits with its code (the `mipjs` bin and `node dist/cli.js` (src/cli.ts) both end here). */
export function runCli(argv: string[] = process.argv): void {
  tuneGarbageCollector();
  main(argv).then((code) => {
    process.exitCode = code;
    // Workers, wasm threads and timers must not keep a finished CLI alive.
    setTimeout(() => process.exit(code), 50).unref();
  });
}
