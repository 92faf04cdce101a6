import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { oversubscription, requestedWasmThreads, WASM_THREADS_ENV } from './wasm-threads.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

// Each backend start needs its own process: the wasm module is initialised once per process.
// The child computes a matMul and the gradients of a small ReLU MLP from fixed values, and
// prints the thread count, a digest of the result bytes and whether the start-up patches were
// undone.
const CHILD = `
import { createHash } from 'node:crypto';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
const cpusBefore = os.cpus().length;
const createObjectURL = URL.createObjectURL;
const { setupBackend, wasmThreads } = await import(${JSON.stringify(`${DIST}backend/backend.js`)});
await setupBackend('wasm');
const fill = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + k));
const x = tf.tensor2d(fill(256 * 300, 1), [256, 300]);
const w1 = tf.tensor2d(fill(300 * 512, 2), [300, 512]);
const w2 = tf.tensor2d(fill(512 * 64, 3), [512, 64]);
const loss = (a, b) => tf.sum(tf.square(tf.matMul(tf.relu(tf.matMul(x, a)), b)));
const [g1, g2] = tf.grads(loss)([w1, w2]);
const hash = createHash('sha256');
for (const t of [tf.matMul(x, w1), g1, g2]) hash.update(Buffer.from(t.dataSync().buffer));
console.log(JSON.stringify({
  threads: wasmThreads(),
  digest: hash.digest('hex'),
  restored: os.cpus().length === cpusBefore && URL.createObjectURL === createObjectURL,
}));
process.exit(0);
`;

function runChild(threads: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, [WASM_THREADS_ENV]: threads },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('multi-threaded wasm in Node', () => {
  it('starts the threaded build and computes bit-identical products and gradients', () => {
    const one = runChild('1');
    const two = runChild('2');
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    const a = JSON.parse(one.stdout.trim().split('\n').at(-1)!);
    const b = JSON.parse(two.stdout.trim().split('\n').at(-1)!);
    expect(a.threads).toBe(1);
    expect(b.threads).toBe(2);
    expect(b.digest).toBe(a.digest);
    expect(b.restored).toBe(true);
  });

  it('reads the thread count from MIPJS_WASM_THREADS, one per core by default', () => {
    expect(requestedWasmThreads({ [WASM_THREADS_ENV]: '3' })).toBe(3);
    expect(requestedWasmThreads({})).toBeGreaterThanOrEqual(1);
    expect(() => requestedWasmThreads({ [WASM_THREADS_ENV]: '0' })).toThrow(
      /MIPJS_WASM_THREADS=0: expected a positive integer/,
    );
    expect(() => requestedWasmThreads({ [WASM_THREADS_ENV]: 'two' })).toThrow(/MIPJS_WASM_THREADS=two/);
  });
});

describe('oversubscription', () => {
  it('warns when the workers ask for more wasm threads than there are cores', () => {
    expect(oversubscription(2, 1, 2)).toBeNull();
    expect(oversubscription(1, 2, 2)).toBeNull();
    expect(oversubscription(4, 2, 8)).toBeNull();
    expect(oversubscription(2, 2, 2)).toBe(
      'warning: 2 workers x 2 wasm threads on 2 cores: a thread pool that waits for a busy core is much slower than one thread; consider --threads 1',
    );
  });
});
