// vitest setupFiles: TF.js's production flag (tf.enableProdMode), as the bench's prepareBackend sets
// it, so that the cpu backend's "Hi, looks like you are running TensorFlow.js in Node.js" banner is
// not printed once per test file. In TF.js 4.22 the flag gates only its console warnings.
import { enableProdMode } from '@tensorflow/tfjs-core';

enableProdMode();
