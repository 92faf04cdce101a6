export { controlStep, PUSHT_PHYSICS, type PushTContact, type PushTPair, PushTWorld } from './world.js';
