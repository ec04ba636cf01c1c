import { describe, expect, it } from 'vitest';
import type { ResetArgs, ResetResult, StepResult } from '../../core/env.js';
import { EnvCheckFailed } from '../../core/errors.js';
import { box } from '../../core/spaces.js';
import '../../envs/builtin.js';
import { ENV_CHECKS, assertEnvOk, checkEnv, type EnvCheckReport } from '../../envs/checker.js';
import { make } from '../../envs/registry.js';
import { testEnvConformance } from '../../envs/testing.js';
import { FrameStack, NormalizeObservation, TimeLimit } from '../../envs/wrappers/index.js';
import { BrokenEnv, CounterEnv, ThrowingEnv, WalkEnv, type Faults } from '../fixtures/walk-env.js';

// The one-line helper a user puts in their own test file.
testEnvConformance('WalkEnv', () => new WalkEnv());
testEnvConformance('CartPole-v1 via make()', () => make('CartPole-v1'));
testEnvConformance('TimeLimit(FrameStack(WalkEnv))', () => new TimeLimit(new FrameStack(new WalkEnv(), 3), 30));

/** WalkEnv whose steps from the third on give a non-finite reward or first observation; `wild` ignores the seed. */
class NanEnv extends WalkEnv {
  private runs = 0;
  constructor(private readonly nan: { reward?: number; obs?: number; wild?: boolean }) {
    super();
  }
  override reset(args?: ResetArgs): ResetResult<Float32Array> {
    const r = super.reset(this.nan.wild ? { seed: 1000 + this.runs++ } : args);
    return r;
  }
  override step(action: number): StepResult<Float32Array> {
    const r = super.step(action);
    if (this.steps < 3) return r;
    if (this.nan.obs !== undefined) r.obs[0] = this.nan.obs;
    return this.nan.reward === undefined ? r : { ...r, reward: this.nan.reward };
  }
}

function failures(report: EnvCheckReport): Record<string, string> {
  return Object.fromEntries(report.checks.filter((c) => !c.ok).map((c) => [c.name, c.message]));
}

function broken(faults: Faults): EnvCheckReport {
  return checkEnv(new BrokenEnv(faults), { steps: 30 });
}

describe('checkEnv', () => {
  it('passes a conforming env, one entry per check in order', () => {
    const report = checkEnv(new WalkEnv());
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([...ENV_CHECKS]);
    expect(report.warnings).toEqual([]);
  });

  it('warns, without failing, when different seeds give the same trajectory', () => {
    const report = checkEnv(new TimeLimit(new CounterEnv(), 50));
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([
      'reset({ seed: 42 }) and reset({ seed: 43 }) gave the same trajectory: fine for a deterministic env, a bug if reset() ignores its seed.',
    ]);
  });

  it('reports NaN observations', () => {
    const f = failures(broken({ nanObs: true }));
    expect(f['observations contain no NaN or Infinity']).toBe('Expected finite observations, got obs[1] = NaN from step() at step 3.');
    expect(f['step obs is inside the observation space']).toBe(
      'From step() at step 3: Expected a Float32Array of shape [2] in Box(-10, 10, [2], float32), got NaN at element 1.',
    );
  });

  it('reports observations outside the space', () => {
    expect(failures(broken({ outOfSpace: true }))).toEqual({
      'reset obs is inside the observation space': 'From reset() at step 0: Expected a Float32Array of shape [2] in Box(-10, 10, [2], float32), got 42 at element 0, outside [-10, 10].',
    });
  });

  it('reports NaN rewards as NaN, with the method and step, and not as nondeterminism', () => {
    expect(failures(checkEnv(new NanEnv({ reward: NaN }), { steps: 30 }))).toEqual({
      'rewards are finite numbers': 'Expected a finite number reward, got NaN from step() at step 3.',
    });
    expect(failures(checkEnv(new NanEnv({ reward: -Infinity }), { steps: 30 }))).toEqual({
      'rewards are finite numbers': 'Expected a finite number reward, got -Infinity from step() at step 3.',
    });
  });

  it('reports NaN observations from every step once, and not as nondeterminism', () => {
    expect(failures(checkEnv(new NanEnv({ obs: NaN }), { steps: 30 }))).toEqual({
      'step obs is inside the observation space': 'From step() at step 3: Expected a Float32Array of shape [2] in Box(-10, 10, [2], float32), got NaN at element 0.',
      'observations contain no NaN or Infinity': 'Expected finite observations, got obs[0] = NaN from step() at step 3.',
    });
  });

  it('still reports a real difference next to NaN rewards', () => {
    const f = failures(checkEnv(new NanEnv({ reward: NaN, wild: true }), { steps: 30 }));
    expect(f['rewards are finite numbers']).toBe('Expected a finite number reward, got NaN from step() at step 3.');
    expect(f['same seed gives the same trajectory']).toMatch(/^Expected reset\(\{ seed: 42 \}\) and the same actions to give the same trajectory twice, got a different observation at step 0/);
  });

  it('reports non-finite rewards and non-boolean flags', () => {
    expect(failures(broken({ badReward: true }))['rewards are finite numbers']).toBe('Expected a finite number reward, got Infinity from step() at step 1.');
    expect(failures(broken({ badFlags: true }))['terminated and truncated are booleans']).toBe(
      'Expected boolean terminated and truncated, got 0 and false at step 1.',
    );
  });

  it('reports an env that ignores its seed', () => {
    const f = failures(broken({ nondeterministic: true }));
    expect(Object.keys(f)).toEqual(['same seed gives the same trajectory']);
    expect(f['same seed gives the same trajectory']).toMatch(
      /^Expected reset\(\{ seed: 42 \}\) and the same actions to give the same trajectory twice, got a different observation at step 0: \[.*\] then \[.*\]\. Draw randomness only from this\.rng, reseeded in reset\(\)\.$/,
    );
  });

  it('reports a missing info, an invalid scene and a close() that throws the second time', () => {
    expect(failures(broken({ noInfo: true }))['reset returns { obs, info }']).toBe('Expected reset() to return an info object, got info undefined.');
    expect(failures(broken({ badScene: true }))).toEqual({
      'scene() returns a valid scene': 'Expected scene width and height to be positive numbers, got -1 x 100.',
    });
    expect(failures(broken({ throwOnSecondClose: true }))).toEqual({
      'close() twice is harmless': 'Expected close() twice to be harmless, got a thrown Error: already closed',
    });
  });

  it('reports invalid spaces and skips the checks that need them', () => {
    const env = new WalkEnv();
    (env as unknown as { observationSpace: unknown }).observationSpace = { kind: 'box', shape: [2], dtype: 'float32', low: [1, 1], high: [0, 0] };
    const report = checkEnv(env);
    const f = failures(report);
    expect(f['observation space is a valid space']).toBe(
      'Expected observationSpace to be a valid core space (build it with box(), discrete(), ...), got {"kind":"box","shape":[2],"dtype":"float32","low":[1,1],"high":[0,0]}: InvalidSpace: Expected Box low[0] <= high[0], got low 1 and high 0.',
    );
    expect(f['reset returns { obs, info }']).toBe('Expected valid observation and action spaces first, got an invalid space (see the space checks).');
    expect(report.checks.find((c) => c.name === 'action space is a valid space')!.ok).toBe(true);
  });

  it('reports a reset that throws, and fails the checks it blocks', () => {
    const env = new WalkEnv();
    env.reset = () => {
      throw new RangeError('no reset today');
    };
    const f = failures(checkEnv(env));
    expect(f['reset returns { obs, info }']).toBe('Expected reset({"seed":42}) to return { obs, info }, got a thrown RangeError: no reset today');
    expect(f['rewards are finite numbers']).toBe('Expected to reach step(), got a failed reset() first (see the reset check).');
    expect(f['same seed gives the same trajectory']).toBe('Expected a complete trajectory to compare, got: reset failed (see the other checks).');
    expect(f['scene() returns a valid scene']).toBeUndefined();
  });

  it('reports a step that throws', () => {
    const report = checkEnv(new ThrowingEnv(3), { seed: 1 });
    expect(failures(report)).toEqual({
      'step returns { obs, reward, terminated, truncated, info }': 'Expected step(1) to return a result, got a thrown TypeError: boom at step 3',
      'same seed gives the same trajectory': 'Expected a complete trajectory to compare, got: step failed (see the other checks).',
      'different seeds give different trajectories': 'Expected a complete trajectory to compare, got: step failed (see the other checks).',
    });
    expect(report.checks.find((c) => c.name === 'rewards are finite numbers')!.ok).toBe(true);
  });

  it('accepts a scene-less env and records that the scene check was skipped', () => {
    const report = checkEnv(new TimeLimit(new CounterEnv(), 10));
    expect(report.checks.find((c) => c.name === 'scene() returns a valid scene')).toEqual({
      name: 'scene() returns a valid scene', ok: true, message: 'skipped: the env has no scene()',
    });
  });
});

describe('assertEnvOk', () => {
  it('returns the report for a good env', () => {
    expect(assertEnvOk(new WalkEnv()).ok).toBe(true);
  });

  it('throws EnvCheckFailed listing every failed check', () => {
    let caught: unknown;
    try {
      assertEnvOk(new BrokenEnv({ badReward: true, badScene: true }), { steps: 10 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EnvCheckFailed);
    expect((caught as Error).message).toBe(
      [
        'BrokenEnv: 2 of 13 environment checks failed:',
        '- rewards are finite numbers: Expected a finite number reward, got Infinity from step() at step 1.',
        '- scene() returns a valid scene: Expected scene width and height to be positive numbers, got -1 x 100.',
      ].join('\n'),
    );
  });

  it('names a registered env by its id', () => {
    const env = make('CartPole-v1');
    (env as unknown as { observationSpace: unknown }).observationSpace = box({ low: -1, high: 1, shape: [4] });
    expect(() => assertEnvOk(env)).toThrow(
      /^CartPole-v1: 1 of 13 environment checks failed:\n- step obs is inside the observation space: From step\(\) at step \d+: Expected a Float32Array of shape \[4\] in Box\(-1, 1, \[4\], float32\), got \S+ at element \d, outside \[-1, 1\]\.$/,
    );
  });

  it('finds that a stateful wrapper breaks same-seed reproducibility', () => {
    // NormalizeObservation's statistics carry over between episodes, so the same seed gives new observations.
    const f = failures(checkEnv(new TimeLimit(new NormalizeObservation(new WalkEnv()), 30)));
    expect(Object.keys(f)).toEqual(['same seed gives the same trajectory']);
  });
});
