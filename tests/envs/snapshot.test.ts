import { describe, expect, it } from 'vitest';
import { BaseEnv, Wrapper, type AnyEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { discrete, sample, type DiscreteSpace } from '../../core/spaces.js';
import {
  Autoreset, ClipReward, FrameSkip, FrameStack, NormalizeObservation, NormalizeReward, RecordEpisodeStatistics, TransformReward,
} from '../../envs/wrappers/index.js';
import {
  AcrobotEnv, CartPoleEnv, PendulumEnv, FrozenLakeEnv, make, registeredSpecs, restoreEnv, snapshotEnv, unsavableLayer, type EnvSnapshot,
} from '../../envs/index.js';

/** Equal bit for bit: numbers by Object.is (so -0 and NaN count), typed arrays by type and elements, objects by keys. */
function same(a: unknown, b: unknown, path: string): string | null {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) ? null : `${path}: ${a} vs ${b}`;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (a?.constructor !== b?.constructor) return `${path}: ${a?.constructor.name} vs ${b?.constructor.name}`;
    return same(Array.from(a as ArrayLike<number>), Array.from(b as ArrayLike<number>), path);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = same(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${path}: keys ${ka.join()} vs ${kb.join()}`;
    for (const k of ka) {
      // RecordEpisodeStatistics' t is wall-clock seconds: two runs never agree on it, interrupted or not.
      if (k === 't' && path.endsWith('.episode')) continue;
      const d = same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
}

function expectSame(a: unknown, b: unknown, what: string): void {
  const diff = same(a, b, what);
  if (diff !== null) expect.fail(diff);
}

/** Copies an action so neither env can see the other's (an env may keep the array it was given). */
function copy<T>(action: T): T {
  return (ArrayBuffer.isView(action) ? (action as unknown as Float32Array).slice() : action) as T;
}

/**
 * Steps `env` `k` times with random actions from `rng` (resetting without a seed when an episode ends, or not at
 * all under Autoreset), then snapshots it through JSON and restores into `fresh()`; then steps both `steps` times
 * with the same actions, across episode ends and unseeded resets, and requires identical results.
 */
function checkResume(build: () => AnyEnv, k: number, steps: number, autoreset = false): { episodesAfter: number } {
  const env = build();
  const rng = new Rng(k + 7);
  env.reset({ seed: 3 });
  let ended = false;
  for (let i = 0; i < k; i++) {
    if (ended && !autoreset) env.reset();
    const r = env.step(sample(env.actionSpace, rng));
    ended = r.terminated || r.truncated;
  }
  const snapshot = snapshotEnv(env);
  expect(snapshot).not.toBeNull();
  const json = JSON.parse(JSON.stringify(snapshot)) as EnvSnapshot;
  const restored = build();
  restoreEnv(restored, json);
  // The restored env saves the same state again (the wall clock of RecordEpisodeStatistics aside).
  expectSame(stripClock(snapshotEnv(restored)), stripClock(json), 'resnapshot');

  // Scenes show what steps do not (Pendulum's last torque, the toy-text agents' facing, Blackjack's card faces).
  if (env.scene) expectSame(restored.scene!(), env.scene(), 'scene after restore');
  let episodesAfter = 0;
  for (let i = 0; i < steps; i++) {
    if (ended && !autoreset) {
      expectSame(restored.reset(), env.reset(), `reset before step ${i}`);
      if (env.scene) expectSame(restored.scene!(), env.scene(), `scene after reset ${i}`);
      episodesAfter++;
    }
    const action = sample(env.actionSpace, rng);
    const a = env.step(copy(action));
    const b = restored.step(copy(action));
    expectSame(b, a, `step ${i}`);
    if (env.scene && i % 10 === 0) expectSame(restored.scene!(), env.scene(), `scene after step ${i}`);
    ended = a.terminated || a.truncated;
  }
  return { episodesAfter };
}

function stripClock(snapshot: EnvSnapshot | null): unknown {
  const clone = JSON.parse(JSON.stringify(snapshot)) as EnvSnapshot;
  for (const layer of clone.layers) {
    if (layer.name === 'RecordEpisodeStatistics') (layer.state as Record<string, unknown>)['episodeSeconds'] = 0;
  }
  return clone;
}

const builtins = registeredSpecs().map((s) => s.id);

describe('snapshotEnv / restoreEnv on every built-in', () => {
  it('covers all ten built-ins', () => {
    expect(builtins).toEqual(expect.arrayContaining([
      'CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1',
      'FrozenLake-v1', 'FrozenLake8x8-v1', 'CliffWalking-v1', 'Taxi-v4', 'Blackjack-v1',
    ]));
  });

  for (const id of builtins) {
    it(`${id}: a restored make(id) continues exactly, mid-episode and across unseeded resets`, () => {
      const limit = registeredSpecs().find((s) => s.id === id)!.maxEpisodeSteps;
      let episodes = 0;
      for (const k of [0, 1, 37, 250]) episodes += checkResume(() => make(id), k, Math.max(700, (limit ?? 0) + 300)).episodesAfter;
      // Without a time limit (CliffWalking, Blackjack) random episodes can be long: also cut them at 40 steps.
      if (limit === undefined) for (const k of [0, 55]) episodes += checkResume(() => make(id, {}, { maxEpisodeSteps: 40 }), k, 300).episodesAfter;
      // The comparison must have crossed resets, where only the saved rng can make the envs agree.
      expect(episodes).toBeGreaterThan(0);
    });
  }

  it('the rng is part of the state: with another rng the next unseeded reset differs', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 1 });
    const snapshot = snapshotEnv(env)!;
    const restored = make('CartPole-v1');
    restored.reset({ seed: 2 });
    // Everything restored but the env's rng, which stays on seed 2's stream.
    const cartpole = snapshot.layers.at(-1)!.state as { rng: JsonValue };
    cartpole.rng = (snapshotEnv(restored)!.layers.at(-1)!.state as { rng: JsonValue }).rng;
    restoreEnv(restored, snapshot);
    expect(Array.from(restored.reset().obs as Float32Array)).not.toEqual(Array.from(env.reset().obs as Float32Array));
  });

  it('saves the map of a random FrozenLake, so a fresh env with another random map continues exactly', () => {
    const build = () => make('FrozenLake-v1', { mapName: null });
    const a = build().unwrapped as FrozenLakeEnv;
    let differs = false;
    for (let i = 0; i < 20 && !differs; i++) differs = (build().unwrapped as FrozenLakeEnv).desc.join() !== a.desc.join();
    expect(differs).toBe(true);
    for (const k of [0, 5, 60]) checkResume(build, k, 400);
  });

  it('saves Taxi\'s fickle passenger and rainy moves', () => {
    const build = () => make('Taxi-v4', { ficklePassenger: true, fickleProbability: 0.7, isRainy: true });
    for (const k of [0, 3, 8, 40, 150]) checkResume(build, k, 600);
  });

  it('saves CartPole\'s count of steps past termination (reachable without OrderEnforcing)', () => {
    const build = () => make('CartPole-v1', {}, { disableOrderEnforcing: true });
    const env = build();
    env.reset({ seed: 0 });
    while (!env.step(0).terminated);
    const restored = build();
    restoreEnv(restored, JSON.parse(JSON.stringify(snapshotEnv(env))) as EnvSnapshot);
    // Gymnasium pays 1 on the terminating step and 0 after it: the restored env must know it is past the end.
    expectSame(restored.step(0), env.step(0), 'step past termination');
    expect(env.step(0).reward).toBe(0);
  });

  it('carries the public settings that change the dynamics (integrator, torque noise, equations)', () => {
    const cart = make('CartPole-v1');
    (cart.unwrapped as CartPoleEnv).kinematicsIntegrator = 'semi-implicit euler';
    const acro = make('Acrobot-v1');
    (acro.unwrapped as AcrobotEnv).torqueNoiseMax = 0.25;
    (acro.unwrapped as AcrobotEnv).bookOrNips = 'nips';
    for (const env of [cart, acro]) env.reset({ seed: 8 });
    const cart2 = make('CartPole-v1');
    const acro2 = make('Acrobot-v1');
    restoreEnv(cart2, snapshotEnv(cart)!);
    restoreEnv(acro2, snapshotEnv(acro)!);
    expect((cart2.unwrapped as CartPoleEnv).kinematicsIntegrator).toBe('semi-implicit euler');
    expect((acro2.unwrapped as AcrobotEnv).torqueNoiseMax).toBe(0.25);
    expect((acro2.unwrapped as AcrobotEnv).bookOrNips).toBe('nips');
    for (let i = 0; i < 20; i++) {
      expectSame(cart2.step(i % 2), cart.step(i % 2), `cart step ${i}`);
      expectSame(acro2.step(i % 3), acro.step(i % 3), `acrobot step ${i}`);
    }
  });

  it('continues exactly when the episode had just ended (OrderEnforcing still refuses a step)', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    while (true) {
      const r = env.step(0);
      if (r.terminated || r.truncated) break;
    }
    const restored = make('CartPole-v1');
    restoreEnv(restored, JSON.parse(JSON.stringify(snapshotEnv(env))) as EnvSnapshot);
    expect(() => restored.step(0)).toThrow(/Expected reset\(\) after the episode ended/);
    expectSame(restored.reset(), env.reset(), 'reset');
  });
});

describe('wrapper stacks', () => {
  const stack = (id: string) => () => new ClipReward(new RecordEpisodeStatistics(new NormalizeObservation(new FrameStack(make(id), 3))), -0.5, 0.5);
  for (const id of ['CartPole-v1', 'Pendulum-v1', 'Acrobot-v1']) {
    it(`${id} under FrameStack, NormalizeObservation, RecordEpisodeStatistics and ClipReward continues exactly`, () => {
      for (const k of [0, 13, 230]) checkResume(stack(id), k, 600);
    });
  }

  it('Autoreset, NormalizeReward, TransformReward and FrameSkip continue exactly', () => {
    const build = () => new Autoreset(new NormalizeReward(new TransformReward(new FrameSkip(make('MountainCar-v0'), 2), (r) => r * 2)));
    for (const k of [0, 99, 100, 101, 333]) checkResume(build, k, 500, true);
  });

  it('records the layers outermost first, with null for stateless ones', () => {
    const env = new ClipReward(new RecordEpisodeStatistics(make('CartPole-v1')), -1, 1);
    env.reset({ seed: 5 });
    env.step(1);
    const snapshot = snapshotEnv(env)!;
    expect(snapshot.layers.map((l) => l.name)).toEqual(['ClipReward', 'RecordEpisodeStatistics', 'OrderEnforcing', 'TimeLimit', 'PassiveEnvChecker', 'CartPoleEnv']);
    expect(snapshot.layers[0]!.state).toBeNull();
    expect(snapshot.layers[3]!.state).toEqual({ elapsedSteps: 1 });
    expect(snapshot.layers[2]!.state).toEqual({ phase: 'running' });
    expect(snapshot.layers[4]!.state).toEqual({ checkedReset: true, checkedStep: true });
  });
});

describe('exact floats', () => {
  it('keeps -0 and NaN through JSON', () => {
    const env = make('Pendulum-v1');
    env.reset({ options: { state: [-0, 0.5] } });
    const json = JSON.parse(JSON.stringify(snapshotEnv(env))) as EnvSnapshot;
    const restored = make('Pendulum-v1');
    restoreEnv(restored, json);
    const pendulum = restored.unwrapped as PendulumEnv;
    expect(Object.is(pendulum.state[0], -0)).toBe(true);
    expect(pendulum.lastU).toBeNaN();
    restored.step(new Float32Array([0]));
    expect(Object.is(pendulum.lastU, 0)).toBe(true);
  });
});

class Plain extends BaseEnv<number, number> {
  readonly observationSpace: DiscreteSpace = discrete(3);
  readonly actionSpace: DiscreteSpace = discrete(2);
  reset(args?: ResetArgs): ResetResult<number> {
    this.seedRng(args?.seed);
    return { obs: 0, info: {} };
  }
  step(): StepResult<number> {
    return { obs: this.rng.int(3), reward: 0, terminated: false, truncated: false, info: {} };
  }
}

class Tally<O, A> extends Wrapper<O, A> {
  count = 0;
  override step(action: A): StepResult<O> {
    this.count++;
    return super.step(action);
  }
}

function configError(f: () => unknown): InvalidConfig {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfig);
    return err as InvalidConfig;
  }
  return expect.fail('Expected an InvalidConfig');
}

describe('what cannot be saved or restored', () => {
  it('a custom env without getState gives null and is named', () => {
    const env = new ClipReward(new Plain(), -1, 1);
    expect(snapshotEnv(env)).toBeNull();
    expect(unsavableLayer(env)).toBe('Plain');
    expect(unsavableLayer(make('Taxi-v4'))).toBeNull();
  });

  it('a custom wrapper that neither saves nor says it is stateless gives null and is named', () => {
    const env = new Tally(make('CartPole-v1') as AnyEnv);
    expect(snapshotEnv(env)).toBeNull();
    expect(unsavableLayer(env)).toBe('Tally');
  });

  it('refuses a snapshot of other layers, naming both chains and the first difference', () => {
    const snapshot = snapshotEnv(make('CartPole-v1'))!;
    const err = configError(() => restoreEnv(make('MountainCar-v0'), snapshot));
    expect(err.message).toBe(
      'Expected an environment with the layers OrderEnforcing > TimeLimit > PassiveEnvChecker > CartPoleEnv, got ' +
        'OrderEnforcing > TimeLimit > PassiveEnvChecker > MountainCarEnv (layer 4: CartPoleEnv in the snapshot, MountainCarEnv here). ' +
        'Build it as the snapshot\'s was.',
    );
    const shorter = configError(() => restoreEnv(make('CartPole-v1', {}, { maxEpisodeSteps: null }), snapshot));
    expect(shorter.message).toMatch(/layer 2: TimeLimit in the snapshot, PassiveEnvChecker here/);
    expect(configError(() => restoreEnv(make('CartPole-v1'), { layers: 'x' } as never)).message).toMatch(/^Expected an env snapshot/);
  });

  it('refuses a malformed state, naming the env and the expected shape, and leaves the env as it was', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 9 });
    env.step(1);
    const good = snapshotEnv(env)!;
    const target = make('CartPole-v1');
    target.reset({ seed: 4 });
    const before = snapshotEnv(target);
    const bad = JSON.parse(JSON.stringify(good)) as EnvSnapshot;
    (bad.layers[3]!.state as Record<string, unknown>)['state'] = [1, 2, 3];
    const err = configError(() => restoreEnv(target, bad));
    expect(err.message).toBe(
      'CartPoleEnv<CartPole-v1>: Expected a state { state: 4 numbers, stepsBeyondTerminated: an integer >= -1, ' +
        'kinematicsIntegrator: "euler" | "semi-implicit euler", rng: 4 unsigned 32-bit integers (Rng.getState()) }, got state: [1, 2, 3].',
    );
    // The outer layers were restored before the env refused: they are rolled back.
    expectSame(snapshotEnv(target), before, 'after a refused restore');

    const badRng = JSON.parse(JSON.stringify(good)) as EnvSnapshot;
    (badRng.layers[3]!.state as Record<string, unknown>)['rng'] = [0, 0, 0, 0];
    expect(configError(() => restoreEnv(target, badRng)).message).toMatch(/^CartPoleEnv<CartPole-v1>: Expected a state .* got rng: \[0, 0, 0, 0\]\.$/);

    const extra = JSON.parse(JSON.stringify(good)) as EnvSnapshot;
    (extra.layers[1]!.state as Record<string, unknown>)['other'] = 1;
    expect(configError(() => restoreEnv(target, extra)).message).toBe(
      'TimeLimit: Expected a state { elapsedSteps: an integer >= 0 }, got an unexpected key "other".',
    );
    const missing = JSON.parse(JSON.stringify(good)) as EnvSnapshot;
    missing.layers[2]!.state = {};
    expect(configError(() => restoreEnv(target, missing)).message).toBe(
      'PassiveEnvChecker: Expected a state { checkedReset: true or false, checkedStep: true or false }, got checkedReset: missing.',
    );
  });

  it('refuses states that do not fit the env: a Taxi state out of range, a FrozenLake map of another size, a bad Blackjack hand', () => {
    const taxi = make('Taxi-v4');
    taxi.reset({ seed: 1 });
    const t = snapshotEnv(taxi)!;
    (t.layers[3]!.state as Record<string, unknown>)['s'] = 500;
    expect(configError(() => restoreEnv(make('Taxi-v4'), t)).message).toMatch(/^TaxiEnv<Taxi-v4>: Expected a state \{ s: an integer in \[0, 499\], .*fickleStep: true or false.* got s: 500\.$/);

    const lake = snapshotEnv(make('FrozenLake-v1'))!;
    expect(configError(() => restoreEnv(make('FrozenLake8x8-v1'), lake)).message).toMatch(/^FrozenLakeEnv<FrozenLake8x8-v1>: Expected a state .*desc: 8 strings.* got desc: \["SFFF"/);

    const blackjack = make('Blackjack-v1');
    blackjack.reset({ seed: 2 });
    const b = snapshotEnv(blackjack)!;
    (b.layers[2]!.state as Record<string, unknown>)['player'] = [1, 11];
    expect(configError(() => restoreEnv(make('Blackjack-v1'), b)).message).toMatch(/^BlackjackEnv<Blackjack-v1>: Expected a state \{ player: 0 or more integers in \[1, 10\].* got player: \[1, 11\]\.$/);
  });

  it('a stateless layer refuses a non-null state; each env class checks its own states directly', () => {
    const env = new ClipReward(make('CartPole-v1'), -1, 1);
    const snapshot = snapshotEnv(env)!;
    snapshot.layers[0]!.state = 1;
    expect(configError(() => restoreEnv(env, snapshot)).message).toBe('ClipReward: Expected the state null of a stateless layer, got 1.');
    expect(configError(() => new CartPoleEnv().setState(null)).message).toMatch(/^CartPoleEnv: Expected a state \{ state: 4 numbers.*, got null\.$/);
  });
});
