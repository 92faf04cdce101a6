// The optional WebGPU backend with the real packages and Dawn's real adapter search: on a machine
// without a GPU (CI, these 2-core boxes: no libvulkan1) the missing-adapter path gives one line
// that says what Dawn said; Dawn's null device (no GPU needed: commands run, nothing is computed)
// checks the wiring: the backend registers and starts, auto takes it, a synchronous read fails
// with mip.js's one line instead of "OffscreenCanvas is not defined". That the trainer and the
// evaluations read only asynchronously is checked on a cpu backend without synchronous reads
// (async-reads.test.ts): Dawn's null device aborts at random inside a training run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, setupBackend } from './backend.js';
import {
  dawnReasons,
  missingWebGpuPackages,
  probeWebGpu,
  WEBGPU_NO_SYNC_READ,
  WEBGPU_OPTIONS_ENV,
} from './webgpu.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const installed = missingWebGpuPackages().length === 0;
const probe = installed ? probeWebGpu() : null;
const hasAdapter = probe?.adapter != null;
if (!installed) console.log(`webgpu tests skipped: ${missingWebGpuPackages().join(', ')} not installed`);
if (hasAdapter) console.log('webgpu missing-adapter test skipped: this machine has a WebGPU adapter');

describe('dawnReasons', () => {
  it("keeps the first line of each of Dawn's warnings, without its source locations", () => {
    // Dawn 0.6.2's stderr without libvulkan1, and with Mesa's lavapipe (Debian 12).
    const noVulkan =
      "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n" +
      '    at operator() (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)\n';
    const lavapipe =
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n' +
      ' - While initializing adapter (backend=BackendType::Vulkan)\n' +
      '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)\n';
    expect(dawnReasons(noVulkan)).toEqual([
      "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory",
    ]);
    expect(dawnReasons(lavapipe + lavapipe)).toEqual(['Vulkan shaderUniform*ArrayDynamicIndexing required.']);
    expect(dawnReasons('')).toEqual([]);
  });
});

describe.skipIf(!installed || hasAdapter)('--backend webgpu without a GPU adapter', () => {
  it("is one line that says what Dawn found, and setupBackend('webgpu') refuses with it", async () => {
    if (probe === null || probe.adapter !== null) throw new Error('unreachable');
    expect(probe.reason).toMatch(/^no WebGPU adapter/);
    expect(probe.reason).toContain('Vulkan');
    expect(probe.reason).not.toContain('\n');
    const refused = await setupBackend('webgpu').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackendUnavailableError);
    expect((refused as Error).message).toBe(`backend 'webgpu' is not available: ${probe.reason}.`);
  }, 60_000);
});

// One process per start: TF.js backends and Dawn's instance live for the process.
const CHILD = `
import * as tf from '@tensorflow/tfjs';
const { setupBackend } = await import(${JSON.stringify(`${DIST}backend/backend.js`)});
const { webGpuAdapter } = await import(${JSON.stringify(`${DIST}backend/webgpu.js`)});
const out = {};
const auto = await setupBackend('auto');
out.auto = auto.backend;
out.autoWhy = auto.tried.find((t) => t.startsWith('webgpu: '));
await setupBackend('webgpu');
out.backend = tf.getBackend();
out.device = webGpuAdapter()?.device;
tf.env().set('WEBGPU_CPU_FORWARD', false);
const a = tf.ones([64, 64]);
const y = tf.matMul(a, a);
out.asyncLength = (await y.data()).length;
try {
  // A fresh result (a read caches the values on the CPU, and dataSync would return those).
  tf.matMul(a, a).dataSync();
  out.sync = 'read';
} catch (e) {
  out.sync = e.message;
}
console.log(JSON.stringify(out));
process.exit(0);
`;

describe.skipIf(!installed)("the webgpu backend on Dawn's null device", () => {
  it('starts by name, is taken by auto, reads asynchronously and refuses dataSync in one line', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, [WEBGPU_OPTIONS_ENV]: 'backend=null' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    // auto reaches webgpu only when the native bindings are not installed (this machine, CI).
    if (out.auto === 'tensorflow-gpu' || out.auto === 'tensorflow') expect(out.autoWhy).toBeUndefined();
    else {
      expect(out.auto).toBe('webgpu');
      expect(out.autoWhy).toBeUndefined();
    }
    expect(out.backend).toBe('webgpu');
    expect(out.device).toBe('null-backend');
    expect(out.asyncLength).toBe(64 * 64);
    expect(out.sync).toBe(`${WEBGPU_NO_SYNC_READ}: read it with await tensor.data()`);
  }, 150_000);
});
