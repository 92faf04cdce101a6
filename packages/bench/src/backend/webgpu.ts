// The optional WebGPU backend in Node: TF.js's @tensorflow/tfjs-backend-webgpu over Dawn (the `webgpu` package).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

/** The two optional packages, at the versions the lockfile pins (tfjs-backend-webgpu = @tensorflow/tfjs). */
export const WEBGPU_PACKAGES = ['@tensorflow/tfjs-backend-webgpu@4.22.0', 'webgpu@0.6.2'] as const;

/**
 * Extra Dawn options for `create()`, separated by spaces: `backend=vulkan`, `adapter=<name>` on a
 * machine with several GPUs, `backend=null` (Dawn's null device: commands run, nothing is
 * computed; what the wiring test uses on a machine without a GPU).
 */
export const WEBGPU_OPTIONS_ENV = 'MIPJS_WEBGPU_OPTIONS';

/** What the adapter says about itself (GPUAdapterInfo), and whether it is a software fallback. */
export interface WebGpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  fallback: boolean;
}

/** The adapter Dawn offers here, or why there is none (one line). */
export type WebGpuProbe = { adapter: WebGpuAdapter } | { adapter: null; reason: string };

/**
 * Why TF.js's webgpu backend cannot read a tensor synchronously in Node: `dataSync()` copies the
 * GPU buffer through an OffscreenCanvas, a browser API that Node lacks. mip.js's trainer,
 * checkpoints, evaluations, `mipjs serve` and `mipjs perf` read with `await data()`, so they run
 * on it; code that reads synchronously gets this reason in one line.
 */
export const WEBGPU_NO_SYNC_READ =
  "TF.js's webgpu backend cannot read a tensor synchronously in Node (dataSync goes through OffscreenCanvas, a browser API)";

function dawnOptions(): string[] {
  return (process.env[WEBGPU_OPTIONS_ENV] ?? '').split(/\s+/).filter(Boolean);
}

/** The entry file of an installed package, or null. */
function resolvePackage(name: string): string | null {
  try {
    return createRequire(import.meta.url).resolve(name);
  } catch {
    return null;
  }
}

/** The packages that are missing, as `pnpm add` arguments (empty when both are installed). */
export function missingWebGpuPackages(): string[] {
  return WEBGPU_PACKAGES.filter((p) => resolvePackage(p.slice(0, p.lastIndexOf('@'))) === null);
}

/** The one line for missing packages. */
function missingLine(missing: readonly string[]): string {
  return `${missing.map((p) => p.slice(0, p.lastIndexOf('@'))).join(' and ')} not installed (optional dependencies of @mipjs/bench: pnpm add ${missing.join(' ')})`;
}

// Asks Dawn for an adapter in a child process: Dawn writes why it found none (no Vulkan loader, a
// driver that lacks a feature) to the process's own stderr from C++, where only a parent can read
// it, and a live Dawn instance keeps Node from exiting.
const PROBE = `
const [dawn, options] = process.argv.slice(-2);
const { create } = await import(dawn);
const gpu = create(JSON.parse(options));
const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const i = a?.info;
const s = (v) => (typeof v === 'string' ? v : '');
console.log(JSON.stringify(a ? {
  vendor: s(i?.vendor), architecture: s(i?.architecture), device: s(i?.device),
  description: s(i?.description), fallback: !!(i?.isFallbackAdapter ?? a.isFallbackAdapter),
} : null));
process.exit(0);
`;

/** Dawn's warnings on stderr, one clause each ("Couldn't load Vulkan: libvulkan.so.1: ..."). */
export function dawnReasons(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^(?:Warning|Error): (.*)$/.exec(line.trim());
    if (m?.[1] && !out.includes(m[1].trim())) out.push(m[1].trim());
  }
  return out;
}

/**
 * The adapter Dawn finds on this machine (in a child process, ~0.1 s), or a one-line reason:
 * the packages are missing, or Dawn found no adapter and what it said about it. Without a GPU:
 * `no WebGPU adapter (Dawn: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object
 * file: ...)`; with Mesa's lavapipe: `(Dawn: Vulkan shaderUniform*ArrayDynamicIndexing required.)`.
 */
export function probeWebGpu(): WebGpuProbe {
  const missing = missingWebGpuPackages();
  if (missing.length > 0) return { adapter: null, reason: missingLine(missing) };
  const dawn = resolvePackage('webgpu') as string;
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', PROBE, dawn, JSON.stringify(dawnOptions())],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const said = dawnReasons(r.stderr ?? '');
  const dawnSaid = said.length > 0 ? ` (Dawn: ${said.join('; ')})` : '';
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`;
    return { adapter: null, reason: `the WebGPU probe failed: ${why}${dawnSaid}` };
  }
  const adapter = JSON.parse((r.stdout ?? '').trim().split('\n').pop() || 'null') as WebGpuAdapter | null;
  if (adapter === null)
    return {
      adapter: null,
      reason: `no WebGPU adapter${dawnSaid}: it needs a GPU with a Vulkan driver (Debian: libvulkan1 and the vendor's driver)`,
    };
  return { adapter };
}

/** `vendor architecture device (description)`, the parts the adapter fills in. */
export function adapterName(a: WebGpuAdapter): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}${a.description ? ` (${a.description})` : ''}${a.fallback ? ', software fallback' : ''}`;
}

let adapterInUse: WebGpuAdapter | null = null;

/** The adapter of the webgpu backend once {@link startWebGpu} has set it, or null. */
export function webGpuAdapter(): WebGpuAdapter | null {
  return adapterInUse;
}

/**
 * Starts TF.js's webgpu backend on Dawn and makes it the backend; returns null, or why it could
 * not. `auto` is true for `--backend auto`, which passes webgpu over when the adapter is a
 * software fallback (slower than wasm); `--backend webgpu` takes it anyway. Where a tensor cannot
 * be read synchronously (Node), a `dataSync()` fails with {@link WEBGPU_NO_SYNC_READ} instead of
 * "OffscreenCanvas is not defined".
 *
 * ```ts
 * const why = await startWebGpu(false); // null on a machine with a GPU and a Vulkan driver
 * if (why === null) console.log(tf.getBackend(), adapterName(webGpuAdapter()!)); // 'webgpu', 'nvidia ...'
 * ```
 */
export async function startWebGpu(auto: boolean): Promise<string | null> {
  const missing = missingWebGpuPackages();
  if (missing.length > 0) return missingLine(missing);
  const syncRead = typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined';
  const probe = probeWebGpu();
  if (probe.adapter === null) return probe.reason;
  if (auto && probe.adapter.fallback)
    return `only a software adapter, ${adapterName(probe.adapter)}: slower than wasm (--backend webgpu takes it anyway)`;
  try {
    // Optional dependencies: imported by name at run time, typed loosely.
    const dawn = (await import(/* @vite-ignore */ 'webgpu')) as {
      create(options: string[]): unknown;
      globals: Record<string, unknown>;
    };
    // GPUBufferUsage, GPUMapMode, ... as globals, and navigator.gpu (Node 20 has no navigator):
    // @tensorflow/tfjs-backend-webgpu registers 'webgpu' on import only when navigator.gpu exists.
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create(dawnOptions());
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (g.navigator === undefined)
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    await import(/* @vite-ignore */ '@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    return `the webgpu packages failed to load (${(error as Error).message.split('\n')[0]})`;
  }
  if (!tf.findBackendFactory('webgpu')) return 'the webgpu backend did not register (navigator.gpu missing)';
  try {
    if (!(await tf.setBackend('webgpu'))) return 'the webgpu backend failed to initialise';
  } catch (error) {
    return `the webgpu backend failed to initialise (${(error as Error).message.split('\n')[0]})`;
  }
  if (!syncRead) {
    const backend = tf.backend() as unknown as { readSync(dataId: object): unknown };
    const readSync = backend.readSync.bind(backend);
    backend.readSync = (dataId: object) => {
      try {
        return readSync(dataId);
      } catch (error) {
        if (error instanceof ReferenceError && error.message.includes('OffscreenCanvas'))
          throw new Error(`${WEBGPU_NO_SYNC_READ}: read it with await tensor.data()`);
        throw error;
      }
    };
  }
  adapterInUse = probe.adapter;
  return null;
}
