/**
 * rxgym/node: the Node-only pieces, kept out of the browser-safe entries (`rxgym`, `rxgym/core`, `rxgym/envs`,
 * `rxgym/replay`, `rxgym/nn`): worker-thread vector envs, loading an environment from a module file, replay
 * buffers in folders, and the one atomic file writer and integrity hash behind every file rxgym writes.
 */
export * from './envs/node/index.js';
export * from './replay/node/index.js';
export { writeFileAtomic, sha256 } from './core/node/files.js';
