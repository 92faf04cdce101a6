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
