export {};
export * from './physics/index.js';
