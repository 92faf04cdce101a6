import type { LossFn } from '@mipjs/losses';
import type { Sampler } from '@mipjs/samplers';

export interface WeightedFlowOptions {
  lossScale?: number;
  gamma?: number;
  norm?: 'l2' | 'l1' | 'smooth_l1';
}
export declare const weightedFlowLoss: LossFn<WeightedFlowOptions>;
export declare const weightedFlow: {
  name: string;
  loss: LossFn<WeightedFlowOptions>;
  sampler: Sampler;
  defaultSteps: number[];
  description: string;
};
export declare const algorithms: (typeof weightedFlow)[];
export default algorithms;
/** The shape of @mipjs/interpolant's `Schedule` (written out: this package does not depend on it). */
export interface ScheduleLike {
  readonly name: string;
  alpha(t: import('@tensorflow/tfjs-core').Tensor): import('@tensorflow/tfjs-core').Tensor;
  beta(t: import('@tensorflow/tfjs-core').Tensor): import('@tensorflow/tfjs-core').Tensor;
  alphaDot(t: import('@tensorflow/tfjs-core').Tensor): import('@tensorflow/tfjs-core').Tensor;
  betaDot(t: import('@tensorflow/tfjs-core').Tensor): import('@tensorflow/tfjs-core').Tensor;
}
export declare const quadraticSchedule: ScheduleLike;
export declare const schedules: ScheduleLike[];
