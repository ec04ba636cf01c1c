/** Moved to core/node/checkpoint/tensors.ts (below agents and models, which both save networks with it). */
export * from '../../core/node/checkpoint/tensors.js';
