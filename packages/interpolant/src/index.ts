export { broadcastTime, Interpolant } from './interpolant.js';
export { RandomStream } from './random-stream.js';
export {
  linearSchedule,
  type Schedule,
  type ScheduleName,
  scheduleByName,
  schedules,
  trigSchedule,
} from './schedule.js';
export {
  clampTimePair,
  intermediateTime,
  type LogitNormalOptions,
  type LogitNormalPairOptions,
  sampleLogitNormalTime,
  sampleLogitNormalTimePair,
  sampleTimePair,
  sampleUniformTime,
  type TimePair,
} from './time-draws.js';
export { WarmupAnnealing, type WarmupAnnealingOptions } from './warmup-annealing.js';
