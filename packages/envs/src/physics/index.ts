export {
  benchControlSteps,
  type ErrorStats,
  errorStats,
  measurePhysics,
  type PhysicsMeasurement,
  type PushTRecording,
  replayAgent,
  replayOpenLoop,
} from './validate.js';
export { controlStep, PUSHT_PHYSICS, type PushTContact, type PushTPair, PushTWorld } from './world.js';
