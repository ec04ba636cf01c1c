/**
 * Prints one plain closing line, `N passed, N failed` (and `, N skipped` when any were), after vitest's own
 * summary, so that any CI can read the result. A run that executed no test counts as failed, and so does a
 * suite whose hook threw: its tests never ran, so they count as failed, not skipped.
 */
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';

/** The counts of the closing line. */
export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts a finished run: a test skipped because an enclosing `beforeAll` threw counts as failed. */
export function summarise(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): Summary {
  const summary: Summary = { passed: 0, failed: 0, skipped: 0 };
  for (const mod of testModules) countSuite(mod, false, summary);
  summary.failed += unhandledErrors.length;
  return summary;
}

/** Counts one suite (or file) into `summary`; returns how many failures it contributed. */
function countSuite(suite: TestSuite | TestModule, ancestorFailed: boolean, summary: Summary): number {
  // errors() holds what threw outside a test: a hook, the file's own import, a syntax error.
  const broken = suite.errors().length > 0 || (suite.type === 'module' && suite.state() === 'failed' && !hasTests(suite));
  const inherited = ancestorFailed || broken;
  let failures = 0;
  for (const child of suite.children) {
    if (child.type === 'suite') failures += countSuite(child, inherited, summary);
    else failures += countTest(child, inherited, summary);
  }
  // A broken suite whose tests all passed (a throwing afterAll) or that had none still fails the run once.
  if (broken && failures === 0) {
    summary.failed++;
    failures++;
  }
  return failures;
}

/** Counts one test into `summary`; returns 1 when it counted as failed. */
function countTest(test: TestCase, ancestorFailed: boolean, summary: Summary): number {
  const state = test.result().state;
  if (state === 'passed') summary.passed++;
  else if (state === 'failed' || ancestorFailed) {
    summary.failed++;
    return 1;
  } else summary.skipped++;
  return 0;
}

function hasTests(suite: TestSuite | TestModule): boolean {
  return !suite.children.allTests().next().done;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const { passed, failed, skipped } = summarise(testModules, unhandledErrors);
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
