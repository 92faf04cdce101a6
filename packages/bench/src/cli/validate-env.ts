import { formatPushTValidation, type PushTValidationReport } from '@mipjs/envs';
import type { Command } from 'commander';
import { ConfigError } from '../config/config.js';
import { validatePushTZarr } from '../evaluate/validate-env.js';
import { writeJsonAtomic } from '../io/io.js';
import { createPhaseProgress } from '../io/progress.js';

/** The environments `validate-env` knows. */
export const ENV_NAMES = ['pusht'] as const;

interface ValidateEnvFlags {
  env: string;
  data?: string;
  json?: string;
  episodes?: string;
  renderFrames?: string;
  quiet?: boolean;
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new ConfigError(`validate-env: ${flag} '${value}': expected a positive integer`);
  return n;
}

/** `mipjs validate-env --env pusht --data <zarr> [--json FILE] [--episodes N]`. */
export function registerValidateEnvCommand(
  program: Command,
  log: (line: string) => void,
  print: (text: string) => void,
): void {
  program
    .command('validate-env')
    .description(
      'replay recorded demonstrations through a simulator of @mipjs/envs and report how close it is',
    )
    .option('--env <name>', `environment: ${ENV_NAMES.join(', ')}`, 'pusht')
    .option(
      '--data <zarr>',
      'Zarr replay buffer (directory or .zip): data/state, data/action, meta/episode_ends; data/keypoint, data/img when present',
    )
    .option('--json <file>', 'also write the report as JSON (atomically)')
    .option('--episodes <n>', 'only the first N episodes (default all)')
    .option(
      '--render-frames <n>',
      'frames of data/img compared with the renderer, spread over the data (default 1000)',
    )
    .option('--quiet', 'no progress display')
    .action(async (f: ValidateEnvFlags) => {
      if (!(ENV_NAMES as readonly string[]).includes(f.env))
        throw new ConfigError(`validate-env: unknown --env '${f.env}'; valid: ${ENV_NAMES.join(', ')}`);
      if (f.data === undefined) throw new ConfigError('validate-env: --data <zarr> is required');
      const episodes = positiveInt('--episodes', f.episodes);
      const renderFrames = positiveInt('--render-frames', f.renderFrames) ?? 1000;
      const progress = f.quiet ? undefined : createPhaseProgress('validate-env');
      let result: Awaited<ReturnType<typeof validatePushTZarr>>;
      try {
        result = await validatePushTZarr(f.data, { episodes, renderFrames, onProgress: progress?.update });
      } finally {
        progress?.stop();
      }
      const { report, notes } = result;
      print(formatPushTValidation(report));
      if (report.speed?.chipmunkStepsPerSecond)
        print(
          `Chipmunk in C (same replay, this run): ${Math.round(report.speed.chipmunkStepsPerSecond).toLocaleString('en-US')} control steps/s`,
        );
      for (const note of notes) print(note);
      if (f.json) {
        writeJsonAtomic(f.json, { data: f.data, ...report, notes } satisfies PushTValidationReport & {
          data: string;
          notes: string[];
        });
        log(`validate-env: report written to ${f.json}`);
      }
    });
}
