/**
 * TF.js backends of the page: WebGL where the browser has it, wasm otherwise (cpu as the last
 * resort). The wasm binaries are served by this site (`tfjs-wasm/`, copied from
 * `@tensorflow/tfjs-backend-wasm/dist` by vite.config.ts), so the page needs no CDN.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

export type BackendName = 'webgl' | 'wasm' | 'cpu';

export const BACKENDS: readonly BackendName[] = ['webgl', 'wasm', 'cpu'];

setWasmPaths(new URL('tfjs-wasm/', document.baseURI).href);

/**
 * Switches TF.js to `name`; false when the browser cannot run it (no WebGL, wasm failed to load).
 * TF.js logs a warning of its own on failure; the caller decides what to show.
 */
export async function useBackend(name: BackendName): Promise<boolean> {
  if (tf.getBackend() === name) return true;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** The first backend of `order` that initialises. */
export async function pickBackend(order: readonly BackendName[]): Promise<BackendName> {
  for (const name of order) if (await useBackend(name)) return name;
  throw new Error(`no TF.js backend could start (tried ${order.join(', ')})`);
}

export const currentBackend = (): string => tf.getBackend();
