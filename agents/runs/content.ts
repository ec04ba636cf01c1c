/** Moved to core/node/checkpoint/content.ts (below agents and models, which both save networks with it). */
export * from '../../core/node/checkpoint/content.js';
