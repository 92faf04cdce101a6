import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../config/config.js';
import { readJsonFile, removeStaleTemps, TEMP_PREFIX, writeDirAtomic, writeJsonAtomic } from '../io/io.js';
import { type Model, saveModel } from '../model/model.js';
import type { AdamW } from './optim/adamw.js';
import { writeTensorStore } from './tensor-store.js';

/** A resume folder that does not belong to this config. */
export class ResumeError extends Error {
  override name = 'ResumeError';
}

/** `checkpoint/state.json`: where a run stands, enough to continue it exactly. */
export interface CheckpointState {
  format: 'mipjs-checkpoint';
  version: 2;
  step: number;
  optimizerStep: number;
  trainSeconds: number;
  /** Every random draw of step k comes from RandomStream(mixSeed(seed, k)): the seed is the RNG state. */
  rng: { kind: 'per-step-splitmix'; seed: number; nextStep: number };
  algorithm: string;
}

/** Paths inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  checkpoint: 'checkpoint',
  /** The EMA weights that scored best in closed loop during training (`evalEvery`), beside `checkpoint/`. */
  best: 'checkpoint-best',
} as const;

/** `checkpoint-best/best.json`: the step, score and metrics of the best closed-loop evaluation. */
export const BEST_FILE = 'best.json';

/** What `checkpoint-best/best.json` holds. */
export interface BestState {
  step: number;
  score: number;
  metrics: Record<string, number>;
}

/** The best closed-loop evaluation so far of a run folder (`checkpoint-best/best.json`), or null. */
export function readBest(dir: string): BestState | null {
  const path = join(dir, RUN_FILES.best, BEST_FILE);
  if (!existsSync(path)) return null;
  const best = readJsonFile(path, 'a best-checkpoint record') as BestState;
  if (typeof best?.step !== 'number' || typeof best.score !== 'number')
    throw new ResumeError(`${path} is not a best-checkpoint record (step, score, metrics)`);
  return best;
}

/**
 * Writes `dir/checkpoint-best/` atomically: the EMA model's weights (`network/`, `encoder/`),
 * `best.json`, and whatever `extra` writes into the folder (run/ adds `policy.json` and the
 * normalizers so the folder loads as a policy on its own).
 */
export async function writeBestCheckpoint(
  dir: string,
  ema: Model,
  best: BestState,
  extra?: (tmpDir: string) => void | Promise<void>,
): Promise<void> {
  await writeDirAtomic(join(dir, RUN_FILES.best), async (tmp) => {
    await saveModel(ema, tmp);
    await extra?.(tmp);
    writeJsonAtomic(join(tmp, BEST_FILE), best);
  });
}

/**
 * Paths inside `checkpoint/`: the trained and EMA weights as @mipjs/nets weights directories
 * (`model/network`, `model/encoder`, `ema/network`, `ema/encoder`: `manifest.json` +
 * `weights.bin` each), the AdamW moments (`optimizer.json` + `optimizer.bin`), `state.json`
 * (step, RNG state) and the `config.json` that rebuilds the architecture.
 */
export const CHECKPOINT_FILES = {
  model: 'model',
  ema: 'ema',
  optimizer: 'optimizer',
  state: 'state.json',
  config: 'config.json',
} as const;

/** The checkpoint of a run folder (its state and path), or null when it has none. */
export function readCheckpoint(dir: string): { state: CheckpointState; path: string } | null {
  const ck = join(dir, RUN_FILES.checkpoint);
  if (!existsSync(join(ck, CHECKPOINT_FILES.state))) return null;
  const state = readJsonFile(join(ck, CHECKPOINT_FILES.state), 'a checkpoint state') as CheckpointState;
  if (state?.format !== 'mipjs-checkpoint' || state.version !== 2 || !Number.isInteger(state.step))
    throw new ResumeError(`${ck} is not a mipjs checkpoint of version 2`);
  return { state, path: ck };
}

/** The step of a complete checkpoint folder (its state.json is written last), or null. */
function completeCheckpointStep(path: string): number | null {
  if (!existsSync(join(path, CHECKPOINT_FILES.config))) return null;
  if (!existsSync(join(path, `${CHECKPOINT_FILES.optimizer}.bin`))) return null;
  try {
    const state = readJsonFile(join(path, CHECKPOINT_FILES.state), 'a checkpoint state') as CheckpointState;
    return state?.format === 'mipjs-checkpoint' && Number.isInteger(state.step) ? state.step : null;
  } catch {
    return null;
  }
}

/** The step of a complete best-checkpoint folder (best.json is written last), or null. */
function completeBestStep(path: string): number | null {
  try {
    const best = readJsonFile(join(path, BEST_FILE), 'a best-checkpoint record') as BestState;
    return typeof best?.step === 'number' ? best.step : null;
  } catch {
    return null;
  }
}

/**
 * Puts back `dir/<name>/` when a kill left none: {@link writeDirAtomic} moves the old folder aside
 * (`.tmp-*-<name>-old`) before it moves the new one in (`.tmp-*-<name>`), and a kill between the
 * two renames leaves both complete copies and no `<name>/`. The newest complete copy is renamed
 * into place. Returns what was restored, or null.
 */
function restoreSwapped(
  dir: string,
  name: string,
  stepOf: (path: string) => number | null,
): { from: string; step: number } | null {
  if (existsSync(join(dir, name))) return null;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const pattern = new RegExp(`^${TEMP_PREFIX.replace('.', '\\.')}[0-9a-f]+-${name}(-old)?$`);
  const candidates = names
    .filter((n) => pattern.test(n))
    .map((n) => ({ from: n, step: stepOf(join(dir, n)) }))
    .filter((c): c is { from: string; step: number } => c.step !== null)
    .sort((a, b) => b.step - a.step || Number(a.from.endsWith('-old')) - Number(b.from.endsWith('-old')));
  const newest = candidates[0];
  if (!newest) return null;
  renameSync(join(dir, newest.from), join(dir, name));
  return newest;
}

/**
 * Brings a run folder back to a clean state at the start of a run (fresh or resumed): a
 * checkpoint (or best checkpoint) caught between the two renames of its swap is restored from the
 * newest complete copy, and every other temporary left by an interrupted write (`.tmp-*`, up to a
 * whole checkpoint each) is removed. Says what it did through `log`.
 */
export function recoverRunFolder(dir: string, log: (line: string) => void): void {
  for (const [name, stepOf] of [
    [RUN_FILES.checkpoint, completeCheckpointStep],
    [RUN_FILES.best, completeBestStep],
  ] as const) {
    const restored = restoreSwapped(dir, name, stepOf);
    if (restored)
      log(
        `${dir}: no ${name}/ (a kill interrupted a checkpoint swap); restored the newest complete copy, step ${restored.step}, from ${restored.from}`,
      );
  }
  const removed = removeStaleTemps(dir);
  if (removed.length > 0)
    log(`${dir}: removed ${removed.length} temporary file(s) of interrupted writes (${removed.join(', ')})`);
}

/** What a checkpoint holds besides its step and time. */
export interface CheckpointParts {
  dir: string;
  config: RunConfig;
  algorithm: string;
  model: Model;
  ema: Model;
  optimizer: AdamW;
}

/**
 * Writes `dir/checkpoint/` atomically (a temporary folder, then a rename): a kill at any moment
 * leaves the previous checkpoint or the new one, never a mix.
 */
export async function writeCheckpoint(parts: CheckpointParts, step: number, seconds: number): Promise<void> {
  const { dir, config, model, ema, optimizer } = parts;
  const state: CheckpointState = {
    format: 'mipjs-checkpoint',
    version: 2,
    step,
    optimizerStep: optimizer.stepCount,
    trainSeconds: seconds,
    rng: { kind: 'per-step-splitmix', seed: config.seed, nextStep: step },
    algorithm: parts.algorithm,
  };
  const opt = await optimizer.getState();
  await writeDirAtomic(join(dir, RUN_FILES.checkpoint), async (tmp) => {
    await saveModel(model, join(tmp, CHECKPOINT_FILES.model));
    await saveModel(ema, join(tmp, CHECKPOINT_FILES.ema));
    writeTensorStore(tmp, CHECKPOINT_FILES.optimizer, opt.arrays);
    writeJsonAtomic(join(tmp, CHECKPOINT_FILES.config), config);
    // Last: a folder with a state.json is complete (what recoverRunFolder looks for).
    writeJsonAtomic(join(tmp, CHECKPOINT_FILES.state), state);
  });
}

/** Removes a run folder's checkpoint (used when a run is restarted from scratch). */
export function clearCheckpoint(dir: string): void {
  rmSync(join(dir, RUN_FILES.checkpoint), { recursive: true, force: true });
}
