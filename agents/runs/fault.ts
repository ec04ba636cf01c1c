/** Moved to core/node/checkpoint/fault.ts (below agents and models, which both save networks with it). */
export * from '../../core/node/checkpoint/fault.js';
