/** rxgym: environments, streams, replay and agents. */
export * from './core/index.js';
