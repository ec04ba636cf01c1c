import { describe, expect, it } from 'vitest';
import { BaseEnv, box, discrete, InvalidAction, InvalidObservation, RegistrationError, ResetNeeded, UnregisteredEnv, type ResetArgs, type ResetResult, type StepResult } from '../../core/index.js';
import { isRegistered, make, register, spec, unregister } from '../../envs/registry.js';
import { OrderEnforcing } from '../../envs/wrappers/order-enforcing.js';
import { TimeLimit } from '../../envs/wrappers/time-limit.js';

/** A walk on a line: move left (0) or right (1); terminates at +3. */
class LineWalk extends BaseEnv<Float32Array, number> {
  readonly observationSpace = box({ low: -100, high: 100, shape: [1] });
  readonly actionSpace = discrete(2);
  pos = 0;
  broken: 'none' | 'obs' | 'reward' = 'none';
  constructor(kwargs: Record<string, unknown> = {}) {
    super();
    if (kwargs['broken'] === 'obs' || kwargs['broken'] === 'reward') this.broken = kwargs['broken'];
  }
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    this.pos = 0;
    return { obs: new Float32Array([this.broken === 'obs' ? NaN : 0]), info: {} };
  }
  step(action: number): StepResult<Float32Array> {
    this.pos += action === 1 ? 1 : -1;
    return { obs: new Float32Array([this.pos]), reward: this.broken === 'reward' ? NaN : 1, terminated: this.pos >= 3, truncated: false, info: {} };
  }
}

const id = 'test/LineWalk-v0';
if (!isRegistered(id)) register({ id, entryPoint: (kw) => new LineWalk(kw), entryPointName: 'LineWalk', maxEpisodeSteps: 5, rewardThreshold: 3 });

describe('registry', () => {
  it('make() wraps in order enforcing, a time limit and the passive checker, and sets spec', () => {
    const env = make(id);
    expect(String(env)).toBe('OrderEnforcing<TimeLimit<PassiveEnvChecker<LineWalk<test/LineWalk-v0>>>>');
    expect(env).toBeInstanceOf(OrderEnforcing);
    expect(env.unwrapped).toBeInstanceOf(LineWalk);
    expect(env.spec).toMatchObject({ id, entryPoint: 'LineWalk', maxEpisodeSteps: 5, rewardThreshold: 3 });
    expect(spec(id).maxEpisodeSteps).toBe(5);
  });

  it('truncates at maxEpisodeSteps and terminates independently', () => {
    const env = make(id);
    env.reset({ seed: 0 });
    const flags: [boolean, boolean][] = [];
    for (const a of [0, 1, 0, 1, 0]) {
      const r = env.step(a);
      flags.push([r.terminated, r.truncated]);
    }
    expect(flags.at(-1)).toEqual([false, true]);
    env.reset();
    let r = env.step(1);
    r = env.step(1);
    r = env.step(1);
    expect([r.terminated, r.truncated]).toEqual([true, false]);
  });

  it('TimeLimit starts from reset({options: {elapsedSteps}}) and validates it', () => {
    const env = make(id);
    env.reset({ options: { elapsedSteps: 4 } });
    expect(env.step(0).truncated).toBe(true);
    expect(() => env.reset({ options: { elapsedSteps: -1 } })).toThrow('Expected reset option elapsedSteps to be a non-negative integer, got -1.');
    expect(() => new TimeLimit(new LineWalk(), 0)).toThrow('Expected TimeLimit maxEpisodeSteps to be a positive integer, got 0.');
  });

  it('step before reset, and after the episode ended, throw ResetNeeded', () => {
    const env = make(id);
    expect(() => env.step(1)).toThrow(ResetNeeded);
    expect(() => env.step(1)).toThrow(
      'test/LineWalk-v0: Expected reset() before the first step(), got step() on an environment that was never reset. Call env.reset() first.',
    );
    env.reset();
    for (let i = 0; i < 3; i++) env.step(1);
    expect(() => env.step(1)).toThrow(
      'test/LineWalk-v0: Expected reset() after the episode ended (terminated or truncated), got another step(). Call env.reset() to start a new episode.',
    );
  });

  it('an invalid action throws InvalidAction naming the space and the value', () => {
    const env = make(id);
    env.reset();
    expect(() => env.step(2)).toThrow(InvalidAction);
    expect(() => env.step(2)).toThrow('test/LineWalk-v0: invalid action. Expected an integer in [0, 1] for Discrete(2), got 2.');
    expect(() => env.step('left' as unknown as number)).toThrow('got "left"');
  });

  it('the passive checker catches NaN observations and rewards', () => {
    const badObs = make(id, { broken: 'obs' });
    expect(() => badObs.reset()).toThrow(InvalidObservation);
    expect(() => make(id, { broken: 'obs' }).reset()).toThrow('test/LineWalk-v0: reset() returned an observation outside the observation space. Expected a Float32Array of shape [1] in Box(-100, 100, [1], float32), got NaN at element 0.');
    const badReward = make(id, { broken: 'reward' });
    badReward.reset();
    expect(() => badReward.step(1)).toThrow('test/LineWalk-v0: Expected step() to return a finite number reward, got NaN.');
  });

  it('a misspelt id suggests the right one', () => {
    expect(() => make('test/LineWalk-v1')).toThrow('Expected a registered version of test/LineWalk, got "test/LineWalk-v1". Registered versions: `test/LineWalk-v0`.');
    expect(() => make('test/LineWlak-v0')).toThrow(UnregisteredEnv);
    expect(() => make('test/LineWlak-v0')).toThrow('Did you mean `test/LineWalk-v0`?');
    expect(() => make('Nothing-v0')).toThrow('Expected a registered environment id, got "Nothing-v0". Run `rxgym list` to see every registered id.');
  });

  it('rejects duplicate and malformed registrations', () => {
    expect(() => register({ id, entryPoint: () => new LineWalk() })).toThrow(RegistrationError);
    expect(() => register({ id: 'bad id!', entryPoint: () => new LineWalk() })).toThrow('Expected an environment id like "Name-v0" or "namespace/Name-v0", got "bad id!".');
    expect(() => register({ id: 'test/Other-v0', entryPoint: () => new LineWalk(), maxEpisodeSteps: 0 })).toThrow(
      'Expected maxEpisodeSteps of "test/Other-v0" to be a positive integer, got 0.',
    );
    register({ id: 'test/Temp-v0', entryPoint: () => new LineWalk() });
    expect(unregister('test/Temp-v0')).toBe(true);
    expect(isRegistered('test/Temp-v0')).toBe(false);
  });

  it('make options override the limit and can drop the checker', () => {
    const env = make(id, {}, { maxEpisodeSteps: null, disableEnvChecker: true });
    expect(String(env)).toBe('OrderEnforcing<LineWalk<test/LineWalk-v0>>');
    expect(env.spec?.maxEpisodeSteps).toBeUndefined();
  });
});
