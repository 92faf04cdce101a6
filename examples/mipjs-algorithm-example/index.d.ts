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
/** A package network entry (the bench's `NetworkPlugin`): `create` returns a @mipjs/nets `Network`. */
export interface NetworkEntry {
  readonly kind: string;
  readonly description: string;
  create(options: Record<string, unknown>): unknown;
}
export declare const exampleNetwork: NetworkEntry;
export declare const networks: NetworkEntry[];
/** A package encoder entry (the bench's `EncoderPlugin`): `create` returns a @mipjs/nets `ObsEncoder`. */
export declare const exampleEncoder: NetworkEntry;
export declare const encoders: NetworkEntry[];
/** A package task entry (the bench's `TaskPlugin`): `open` returns a bench `Task`. */
export interface TaskEntry {
  readonly name: string;
  readonly description: string;
  open(): unknown;
}
export declare const exampleTask: TaskEntry;
export declare const tasks: TaskEntry[];
