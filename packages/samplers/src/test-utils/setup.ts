import * as tf from '@tensorflow/tfjs';

/** Selects the cpu backend once per test file. */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Reads a scalar. */
export const value = (x: tf.Tensor) => x.dataSync()[0];

/** |actual - expected| <= tol * max(1, |expected|). */
export function closeTo(actual: number, expected: number, tol = 1e-6): boolean {
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}
