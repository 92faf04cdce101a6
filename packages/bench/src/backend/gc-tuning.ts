import { setFlagsFromString } from 'node:v8';

/**
 * Why the garbage collector is tuned at all: every TF.js kernel call allocates a few short-lived
 * objects (tensor handles, typed-array views of the wasm heap), nearly all dead by the next
 * collection, so V8's scavenger runs constantly and finds little to copy each time.
 */

/** Flags the user chose, on the command line or in NODE_OPTIONS: they win over ours. */
function chosenFlags(execArgv: readonly string[]): string {
  return [...execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
}

/**
 * Tunes the collector of this (already started) process: 32 MB young-generation semi-spaces
 * instead of Node 20's 16 MB, so the scavenger runs half as often. Measured on the 2-core VM (600
 * checkerboard flow steps): 13.0 -> 12.6 s. Called first thing by the CLI and the worker entries;
 * the size applies from the next young-generation resize on. Only the size can change here: the
 * collector's threading is fixed at start-up (V8 aborts when concurrent marking is switched
 * off in a running process), which is what {@link trainingProcessFlags} sets for the processes
 * that mip.js forks.
 */
export function tuneGarbageCollector(): void {
  if (!chosenFlags(process.execArgv).includes('semi-space-size'))
    setFlagsFromString('--max-semi-space-size=32');
}

/**
 * The Node flags of a training process that mip.js forks (sweep and compare workers, the
 * sandboxed processes of `mipjs worker`, perf measurements): `execArgv` plus collection on the
 * main thread only (`--single-threaded-gc`) and 64 MB semi-spaces, unless the user chose either.
 *
 * Why: with so little to copy per collection, handing it to helper threads costs more (waking
 * and synchronising them) than it saves, and their CPU is taken from the other workers when
 * there is one worker per core. Measured on the 2-core VM (`mipjs sweep`, 4 checkerboard flow
 * runs of 1000 steps, 2 workers): 46.2-48.0 -> 41.8-42.5 s, each run training 21.3 -> 19.4 s
 * (as fast as in a 1-worker sweep), CPU of the sweep 89-92 -> 82 s.
 *
 * @example
 * fork(entry, [], { execArgv: trainingProcessFlags() });
 * // execArgv: [...process.execArgv, '--single-threaded-gc', '--max-semi-space-size=64']
 */
export function trainingProcessFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const chosen = chosenFlags(execArgv);
  const flags = [...execArgv];
  if (!/single-threaded|parallel-scavenge|concurrent-marking/.test(chosen))
    flags.push('--single-threaded-gc');
  if (!chosen.includes('semi-space-size')) flags.push('--max-semi-space-size=64');
  return flags;
}
