// The store: the folder, shared by every worker of a queue sweep, where its runs train and checkpoint.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ConfigError, configMismatch, type RunConfig } from '../../config/config.js';
import { makeDir, writeFileAtomic } from '../../io/io.js';
import { RESULT_FILE, type RunOutcome, readOutcome } from '../../run/run.js';
import { RUN_FILES, readCheckpoint } from '../../train/checkpoint.js';

/** The store of `mipjs worker` when `--store` is not given (relative to its working folder). */
export const DEFAULT_STORE = join('runs', 'store');

/**
 * The files of a finished run that travel back with its result: what `mipjs report` draws from
 * (config, loss curve, 2-D samples), so a collected sweep folder reports like a local one.
 */
export const RETURNED_FILES = [RUN_FILES.config, RUN_FILES.metrics, 'samples.json'] as const;

/** Checks that a job's run path is a plain relative path (`task/name`), never one that leaves the store. */
export function checkRunPath(run: string): string {
  const parts = run.split('/');
  if (isAbsolute(run) || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')))
    throw new ConfigError(`job run path '${run}' is not a relative task/name path`);
  return run;
}

/**
 * The folder of run `run` (`<task>/<name>`) of sweep `name` in `store`:
 * `<store>/<name>/<task>/<name>`. Its layout is a local run folder's (config, metrics, checkpoint).
 */
export function storeRunDir(store: string, name: string, run: string): string {
  return join(store, name, ...checkRunPath(run).split('/'));
}

/** Creates `<store>/<name>` and checks it can be written; a one-line error naming `--store` if not. */
export function openStore(store: string, name: string): string {
  const dir = join(store, name);
  try {
    makeDir(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new ConfigError(
      `--store ${store}: cannot write ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return dir;
}

/** Where a run in the store starts: from its checkpoint's step, or from scratch (step 0). */
export function storedStart(dir: string): { resume: boolean; step: number } {
  const checkpoint = readCheckpoint(dir);
  // A config.json without a checkpoint: started, killed before its first checkpoint. A resume
  // of such a folder trains from step 0 (and checks that the config is the same).
  return {
    resume: checkpoint !== null || existsSync(join(dir, RUN_FILES.config)),
    step: checkpoint?.state.step ?? 0,
  };
}

/**
 * The outcome of a run the store already holds finished (`result.json`, written by an earlier
 * attempt that died before BullMQ recorded it), or null. Throws when the folder holds another
 * config's run (two sweeps under one `--name` and store, different grids).
 */
export function finishedOutcome(dir: string, config: RunConfig): RunOutcome | null {
  if (!existsSync(join(dir, RESULT_FILE))) return null;
  const saved = JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')) as RunConfig;
  const diffs = configMismatch(saved, config);
  if (diffs.length > 0) throw new ConfigError(`${dir} holds another config's run:\n  ${diffs.join('\n  ')}`);
  return readOutcome(dir);
}

/** The {@link RETURNED_FILES} of a run folder that exist, as text. */
export function readRunFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of RETURNED_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) files[name] = readFileSync(path, 'utf8');
  }
  return files;
}

/** Writes returned run files into a run folder of a collected sweep (atomically, known names only). */
export function writeRunFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    if (!(RETURNED_FILES as readonly string[]).includes(name)) continue;
    writeFileAtomic(join(dir, name), text);
  }
}
