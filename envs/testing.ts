/**
 * rxgym/testing: the environment conformance suite in one line of a vitest file.
 *
 * ```ts
 * import { testEnvConformance } from 'rxgym/testing';
 * testEnvConformance('MyEnv', () => new MyEnv());
 * ```
 * defines a `describe('MyEnv conformance')` block with one test per check of `checkEnv` (see `ENV_CHECKS`).
 */
import { describe, expect, it } from 'vitest';
import type { AnyEnv } from '../core/env.js';
import { ENV_CHECKS, checkEnv, type CheckEnvOptions, type EnvCheckReport } from './checker.js';

export { ENV_CHECKS, assertEnvOk, checkEnv, type CheckEnvOptions, type EnvCheck, type EnvCheckReport } from './checker.js';

/** Defines one vitest test per environment check, run on a fresh env from `factory` (checked once, lazily). */
export function testEnvConformance(name: string, factory: () => AnyEnv, options: CheckEnvOptions = {}): void {
  let report: EnvCheckReport | undefined;
  const get = (): EnvCheckReport => (report ??= checkEnv(factory(), options));
  describe(`${name} conformance`, () => {
    for (const check of ENV_CHECKS) {
      it(check, () => {
        const c = get().checks.find((x) => x.name === check)!;
        expect(c.ok, c.message).toBe(true);
      });
    }
  });
}
