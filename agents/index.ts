/**
 * rxgym/agents: the algorithms (DQN now), their registry, and the shared loops and run layer they compose.
 * Factories first. Node only (checkpoints write files).
 */
export { dqn, loadDqn, restoreDqn, resolveDqnConfig, tdTargets, dqnLoss, qNetSpec, DQN_DEFAULTS, DQN_CONFIG_KEYS } from './dqn.js';
export type { DqnAgent, DqnConfig, DqnLossScratch } from './dqn.js';
export { reinforce, restoreReinforce, resolveReinforceConfig, reinforceNetSpecs, scoreWeights, categoricalPolicyLoss, gaussianPolicyLoss, valueLoss, gaussianToAction, policyLossScratch, REINFORCE_DEFAULTS, REINFORCE_ENTRY } from './reinforce.js';
export type { ReinforceAgent, ReinforceConfig, PolicyLoss, PolicyLossScratch } from './reinforce.js';
export { ddpg, td3, loadDdpg, restoreDdpg, resolveDdpgConfig, td3Target, criticLoss, concatObsAction, scaleActions, actorGradient, deterministicPolicyGradient, dpgScratch, actorSpec, criticSpec, DDPG_DEFAULTS, TD3_DEFAULTS, DDPG_CONFIG_KEYS } from './ddpg.js';
export type { DdpgAgent, DdpgConfig, DpgScratch } from './ddpg.js';
export { DDPG_ENTRY, TD3_ENTRY } from './td3.js';
export { gaussianNoise, ornsteinUhlenbeckNoise, smoothTargetActions, standardNormal, fillStandardNormal } from './noise.js';
export type { ActionNoise, OrnsteinUhlenbeckOptions } from './noise.js';
export { ALGORITHMS, algorithm, loadAgent, loadPresets, prepareEngines } from './registry.js';
export type { AlgorithmEntry, LoadedAgent, Preset, ProgressField } from './registry.js';
export type { Agent, LearnOptions, LearnProgress, LearnResult, PeriodicHook } from './agent.js';
export { evaluatePolicy, DEFAULT_EVAL_EPISODE_STEPS } from './evaluate.js';
export type { EvaluateOptions, EvaluateResult } from './evaluate.js';
export { resolveConfig, parseIntFlag } from './config.js';
export { ModelBasedAgent, MODEL_BASED_CONFIG_KEYS, MODEL_BASED_DEFAULTS, horizonAt, resolveModelBasedConfig, withWorldModel } from './model-based.js';
export type { ModelBasedConfig, OffPolicyAgent } from './model-based.js';
export { MixedBatches, gatherUniform } from './mixed-batches.js';
export type { MixCounts } from './mixed-batches.js';
export * from './loops/index.js';
export * from './runs/index.js';
