// backend/ owns the TF.js backend of a process: choice and probing, set-up, multi-threaded wasm, GC tuning.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { prepareWasmThreads, requestedWasmThreads, WASM_THREADS_ENV } from './wasm-threads.js';
import { adapterName, probeWebGpu, startWebGpu, webGpuAdapter } from './webgpu.js';

/** Backends the CLI accepts. */
export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

const NATIVE: Record<'tensorflow-gpu' | 'tensorflow', { pkg: string; tfName: string }> = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  tensorflow: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
};

/** A backend that cannot be used here, with how to fix it. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

let active: ConcreteBackend | null = null;

/** The backend chosen by {@link setupBackend} in this process, or null. */
export function activeBackend(): ConcreteBackend | null {
  return active;
}

async function tryNative(which: 'tensorflow-gpu' | 'tensorflow'): Promise<string | null> {
  const { pkg } = NATIVE[which];
  try {
    // Optional peer: not installable on every machine, so it is imported by name at run time.
    await import(/* @vite-ignore */ pkg);
  } catch (error) {
    return `${pkg} is not installed or failed to load (${(error as Error).message.split('\n')[0]})`;
  }
  return null;
}

function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

/** How long the threaded wasm start may take before it is reported as failed. */
const WASM_START_TIMEOUT_MS = 60_000;

async function tryWasm(threads: number): Promise<string | null> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDistDir());
    if (!tf.findBackendFactory('wasm')) return 'the wasm backend did not register';
  } catch (error) {
    return `@tensorflow/tfjs-backend-wasm failed to load (${(error as Error).message})`;
  }
  if (threads <= 1) {
    try {
      return (await tf.setBackend('wasm')) ? null : 'the wasm backend failed to initialise';
    } catch (error) {
      return `the wasm backend failed to initialise (${(error as Error).message})`;
    }
  }
  const fix = ` (${threads} threads; use --threads 1 or ${WASM_THREADS_ENV}=1 for the single-threaded build)`;
  let restore: () => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  try {
    restore = prepareWasmThreads(wasm, threads);
    // A pthread worker that fails to start leaves the init promise pending forever (and Node
    // then exits silently with code 13): the ref'd timer turns that into an error.
    const timeout = new Promise<boolean>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from its pthread workers in ${WASM_START_TIMEOUT_MS / 1000} s`)),
        WASM_START_TIMEOUT_MS,
      );
    });
    const ok = await Promise.race([tf.setBackend('wasm'), timeout]);
    return ok ? null : `the threaded wasm backend failed to initialise${fix}`;
  } catch (error) {
    return `the threaded wasm backend failed to start: ${(error as Error).message}${fix}`;
  } finally {
    clearTimeout(timer);
    restore();
  }
}

let wasmThreadsInUse = 0;

/** XNNPACK threads of the wasm backend in this process (0 when wasm is not the backend). */
export function wasmThreads(): number {
  return active === 'wasm' ? wasmThreadsInUse : 0;
}

/** Hooks run once after a backend is set (gradient fixes from @mipjs/nets). */
const setupHooks: (() => void)[] = [];

/** Registers a function run after the backend is chosen (e.g. a gradient re-registration). */
export function onBackendReady(hook: () => void): void {
  setupHooks.push(hook);
}

/** Whether this process has said which backend `auto` chose (it says so once). */
let announced = false;

/**
 * The one line a process prints about its backend, in place of TF.js's "Hi, looks like you are
 * running TensorFlow.js in Node.js..." banner (silenced by the PROD flag in prepareBackend): what
 * `--backend auto` chose and why the faster ones were passed over. Printed only for `auto`, once
 * per process: a backend the user named needs no announcement, and a pool worker receives the
 * backend its parent already announced.
 *
 * `backendLine('wasm', 1, ['tensorflow-gpu: ...', 'tensorflow: ...'])` ->
 * `backend: wasm, 1 thread (auto; tensorflow-gpu, tensorflow unavailable: mipjs info says why)`
 */
export function backendLine(name: ConcreteBackend, threads: number, tried: readonly string[]): string {
  const adapter = webGpuAdapter();
  const threadNote =
    name === 'wasm'
      ? `, ${threads} thread${threads === 1 ? '' : 's'}`
      : name === 'webgpu' && adapter
        ? `, ${adapterName(adapter)}`
        : '';
  const passed = tried.map((t) => t.split(':')[0]);
  const why = passed.length > 0 ? `; ${passed.join(', ')} unavailable: mipjs info says why` : '';
  return `backend: ${name}${threadNote} (auto${why})`;
}

/**
 * Selects and initialises a TF.js backend. `auto` tries tensorflow-gpu, tensorflow (the native
 * bindings, optional and detected at run time), webgpu (optional, when Dawn finds a hardware GPU
 * adapter, see webgpu.ts), then wasm, then cpu. An explicitly requested
 * backend that is missing is an error that says how to install it. The wasm backend runs
 * `MIPJS_WASM_THREADS` XNNPACK threads (default 1; see wasm-threads.ts). `log` receives one line
 * ({@link backendLine}) the first time `auto` chooses in this process, and nothing otherwise.
 */
export async function setupBackend(
  requested: BackendName,
  log: (line: string) => void = () => {},
): Promise<{ backend: ConcreteBackend; tried: string[] }> {
  const tried: string[] = [];
  const order: ConcreteBackend[] =
    requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    let why: string | null;
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      why = await tryNative(name);
      if (!why && !(await tf.setBackend(NATIVE[name].tfName)))
        why = `${NATIVE[name].pkg} loaded but its backend failed to initialise`;
    } else if (name === 'webgpu') {
      why = await startWebGpu(requested === 'auto');
    } else if (name === 'wasm') {
      const threads = requestedWasmThreads();
      why = await tryWasm(threads);
      if (why === null) wasmThreadsInUse = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
    } else {
      why = (await tf.setBackend('cpu')) ? null : 'the cpu backend failed to initialise';
    }
    if (why === null) {
      await tf.ready();
      active = name;
      for (const hook of setupHooks) hook();
      if (requested === 'auto' && !announced) {
        announced = true;
        log(backendLine(name, wasmThreadsInUse, tried));
      }
      return { backend: name, tried };
    }
    tried.push(`${name}: ${why}`);
    if (requested !== 'auto') {
      const hint =
        name === 'tensorflow-gpu' || name === 'tensorflow'
          ? ` Install it with \`pnpm add ${NATIVE[name].pkg}@4.22.0\` (it downloads libtensorflow at install time), or use --backend wasm.`
          : '';
      throw new BackendUnavailableError(`backend '${name}' is not available: ${why}.${hint}`);
    }
  }
  throw new BackendUnavailableError(`no backend could be initialised:\n  ${tried.join('\n  ')}`);
}

/** Which optional backends can be loaded here (for `mipjs info`), without switching backends. */
export async function probeBackends(): Promise<Record<ConcreteBackend, string>> {
  const out = {} as Record<ConcreteBackend, string>;
  for (const name of ['tensorflow-gpu', 'tensorflow'] as const) {
    const why = await tryNative(name);
    out[name] = why ?? 'available';
  }
  const gpu = probeWebGpu();
  out.webgpu =
    gpu.adapter === null
      ? `unavailable: ${gpu.reason}`
      : gpu.adapter.fallback
        ? `adapter ${adapterName(gpu.adapter)}; auto passes it over: a software adapter, slower than wasm`
        : `available: adapter ${adapterName(gpu.adapter)}`;
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    let threads: string;
    try {
      const n = requestedWasmThreads();
      threads = `${n} thread${n === 1 ? '' : 's'}${process.env[WASM_THREADS_ENV] ? ` (${WASM_THREADS_ENV})` : '; --threads N for more'}`;
    } catch (error) {
      threads = (error as Error).message;
    }
    out.wasm = `available, ${threads} (wasm files in ${wasmDistDir()})`;
  } catch (error) {
    out.wasm = `unavailable: ${(error as Error).message}`;
  }
  out.cpu = 'available';
  return out;
}
