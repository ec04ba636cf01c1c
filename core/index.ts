/** rxgym/core: spaces, the Env contract, errors, seeded random numbers, scenes and rx streams. */
export * from './errors.js';
export * from './rng.js';
export * from './spaces.js';
export * from './scene.js';
export * from './env.js';
export * from './schedules.js';
export * from './streams.js';
export * from './operators/index.js';
export * from './math.js';
