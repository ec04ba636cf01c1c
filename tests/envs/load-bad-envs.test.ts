/**
 * A custom env loaded by module path that breaks the env contract: the error names the env and the method in
 * one line (no `core/streams.ts:236` TypeError), through `loadEnv` + `steps$` and through `rxgym train`.
 * Module envs get `make()`'s PassiveEnvChecker, so a bad observation reads as it does for a registered env.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../cli/commands/train.js';
import { InvalidObservation, InvalidSpace, RxgymError } from '../../core/errors.js';
import { box, explainNotContained } from '../../core/spaces.js';
import { steps$ } from '../../core/streams.js';
import { checkEnv } from '../../envs/checker.js';
import { loadEnv } from '../../envs/load.js';
import { PassiveEnvChecker } from '../../envs/wrappers/passive-checker.js';
import { TimeLimit } from '../../envs/wrappers/time-limit.js';
import { TINY_DQN, sink } from '../cli/helpers.js';

const FIXTURES = './tests/fixtures/bad-envs.ts';
let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'rxgym-bad-envs-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

/** Runs `Export` from the fixtures with a constant action until `maxSteps`, returning the error it ends with. */
async function runError(exportName: string, maxSteps = 20): Promise<Error> {
  const env = await loadEnv(`${FIXTURES}:${exportName}`);
  try {
    await lastValueFrom(steps$(env, () => 1, { seed: 0, maxSteps }).pipe(toArray()));
  } catch (err) {
    return err as Error;
  }
  throw new Error(`expected ${exportName} to fail`);
}

/** `rxgym train dqn <module env>` for a few hundred steps, returning the error it ends with. */
async function trainError(exportName: string): Promise<Error> {
  try {
    await trainCommand('dqn', `${FIXTURES}:${exportName}`, { steps: 300, set: TINY_DQN, out, plain: true, evalEpisodes: 0 }, { stdout: sink(), stderr: sink() });
  } catch (err) {
    return err as Error;
  }
  throw new Error(`expected training on ${exportName} to fail`);
}

describe('loadEnv on a module env', () => {
  it("wraps it in make()'s PassiveEnvChecker, and in a TimeLimit when asked", async () => {
    const env = await loadEnv(`${FIXTURES}:GoodEnv`);
    expect(env).toBeInstanceOf(PassiveEnvChecker);
    expect(env.unwrapped.constructor.name).toBe('GoodEnv');
    const limited = await loadEnv(`${FIXTURES}:GoodEnv`, {}, { maxEpisodeSteps: 3 });
    expect(limited).toBeInstanceOf(TimeLimit);
    const xs = await lastValueFrom(steps$(limited, () => 0, { seed: 1, maxEpisodes: 1 }).pipe(toArray()));
    expect(xs.map((x) => x.truncated)).toEqual([false, false, true]);
    expect(await loadEnv(`${FIXTURES}:GoodEnv`, {}, { disableEnvChecker: true })).not.toBeInstanceOf(PassiveEnvChecker);
  });

  it.each([
    ['NullActionSpace', 'null'],
    ['NumberActionSpace', '2'],
  ])('refuses %s at load with InvalidSpace naming the env and the space', async (name, got) => {
    const loading = loadEnv(`${FIXTURES}:${name}`);
    await expect(loading).rejects.toBeInstanceOf(InvalidSpace);
    await expect(loading).rejects.toThrow(`Expected ${name}.actionSpace to be a space (discrete(n), box({ low, high, shape }), ... from rxgym/core), got ${got}.`);
  });
});

describe('steps$ on a module env that breaks the contract', () => {
  it('reset() returning undefined: one line naming the env and reset()', async () => {
    const err = await runError('NullReset');
    expect(err).toBeInstanceOf(InvalidObservation);
    expect(err.message).toBe('NullReset: Expected reset() to return { obs, info }, got undefined.'); // the passive checker's first-reset check
    // A later reset gets past that check; steps$ itself names the env and the method.
    const later = await runError('LaterNullReset');
    expect(later).toBeInstanceOf(InvalidObservation);
    expect(later.message).toBe('Expected LaterNullReset.reset() to return { obs, info }, got undefined.');
  });

  it('step() throwing: one line naming the env and step(), the original error as cause', async () => {
    const err = await runError('ThrowingStep');
    expect(err).toBeInstanceOf(RxgymError);
    expect(err.message).toBe('ThrowingStep.step() threw: the physics engine exploded');
    expect((err.cause as Error).message).toBe('the physics engine exploded');
  });

  it('step() returning undefined: one line naming the env and step()', async () => {
    // The passive checker names the env and what step() should return.
    const err = await runError('NullStep');
    expect(err).toBeInstanceOf(InvalidObservation);
    expect(err.message).toBe('NullStep: Expected step() to return { obs, reward, terminated, truncated, info }, got undefined.');
    expect(err.message).not.toContain('\n');
    const unchecked = await loadEnv(`${FIXTURES}:NullStep`, {}, { disableEnvChecker: true });
    await expect(lastValueFrom(steps$(unchecked, () => 1, { seed: 0 }))).rejects.toThrow(
      new InvalidObservation('Expected NullStep.step() to return { obs, reward, terminated, truncated, info }, got undefined.'),
    );
  });

  it('an observation outside the observation space: the reason check-env gives, named as for a registered env', async () => {
    const why = explainNotContained(box({ low: 0, high: 1, shape: [1] }), Float32Array.of(3))!;
    const report = checkEnv(await loadEnv(`${FIXTURES}:ObsOutsideSpace`, {}, { disableEnvChecker: true }));
    expect(report.checks.find((c) => c.name === 'step obs is inside the observation space')!.message).toBe(`From step() at step 1: ${why}`);
    const err = await runError('ObsOutsideSpace');
    expect(err).toBeInstanceOf(InvalidObservation);
    expect(err.message).toBe(`ObsOutsideSpace: step() returned an observation outside the observation space. ${why}`);
  });
});

describe('rxgym train on a module env that breaks the contract', () => {
  it.each([
    ['NullReset', /^NullReset: Expected reset\(\) to return \{ obs, info \}, got undefined\.$/],
    ['LaterNullReset', /^Expected LaterNullReset\.reset\(\) to return \{ obs, info \}, got undefined\.$/],
    ['ThrowingStep', /^ThrowingStep\.step\(\) threw: the physics engine exploded$/],
    ['ObsOutsideSpace', /^ObsOutsideSpace: step\(\) returned an observation outside the observation space\. /],
    ['NullActionSpace', /^Expected NullActionSpace\.actionSpace to be a space .*, got null\.$/],
    ['NumberActionSpace', /^Expected NumberActionSpace\.actionSpace to be a space .*, got 2\.$/],
  ])('%s: a typed error of one line naming the env and the method', async (name, message) => {
    const err = await trainError(name);
    expect(err).toBeInstanceOf(RxgymError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
  });
});
