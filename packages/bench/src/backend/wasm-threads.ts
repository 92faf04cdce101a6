import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

/**
 * Multi-threaded wasm in Node.
 *
 * TF.js 4.22 ships a threaded SIMD wasm build (XNNPACK over a pthread pool of emscripten
 * workers) but switches it off in Node (tfjs issue 3830): its loader hands the pthread workers
 * `blob:` URLs, which Node's worker_threads cannot start. The emscripten code itself supports
 * Node. Three things make it start:
 *
 * 1. the worker script (`wasmWorkerContents`, shipped in `wasm-out/`) is written to a real file
 *    and `URL.createObjectURL` returns that file's path for the loader's worker blob;
 * 2. the `load` message that tells each worker where the main script is carries the path of
 *    `wasm-out/tfjs-backend-wasm-threaded-simd.js` instead of a Blob;
 * 3. the backend sizes its pool as min(requested, cores / 2) (it assumes hyper-threads), so
 *    `os.cpus()` reports 2 x threads while the backend initialises.
 *
 * All three patches are undone as soon as the backend is up; the pool (8 preloaded workers) is
 * created during initialisation, and the build uses at most 8 threads (more are reported as 8).
 * XNNPACK splits matrix products by output tiles, so a product is bit-identical at any thread
 * count (tested in wasm-threads.test.ts). Measured here: a 256x512 by 512x2048 matMul takes
 * 20 ms on one thread and 10 ms on two.
 */

/** The environment variable that sets the wasm thread count (what `--threads` sets). */
export const WASM_THREADS_ENV = 'MIPJS_WASM_THREADS';

/**
 * Threads a wasm backend in this process gets: `MIPJS_WASM_THREADS`, else 1. One is the default
 * because every parallelised kernel pays a hand-off to the pool's workers (measured ~0.5 ms on
 * this 2-core VM), which makes small networks several times slower; threads pay off for wide
 * networks on cores nothing else is using (see the performance page).
 */
export function requestedWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[WASM_THREADS_ENV];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${WASM_THREADS_ENV}=${raw}: expected a positive integer (wasm threads)`);
  }
  return n;
}

/**
 * The warning for more wasm threads than cores across a pool, or null: a thread pool that waits
 * for a core another worker is using is several times slower than one thread.
 */
export function oversubscription(workers: number, threads: number, cores: number): string | null {
  if (threads <= 1 || workers * threads <= cores) return null;
  return (
    `warning: ${workers} workers x ${threads} wasm threads on ${cores} cores: a thread pool that waits ` +
    'for a busy core is much slower than one thread; consider --threads 1'
  );
}

function wasmOutDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
}

/** Writes the pthread worker script to a content-addressed temp file (atomically) and returns its path. */
function workerScriptFile(outDir: string): string {
  const require = createRequire(import.meta.url);
  const { wasmWorkerContents } = require(join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The loader escapes newlines before making its Blob (they sit inside string literals); same here.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `mipjs-tfjs-wasm-${hash}.worker.js`);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== script) {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, script);
    renameSync(temp, file);
  }
  return file;
}

/**
 * Prepares the next `tf.setBackend('wasm')` to start the threaded build with `threads` XNNPACK
 * threads. Returns the function that undoes the patches; call it once the backend is up (or
 * failed). Must run before the wasm backend is first initialised in this process.
 */
export function prepareWasmThreads(wasm: { setThreadsCount(n: number): void }, threads: number): () => void {
  const outDir = wasmOutDir();
  const mainScript = join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  if (!existsSync(mainScript)) throw new Error(`the threaded wasm build is missing: ${mainScript}`);
  const workerFile = workerScriptFile(outDir);

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);

  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === 'application/javascript' ? workerFile : createObjectURL(obj);

  const postMessage = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: readonly never[]) {
    const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
    const fixed =
      m && m.cmd === 'load' && typeof m.urlOrBlob !== 'string' ? { ...m, urlOrBlob: mainScript } : message;
    return postMessage.call(this, fixed, transfer);
  };

  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % Math.max(1, real.length)]);
  };

  return () => {
    URL.createObjectURL = createObjectURL;
    Worker.prototype.postMessage = postMessage;
    os.cpus = cpus;
  };
}
