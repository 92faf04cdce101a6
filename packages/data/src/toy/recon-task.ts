import { primeSinusoids, type ToyTask, type ToyWeighting } from './toy-task.js';

/**
 * `recon`: 1-D output with K = 3, `f(c) = sin(2c + 0.3) + cos(5c + 0.7) + sin(11c + 1.3)`; the
 * plain reconstruction task of the toy study.
 */
export function createReconTask(options: { weighting?: ToyWeighting } = {}): ToyTask {
  const f = primeSinusoids(1, 3, options.weighting);
  return { name: 'recon', dim: 1, target: f };
}
