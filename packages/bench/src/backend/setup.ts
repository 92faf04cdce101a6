import {
  installFastMatMulGradient,
  installFastWasmKernels,
  installHigherOrderGradientFix,
} from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, type ConcreteBackend, setupBackend } from './backend.js';

/**
 * Chooses the backend and installs the gradient re-registrations of @mipjs/nets: the fast MatMul
 * gradient (4-7x faster wasm training) and the higher-order fix that makes JVP-loss gradients
 * exact; on wasm also the faster Identity / Cast / Transpose / Sum kernels. The fix is installed
 * for every algorithm, not only the JVP ones: TF.js's gradient registry is global, and one
 * process (a sweep worker) may run several algorithms, so installing it always keeps the numbers
 * of a run independent of what ran before it in the same process.
 */
export async function prepareBackend(
  requested: BackendName,
  log: (line: string) => void = () => {},
): Promise<ConcreteBackend> {
  // TF.js's production flag (tf.enableProdMode) silences its warnings, among them the cpu
  // backend's "Hi, looks like you are running TensorFlow.js in Node.js" banner: setupBackend
  // says what it chose in mip.js's own line instead (backendLine).
  tf.enableProdMode();
  const { backend } = await setupBackend(requested, log);
  installFastMatMulGradient();
  installHigherOrderGradientFix();
  if (backend === 'wasm') installFastWasmKernels();
  return backend;
}
