/** Moved to core/node/checkpoint/fs-errors.ts (below agents and models, which both save networks with it). */
export * from '../../core/node/checkpoint/fs-errors.js';
