/** Moved to core/node/checkpoint/checkpoint.ts (below agents and models, which both save networks with it). */
export * from '../../core/node/checkpoint/checkpoint.js';
