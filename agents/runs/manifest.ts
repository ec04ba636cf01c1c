/** Moved to core/node/checkpoint/manifest.ts (below agents and models, which both save networks with it). */
export * from '../../core/node/checkpoint/manifest.js';
