// Mutation testing (`npm run mutate`): Stryker changes the code under `mutate` one small edit at a time and
// reruns the tests that cover it; a surviving mutant is an edit no test notices. The list is the numerical
// core, where a wrong sign or an off-by-one still trains, just worse: the optimisers, losses and heads of nn/,
// replay's sum tree and sampling, the agents' math (DQN's TD target and loss, the rollout returns and GAE,
// REINFORCE's score weights and losses, DDPG/TD3's target, critic loss, policy gradient and update), and the model
// zoo's losses and likelihoods (the VAE's ELBO and importance-weighted bound, the RBM's free energy, CD update and
// log Z, the GAN's losses, PixelCNN's causal convolutions, the heteroscedastic loss and the ensemble/dropout
// variance split).
// Also the exploration agents (Bootstrapped DQN's priors, per-head masked loss and bootstrap masks, MC dropout's masks
// and spread, the random-tie greedy action, the layered Q-network's sparse forward and backward), the N-env loop's
// stored transitions and training schedule, and the scale-out byte formats (the shared-memory ring, the wire format).
// And model-based training with its world models (MBPO's horizon schedule, refit and rollout rounds, branched
// rollouts, mixed real/imagined batches and the disagreement bonus; the dynamics ensemble's features, targets, member
// sampling, elites' moments and fit schedule; known rewards and terminations; the learned termination's cross-entropy).
//
// Whole files are mutated where all of the file is math (nn/, the sum tree, the zoo's bounds and energies, the
// GAN's losses, PixelCNN's convolutions). Elsewhere only the functions named
// in FUNCTIONS are: their line ranges are computed from the source each run (Babel's parser, the one Stryker
// itself uses), so an edit above a function moves its range with it, and a renamed or removed function stops
// the run with a message saying which name to update. tests/stryker-config.test.ts checks the same.
//
// Equivalent mutants (edits that cannot change any result) carry a `// Stryker disable next-line <mutator>:
// <reason>` comment beside the code. Two known survivors are not equivalent but cannot be tested: in sum-tree.ts's
// checkCapacity, `capacity > 2 ** 30` -> `>=` only differs for a tree of 2^30 leaves, whose 2^31 float64 nodes
// (16 GiB) no test can allocate. Likewise in ring.ts's createRing, `capacity > 2 ** 30` -> `>=` only differs for a
// ring of 1 GiB, which no test allocates on a shared machine.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Files mutated whole. */
const FILES = [
  'nn/optimizers.ts', 'nn/losses.ts', 'nn/heads.ts', 'replay/sum-tree.ts',
  'models/vae-bounds.ts', 'models/rbm-energy.ts', 'models/rbm-log-z.ts',
  'models/gan-losses.ts',
  'models/pixelcnn-conv.ts', 'models/flow-spline.ts', 'models/flow-coupling.ts',
  'models/bayes/predictive.ts',
];

/**
 * Files mutated in part: the functions (top-level functions, consts, or `Class.method`) whose lines are mutated.
 * The rest of these files (configs, snapshots, the agents' plumbing) is covered by the ordinary tests.
 */
export const FUNCTIONS = {
  'replay/prioritized.ts': ['PrioritizedReplayBuffer.sampleInto', 'PrioritizedReplayBuffer.updatePriorities', 'PrioritizedReplayBuffer.setPriority'],
  'replay/replay-buffer.ts': ['ReplayBuffer.sampleInto', 'ReplayBuffer.checkBatch', 'ReplayBuffer.gatherRows', 'gatherVectors'],
  'agents/dqn.ts': ['tdTargets', 'dqnLoss'],
  'agents/loops/rollout.ts': ['discountedReturns', 'gae'],
  // Not valueLoss: it is mseLoss under another name (mutated in nn/losses.ts), and its one mutant, the whole arrow
  // replaced at module load, is static (see ignoreStatic below).
  'agents/reinforce.ts': ['scoreWeights', 'categoricalPolicyLoss', 'gaussianPolicyLoss', 'total', 'gaussianToAction'],
  'agents/ddpg.ts': [
    'td3Target', 'criticLoss', 'concatObsAction', 'scaleActions', 'actorGradient', 'dpgScratch', 'deterministicPolicyGradient', 'Ddpg.update',
  ],
  // The exploration agents: bootstrapped heads with their priors and masks, MC-dropout masks and spread, the
  // random-tie greedy action, and the layered Q-network's sparse first layer, dropout and backward pass.
  'agents/bootstrapped-dqn.ts': ['addPrior', 'headMean', 'headSpread', 'BootstrapEnsemble.headQ', 'BootstrapEnsemble.priorRow', 'BootstrapEnsemble.update'],
  'agents/mc-dropout-dqn.ts': ['fillDropoutMask', 'addMoments', 'spreadFromMoments', 'DropoutQ.update'],
  'agents/thompson-dqn.ts': ['greedyAction'],
  'agents/bootstrap-replay.ts': ['drawBootstrapMasks', 'BootstrapReplay.fillCache', 'BootstrapReplay.gatherCache', 'BootstrapReplay.gatherMasks'],
  'agents/layered-mlp.ts': ['SparseRows.scan', 'LayeredMlp.sparseFirst', 'LayeredMlp.predict', 'LayeredMlp.forward', 'LayeredMlp.backward', 'LayeredMlp.polyakFrom', 'applyMask', 'haikuDense'],
  'agents/exploration.ts': ['checkExploreMode', 'splitExplore', 'exploreConfig', 'presetFor'],
  // The N-env loop's bookkeeping: which observation a transition stores, its flags, and SB3's training schedule.
  'agents/loops/off-policy-vec.ts': ['storeVecStep', 'gradientStepsDue'],
  // Scale-out: the shared-memory ring's records and indices, and the actor/learner wire format.
  'scale/ring.ts': ['ringRecordBytes', 'ringCapacityFor', 'createRing', 'ByteRing.constructor', 'ByteRing.tryWrite', 'ByteRing.takeWakeRequest', 'ByteRing.read', 'ByteRing.sleep'],
  'scale/wire.ts': [
    'pad8', 'Layout.add', 'Layout.offsets', 'writeHeader', 'TransitionWriter.constructor', 'TransitionWriter.reset', 'TransitionWriter.setNextObs',
    'TransitionWriter.addEpisode', 'TransitionWriter.finish', 'encodeRollout', 'encodeWeights', 'decodeMessage', 'writeEpisodes', 'decodeWeights', 'aligned',
  ],
  // The model zoo: each model's objective, gradient and likelihood; its networks, fit loops and checkpoints are not.
  'models/vae.ts': ['Vae.objectiveGradient', 'Vae.objective', 'Vae.encode'],
  'models/rbm.ts': ['Rbm.cdStep', 'Rbm.update', 'Rbm.logProb', 'Rbm.logPartition'],
  'models/bayes/heteroscedastic.ts': ['boundedLogStd', 'boundedLogStdGrad', 'heteroscedasticLoss', 'MixtureAccumulator.add', 'MixtureAccumulator.result'],
  'models/bayes/fit-data.ts': ['columnStats', 'standardise', 'scalingOf'],
  'models/flow-training.ts': ['moveAverage'],
  'models/flow.ts': ['RealNVP.gradient', 'RealNVP.transform', 'RealNVP.inverse', 'RealNVP.logProb', 'RealNVP.run', 'RealNVP.backward'],
  'models/made.ts': ['madeMask', 'MADE.gradient', 'MADE.logProb', 'MADE.nll', 'MADE.rowNll', 'MADE.logDetConstant', 'MADE.standardise'],
  'models/pixelcnn.ts': ['PixelCNN.gradient', 'PixelCNN.logProb'],
  'models/gan.ts': ['Gan.discriminatorStep', 'Gan.generatorStep'],
  'models/gan-penalty.ts': ['act', 'gradientPenalty'],
  'models/bayes/mc-dropout.ts': ['dropoutPrecision', 'McDropout.precision', 'McDropout.logProb', 'McDropout.sample', 'McDropout.components'],
  'models/bayes/ensemble.ts': ['bootstrapMasks', 'DeepEnsemble.predict', 'DeepEnsemble.predictMember', 'DeepEnsemble.priorRaw', 'DeepEnsemble.logProb', 'DeepEnsemble.sample', 'DeepEnsemble.components'],
  // Model-based training and the world models: the horizon schedule, when refits and rollouts run, the model replay's
  // size, the reward and termination choice, the rollout policy, the mixed batches and the disagreement bonus; the
  // ensemble's features, targets, member sampling, elites' moments and fit schedule; known rewards and terminations.
  'agents/model-based-config.ts': ['horizonAt'],
  'agents/model-based.ts': [
    'terminationFor', 'rewardFor', 'firstFitStep', 'refitDue', 'rolloutDue', 'imaginedCapacity', 'eliteMse', 'actorToActions',
    'addRolloutNoise', 'roundsPerRefit', 'ModelBasedAgent.imagine',
  ],
  // The CEM planner: sampling, elite selection, the Gaussian refit, the warm start, the discounted returns, the plan
  // loop, the critic's terminal value, and the noiseless transitions ('mean', 'member-mean').
  'agents/planner.ts': [
    'sampleCandidates', 'topK', 'refitToElites', 'shiftPlan', 'addStepReturns', 'CemPlanner.plan', 'CemPlanner.score', 'CemPlanner.meanStep', 'resolvePlannerConfig',
    'predictsMean', 'NoiselessRng.normal', 'setCandidate',
  ],
  // The actor's sequence through the model's mean (planner.actorCandidate).
  'agents/planner-proposal.ts': ['actorSequence'],
  'agents/mixed-batches.ts': ['gatherUniform', 'realRowCount', 'addBonus', 'MixedBatches.sampleInto'],
  'models/world/dynamics-math.ts': [
    'inputFeatures', 'deltaTargets', 'standardiseInPlace', 'groupByMember', 'sampleMemberRows', 'addEliteMeans', 'stateDisagreement', 'terminationFeatures',
  ],
  'models/world/dynamics.ts': [
    'EnsembleDynamics.startRollouts', 'EnsembleDynamics.step', 'EnsembleDynamics.disagreement', 'EnsembleDynamics.predictMean',
    'EnsembleDynamics.eliteMoments', 'EnsembleDynamics.standardisedInputs',
  ],
  'models/world/dynamics-fit.ts': ['holdoutCount', 'bootstrapRows', 'epochBudget', 'keepTraining', 'improvedEnough', 'rankElites', 'checkRowsOf', 'gatherRows', 'holdoutMse'],
  'models/world/known-rewards.ts': ['pendulumReward'],
  'models/world/known-terminations.ts': ['cartPoleTermination', 'mountainCarTermination', 'neverTerminates'],
  'models/world/termination.ts': ['softplus', 'bceWithLogits', 'TerminationClassifier.trainStep', 'TerminationClassifier.fit', 'TerminationClassifier.predict'],
};

/** Babel's parser, reached through Stryker's own dependencies (core -> instrumenter -> @babel/parser). */
function babelParser() {
  const fromHere = createRequire(import.meta.url);
  const fromCore = createRequire(fromHere.resolve('@stryker-mutator/core'));
  const fromInstrumenter = createRequire(fromCore.resolve('@stryker-mutator/instrumenter'));
  return fromInstrumenter('@babel/parser');
}

/** Every named function of a module's top level: functions, `const f = ...` and class methods (as `Class.method`). */
function declarations(program) {
  const found = [];
  const add = (name, node) => found.push({ name, start: node.loc.start.line, end: node.loc.end.line });
  for (const statement of program.body) {
    const node = statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
    if (!node) continue;
    if (node.type === 'FunctionDeclaration' && node.id) add(node.id.name, node);
    if (node.type === 'VariableDeclaration') {
      for (const d of node.declarations) if (d.id.type === 'Identifier') add(d.id.name, node.declarations.length === 1 ? statement : d);
    }
    if (node.type === 'ClassDeclaration' && node.id) {
      for (const member of node.body.body) {
        if ((member.type === 'ClassMethod' || member.type === 'ClassPrivateMethod') && member.key.type === 'Identifier') {
          add(`${node.id.name}.${member.key.name}`, member);
        }
      }
    }
  }
  return found;
}

/**
 * The 1-based inclusive line range of each named function of `file` (relative to this config), in the order given.
 * Throws naming the function when it is missing or ambiguous.
 */
export function functionRanges(file, names) {
  const source = readFileSync(new URL(file, import.meta.url), 'utf8');
  const ast = babelParser().parse(source, { sourceType: 'module', plugins: ['typescript'] });
  const all = declarations(ast.program);
  return names.map((name) => {
    const matches = all.filter((d) => d.name === name);
    if (matches.length !== 1) {
      throw new Error(
        `stryker.config.mjs: expected one function ${name} in ${file}, found ${matches.length}: update FUNCTIONS to the file's current names (Class.method for methods).`,
      );
    }
    return matches[0];
  });
}

/** `mutate` entries: whole files, then `file:start-end` for each listed function. */
export function mutateEntries() {
  const ranges = Object.entries(FUNCTIONS).flatMap(([file, names]) => functionRanges(file, names).map((r) => `${file}:${r.start}-${r.end}`));
  return [...FILES, ...ranges];
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' },
  // Stryker rewrites a tsconfig's extends/references for its sandbox through TypeScript's JavaScript API, which
  // TypeScript 7 no longer has; ours has neither, so point it at no file and skip the rewrite.
  tsconfigFile: 'no-tsconfig-to-rewrite.json',
  // Only the fast tests written for these functions: the whole suite (learning runs, CLI, envs) takes minutes per
  // dry run and adds nothing here, and a module's own tests should kill its mutants.
  testFiles: [
    'tests/nn/optimizers.test.ts',
    'tests/nn/losses.test.ts',
    'tests/nn/heads.test.ts',
    'tests/replay/sum-tree.test.ts',
    'tests/replay/prioritized.test.ts',
    'tests/replay/replay-buffer.test.ts',
    'tests/agents/dqn-math.test.ts',
    'tests/agents/loops/rollout.test.ts',
    'tests/agents/reinforce-math.test.ts',
    'tests/agents/ddpg-math.test.ts',
    'tests/agents/td3-math.test.ts',
    'tests/agents/bootstrapped-dqn-math.test.ts',
    'tests/agents/mc-dropout-dqn-math.test.ts',
    'tests/agents/thompson-dqn-math.test.ts',
    'tests/agents/layered-mlp-math.test.ts',
    'tests/agents/exploration-math.test.ts',
    'tests/agents/off-policy-vec-math.test.ts',
    'tests/scale/ring-math.test.ts',
    'tests/scale/wire-math.test.ts',
    'tests/models/vae-math.test.ts',
    'tests/models/rbm-math.test.ts',
    'tests/models/heteroscedastic-math.test.ts',
    'tests/models/flow-math.test.ts',
    'tests/models/flow-spline-math.test.ts',
    'tests/models/made-math.test.ts',
    'tests/models/pixelcnn-math.test.ts',
    'tests/models/pixelcnn-conv-math.test.ts',
    'tests/models/bayes-math.test.ts',
    'tests/models/predictive-math.test.ts',
    'tests/models/gan-math.test.ts',
    'tests/models/gan-losses-math.test.ts',
    'tests/agents/model-based-math.test.ts',
    'tests/agents/planner-math.test.ts',
    'tests/models/world/dynamics-math.test.ts',
    'tests/models/world/ensemble-math.test.ts',
  ],
  mutate: mutateEntries(),
  // Each mutant runs only the tests that execute it.
  coverageAnalysis: 'perTest',
  // A mutant also reached outside any test (module load, hooks) is "static": Stryker would rerun every test file for
  // it, which made a run take twice as long (over a hundred of the optimisers' mutants, reached from hooks too). With
  // ignoreStatic those still run, against the tests that reach them; only mutants reached at module load alone
  // (none in the functions listed here) are left out.
  ignoreStatic: true,
  // Top-level output directories only (leading slash): a bare 'runs' also dropped agents/runs/ from the sandbox,
  // so every test importing an agent failed to load and Stryker reported its mutants as not covered.
  ignorePatterns: ['/runs', '/dist', '/coverage', '/.scratch', '/reports'],
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false },
  thresholds: { high: 90, low: 80, break: 80 },
  // `npx stryker run --incremental` reruns only the mutants and tests that changed since the last run.
  incrementalFile: 'reports/mutation/stryker-incremental.json',
};
