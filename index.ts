/**
 * rxgym: environments, streams and replay. Agents (which load TensorFlow.js) are in `rxgym/agents`,
 * renderers in `rxgym/render`, the conformance test helper in `rxgym/testing`.
 */
export * from './core/index.js';
export * from './envs/index.js';
export * from './replay/index.js';
