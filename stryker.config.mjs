// Mutation testing (`npm run mutate`): Stryker changes the code under `mutate` one small edit at a time and
// reruns the tests that cover it; a surviving mutant is an edit no test notices. The list is the numerical
// core, where a wrong sign or an off-by-one still trains, just worse: the optimisers, losses and heads of nn/,
// and replay's sum tree and sampling.
//
// The agents' target and loss functions are to be added to `mutate` (and their tests to `testFiles`) by the
// people who move them out of the agent files.
//
// Line ranges (`file:start-end`) keep replay's snapshot and file code out: they must be updated when those
// files are edited above the ranges (prioritized.ts: sampleInto, updatePriorities, setPriority;
// replay-buffer.ts: sampleInto, checkBatch, gatherRows, gatherVectors).
//
// Equivalent mutants (edits that cannot change any result) carry a `// Stryker disable next-line <mutator>:
// <reason>` comment beside the code.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' },
  // Stryker rewrites a tsconfig's extends/references for its sandbox through TypeScript's JavaScript API, which
  // TypeScript 7 no longer has; ours has neither, so point it at no file and skip the rewrite.
  tsconfigFile: 'no-tsconfig-to-rewrite.json',
  // Only the tests written for these files: the whole suite (agents, CLI, envs) takes minutes per dry run and
  // adds nothing here, and a module's own tests should kill its mutants.
  testFiles: [
    'tests/nn/optimizers.test.ts',
    'tests/nn/losses.test.ts',
    'tests/nn/heads.test.ts',
    'tests/replay/sum-tree.test.ts',
    'tests/replay/prioritized.test.ts',
    'tests/replay/replay-buffer.test.ts',
  ],
  mutate: [
    'nn/optimizers.ts',
    'nn/losses.ts',
    'nn/heads.ts',
    'replay/sum-tree.ts',
    'replay/prioritized.ts:108-158',
    'replay/prioritized.ts:217-220',
    'replay/replay-buffer.ts:292-298',
    'replay/replay-buffer.ts:389-429',
    'replay/replay-buffer.ts:480-486',
  ],
  // Each mutant runs only the tests that execute it.
  coverageAnalysis: 'perTest',
  ignorePatterns: ['runs', 'dist', 'coverage', '.scratch', 'reports'],
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false },
  thresholds: { high: 90, low: 80, break: 80 },
  // `npx stryker run --incremental` reruns only the mutants and tests that changed since the last run.
  incrementalFile: 'reports/mutation/stryker-incremental.json',
};
