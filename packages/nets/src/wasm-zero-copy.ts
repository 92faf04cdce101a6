import * as tf from '@tensorflow/tfjs-core';

/** The parts of TF.js's wasm backend these kernels use (reference-counted buffers). */
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

let installed = false;

/**
 * Makes the wasm backend's Identity and same-dtype Cast share their input's buffer instead of
 * copying it.
 *
 * Why: TF.js 4.22's wasm Identity and Cast always copy. The engine clones every tensor a kernel
 * saves for its gradient (`saveTensorsForBackwardMode` is `keep(clone(x))`), and stock gradients
 * cast float32 to float32, so one W512 MLP train step made ~640 full copies of activations and
 * weights (~60 ms, and a second heap copy of everything saved for the backward pass). The
 * replacements take a reference instead, exactly as the cpu backend's kernels do. That is safe
 * because TF.js tensors are immutable: no wasm kernel writes into an input, and
 * `Variable.assign` swaps the variable's buffer rather than overwriting it.
 *
 * Call once after `@tensorflow/tfjs-backend-wasm` is imported (it registers the kernels this
 * replaces). Idempotent; returns false (and changes nothing) when the wasm kernels are not
 * registered.
 */
export function installWasmZeroCopyKernels(): boolean {
  if (installed) return true;
  const identity = tf.getKernel('Identity', 'wasm');
  const cast = tf.getKernel('Cast', 'wasm');
  if (!identity || !cast) return false;
  installed = true;

  const share = ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const x = inputs.x as tf.TensorInfo;
    (backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };

  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    // Strings live outside the heap; the stock kernel handles them.
    kernelFunc: (args) =>
      (args.inputs.x as tf.TensorInfo).dtype === 'string' ? identity.kernelFunc(args) : share(args),
  });
  tf.unregisterKernel('Cast', 'wasm');
  tf.registerKernel({
    kernelName: 'Cast',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const to = args.attrs?.dtype;
      return (args.inputs.x as tf.TensorInfo).dtype === to && to !== 'string'
        ? share(args)
        : cast.kernelFunc(args);
    },
  });
  return true;
}
