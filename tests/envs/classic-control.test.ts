/** Classic-control environments: registration and spaces, reset distributions, reset options, kwargs, scenes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import '../../envs/builtin.js';
import type { Env } from '../../core/env.js';
import { InvalidAction, InvalidConfig } from '../../core/errors.js';
import { explainInvalidScene, type RectShape, type Scene } from '../../core/scene.js';
import type { BoxSpace } from '../../core/spaces.js';
import { AcrobotEnv, CartPoleEnv, ContinuousMountainCarEnv, MountainCarEnv, PendulumEnv, angleNormalize, mountainHeight } from '../../envs/classic-control/index.js';
import { make, spec } from '../../envs/registry.js';
import { testEnvConformance } from '../../envs/testing.js';
import { refDir } from './classic-control-refvectors.js';

const ids = ['CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1'] as const;

interface SpecBox {
  type: 'Box';
  shape: number[];
  dtype: string;
  low: (number | string)[];
  high: (number | string)[];
}
interface SpecDiscrete {
  type: 'Discrete';
  n: number;
  start: number;
}
interface GymSpec {
  entry_point: string;
  max_episode_steps: number;
  reward_threshold: number | null;
  observation_space: SpecBox;
  action_space: SpecBox | SpecDiscrete;
  render_fps: number;
}
const gymSpecs = JSON.parse(readFileSync(join(refDir, 'spec.json'), 'utf8')) as Record<string, GymSpec>;
const bound = (x: number | string): number => (x === 'inf' ? Infinity : x === '-inf' ? -Infinity : (x as number));

// rxgym's own environment contract checks (what a custom env gets from rxgym/testing), bare and made.
testEnvConformance('CartPoleEnv', () => new CartPoleEnv());
testEnvConformance('MountainCarEnv', () => new MountainCarEnv());
testEnvConformance('ContinuousMountainCarEnv', () => new ContinuousMountainCarEnv());
testEnvConformance('PendulumEnv', () => new PendulumEnv());
testEnvConformance('AcrobotEnv', () => new AcrobotEnv());
for (const id of ['CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1']) testEnvConformance(`make(${id})`, () => make(id));

describe('registration and spaces match Gymnasium', () => {
  for (const id of ids) {
    it(id, () => {
      const g = gymSpecs[id]!;
      const s = spec(id);
      expect(s.maxEpisodeSteps).toBe(g.max_episode_steps);
      expect(s.rewardThreshold).toBe(g.reward_threshold ?? undefined);
      expect(s.entryPoint).toBe(g.entry_point.split(':')[1]);
      const env = make(id);
      expect(env.metadata.renderFps).toBe(g.render_fps);
      const obs = env.observationSpace as BoxSpace;
      expect(obs.kind).toBe('box');
      expect(obs.dtype).toBe('float32');
      expect(obs.shape).toEqual(g.observation_space.shape);
      expect(obs.low).toEqual(g.observation_space.low.map(bound));
      expect(obs.high).toEqual(g.observation_space.high.map(bound));
      const act = env.actionSpace;
      if (g.action_space.type === 'Discrete') {
        expect(act).toMatchObject({ kind: 'discrete', n: g.action_space.n, start: g.action_space.start });
      } else {
        expect(act).toMatchObject({ kind: 'box', dtype: 'float32', shape: g.action_space.shape });
        expect((act as BoxSpace).low).toEqual(g.action_space.low.map(bound));
        expect((act as BoxSpace).high).toEqual(g.action_space.high.map(bound));
      }
      expect(String(env)).toContain(s.entryPoint === 'Continuous_MountainCarEnv' ? 'ContinuousMountainCarEnv' : s.entryPoint);
    });
  }

  it('types make() by id', () => {
    const env = make('CartPole-v1');
    expectTypeOf(env).toEqualTypeOf<Env<Float32Array, number>>();
    expectTypeOf(make('Pendulum-v1').step).parameter(0).toEqualTypeOf<Float32Array>();
  });
});

describe('reset distributions', () => {
  const seeds = Array.from({ length: 300 }, (_, i) => i * 7 + 1);

  it('CartPole: every state component in [-0.05, 0.05); low/high options widen it', () => {
    const env = make('CartPole-v1');
    const u = env.unwrapped as CartPoleEnv;
    const seen = new Set<number>();
    for (const seed of seeds) {
      env.reset({ seed });
      for (const v of u.state) expect(v >= -0.05 && v < 0.05).toBe(true);
      seen.add(u.state[0]!);
    }
    expect(seen.size).toBe(seeds.length);
    let wide = 0;
    for (const seed of seeds) {
      env.reset({ seed, options: { low: -0.2, high: 0.2 } });
      for (const v of u.state) {
        expect(v >= -0.2 && v < 0.2).toBe(true);
        if (Math.abs(v) > 0.05) wide++;
      }
    }
    expect(wide).toBeGreaterThan(seeds.length);
  });

  it('MountainCar and MountainCarContinuous: position in [-0.6, -0.4), velocity 0', () => {
    for (const id of ['MountainCar-v0', 'MountainCarContinuous-v0'] as const) {
      const env = make(id);
      const u = env.unwrapped as MountainCarEnv | ContinuousMountainCarEnv;
      for (const seed of seeds) {
        const { obs } = env.reset({ seed });
        expect(u.state[0]! >= -0.6 && u.state[0]! < -0.4).toBe(true);
        expect(u.state[1]).toBe(0);
        expect(obs[0]).toBe(Math.fround(u.state[0]!));
      }
      env.reset({ seed: 1, options: { low: -1.0, high: -0.9 } });
      expect(u.state[0]! >= -1.0 && u.state[0]! < -0.9).toBe(true);
    }
  });

  it('Pendulum: theta in [-pi, pi), theta_dot in [-1, 1); x_init/y_init narrow it', () => {
    const env = make('Pendulum-v1');
    const u = env.unwrapped as PendulumEnv;
    let negative = 0;
    for (const seed of seeds) {
      const { obs } = env.reset({ seed });
      const [th, thdot] = u.state;
      expect(th! >= -Math.PI && th! < Math.PI).toBe(true);
      expect(thdot! >= -1 && thdot! < 1).toBe(true);
      expect(Array.from(obs)).toEqual([Math.fround(Math.cos(th!)), Math.fround(Math.sin(th!)), Math.fround(thdot!)]);
      if (th! < 0) negative++;
    }
    expect(negative).toBeGreaterThan(seeds.length / 4);
    env.reset({ seed: 3, options: { x_init: 0.5, y_init: 0.25 } });
    expect(Math.abs(u.state[0]!)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(u.state[1]!)).toBeLessThanOrEqual(0.25);
  });

  it('Acrobot: every state component a float32 in [-0.1, 0.1]', () => {
    const env = make('Acrobot-v1');
    const u = env.unwrapped as AcrobotEnv;
    for (const seed of seeds) {
      env.reset({ seed });
      for (const v of u.state) {
        expect(Math.fround(v)).toBe(v);
        expect(v >= Math.fround(-0.1) && v <= Math.fround(0.1)).toBe(true);
      }
    }
  });

  for (const id of ids) {
    it(`${id}: the same seed gives the same episode, another seed another start`, () => {
      const a = make(id), b = make(id);
      const first = a.reset({ seed: 42 }).obs as Float32Array;
      const again = b.reset({ seed: 42 }).obs as Float32Array;
      expect(Array.from(again)).toEqual(Array.from(first));
      const other = b.reset({ seed: 43 }).obs as Float32Array;
      expect(Array.from(other)).not.toEqual(Array.from(first));
      // Replaying the same actions from the same seed gives identical observations.
      a.reset({ seed: 7 });
      b.reset({ seed: 7 });
      const act = a.actionSpace.kind === 'discrete' ? () => 1 : () => new Float32Array([0.5]);
      for (let t = 0; t < 20; t++) {
        const ra = a.step(act() as never), rb = b.step(act() as never);
        expect(Array.from(rb.obs as Float32Array)).toEqual(Array.from(ra.obs as Float32Array));
        expect(ra.obs).not.toBe(rb.obs);
        if (ra.terminated || ra.truncated) break;
      }
    });
  }
});

describe('reset options and kwargs', () => {
  it('state sets the exact internal state and returns its observation', () => {
    const env = make('CartPole-v1');
    const { obs } = env.reset({ options: { state: [0.1, -0.2, 0.03, 0.4] } });
    expect(Array.from((env.unwrapped as CartPoleEnv).state)).toEqual([0.1, -0.2, 0.03, 0.4]);
    expect(Array.from(obs)).toEqual([0.1, -0.2, 0.03, 0.4].map(Math.fround));
  });

  it('rejects a malformed state with a typed error naming the layout', () => {
    const env = make('Acrobot-v1');
    expect(() => env.reset({ options: { state: [0, 0, 0] } })).toThrow(InvalidConfig);
    expect(() => env.reset({ options: { state: [0, 0, 0] } })).toThrow(
      'Acrobot: Expected reset option state to be 4 finite numbers [theta1, theta2, dtheta1, dtheta2], got 3 values: [0, 0, 0].',
    );
    expect(() => make('Pendulum-v1').reset({ options: { state: [0, NaN] } })).toThrow(
      'Pendulum: Expected reset option state to be 2 finite numbers [theta, theta_dot], got NaN for theta_dot.',
    );
    expect(() => make('CartPole-v1').reset({ options: { state: 'up' } })).toThrow(
      'CartPole: Expected reset option state to be 4 finite numbers [x, x_dot, theta, theta_dot], got "up".',
    );
  });

  it('rejects bad reset bounds as Gymnasium does', () => {
    expect(() => make('CartPole-v1').reset({ options: { low: 0.2, high: 0.1 } })).toThrow(
      'CartPole: Expected reset option low <= high, got low 0.2 and high 0.1.',
    );
    expect(() => make('MountainCar-v0').reset({ options: { low: 'a' } })).toThrow(
      'MountainCar: Expected reset option low to be a finite number, got "a".',
    );
  });

  it('suttonBartoReward gives 0 per step and -1 on termination', () => {
    const env = make('CartPole-v1', { suttonBartoReward: true });
    env.reset({ options: { state: [0, 0, 0.2, 2] } });
    expect(env.step(1).reward).toBe(-1);
    env.reset({ options: { state: [0, 0, 0, 0] } });
    expect(env.step(1).reward).toBe(0);
  });

  it('CartPole rewards 1 on the terminating step and 0 on steps after it (unwrapped)', () => {
    const env = new CartPoleEnv();
    env.reset({ options: { state: [2.39, 1, 0, 0] } });
    const r = env.step(1);
    expect([r.terminated, r.reward]).toEqual([true, 1]);
    expect(env.step(1).reward).toBe(0);
  });

  it('goalVelocity and g change the dynamics', () => {
    const slow = make('MountainCar-v0', { goalVelocity: 0.05 });
    slow.reset({ options: { state: [0.49, 0.02] } });
    expect(slow.step(2).terminated).toBe(false);
    const plain = make('MountainCar-v0');
    plain.reset({ options: { state: [0.49, 0.02] } });
    expect(plain.step(2).terminated).toBe(true);
    const cont = make('MountainCarContinuous-v0', { goalVelocity: 0.05 });
    cont.reset({ options: { state: [0.44, 0.02] } });
    expect(cont.step(new Float32Array([1])).terminated).toBe(false);
    const moon = make('Pendulum-v1', { g: 1.62 }), earth = make('Pendulum-v1');
    moon.reset({ options: { state: [1, 0] } });
    earth.reset({ options: { state: [1, 0] } });
    const zero = new Float32Array([0]);
    expect(moon.step(zero).obs[2]).toBeCloseTo(1.62 * 1.5 * Math.sin(1) * 0.05, 6);
    expect(earth.step(zero).obs[2]).toBeCloseTo(10 * 1.5 * Math.sin(1) * 0.05, 6);
  });

  it('rejects unknown and mistyped kwargs', () => {
    expect(() => make('CartPole-v1', { sutton_barto_reward: true })).toThrow(
      'CartPole: Expected keyword arguments among suttonBartoReward (and renderMode), got "sutton_barto_reward". Check the spelling (camelCase).',
    );
    expect(() => make('Pendulum-v1', { g: '9.8' })).toThrow('Pendulum: Expected g to be a finite number, got "9.8".');
    expect(() => make('Acrobot-v1', { renderMode: 'rgb_array' })).not.toThrow();
  });

  it('MountainCarContinuous reads a Float32Array state as float32 and other arrays as float64', () => {
    const env = new ContinuousMountainCarEnv();
    env.reset({ options: { state: new Float32Array([-0.5, 0.01]) } });
    expect(env.stateDtype).toBe('float32');
    env.reset({ options: { state: [-0.5, 0.01] } });
    expect(env.stateDtype).toBe('float64');
    env.step(new Float32Array([0.3]));
    expect(env.stateDtype).toBe('float32');
    expect(Math.fround(env.state[0]!)).toBe(env.state[0]);
  });

  it('the passive checker rejects out-of-space actions through make(), the bare env clips them', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 0 });
    expect(() => env.step(new Float32Array([2.5]))).toThrow(InvalidAction);
    expect(() => env.step(new Float32Array([2.5]))).toThrow(
      'Pendulum-v1: invalid action. Expected a Float32Array of shape [1] in Box(-2, 2, [1], float32), got 2.5 at element 0, outside [-2, 2].',
    );
    expect(() => env.step(new Float32Array([NaN]))).toThrow(InvalidAction);
    expect(() => make('CartPole-v1').step(2 as never)).toThrow(); // never reset: order enforcing first
    const cp = make('CartPole-v1');
    cp.reset({ seed: 0 });
    expect(() => cp.step(2)).toThrow('CartPole-v1: invalid action. Expected an integer in [0, 1] for Discrete(2), got 2.');
    expect(() => cp.step(0.5)).toThrow(InvalidAction);
    // Plain arrays are accepted for Box actions.
    expect(env.step([1.5] as unknown as Float32Array).reward).toBeLessThan(0);
    // Bare discrete envs assert their action as Gymnasium's do.
    const bareCart = new CartPoleEnv();
    bareCart.reset({ seed: 0 });
    expect(() => bareCart.step(2)).toThrow('CartPole: Expected an integer in [0, 1] for Discrete(2), got 2.');
    const bareAcro = new AcrobotEnv();
    bareAcro.reset({ seed: 0 });
    expect(() => bareAcro.step(-1)).toThrow(InvalidAction);
    expect(() => new MountainCarEnv().step(1.5)).toThrow('MountainCar: Expected an integer in [0, 2] for Discrete(3), got 1.5.');
    const bare = new PendulumEnv();
    bare.reset({ options: { state: [0, 0] } });
    expect(bare.step(new Float32Array([5])).reward).toBeCloseTo(-Math.fround(0.001) * 4, 9);
  });

  it('angleNormalize is a floored modulo into [-pi, pi)', () => {
    expect(angleNormalize(0)).toBe(0);
    expect(angleNormalize(Math.PI)).toBeCloseTo(-Math.PI, 12);
    expect(angleNormalize(-Math.PI - 0.1)).toBeCloseTo(Math.PI - 0.1, 12);
    expect(angleNormalize(7)).toBeCloseTo(7 - 2 * Math.PI, 12);
    expect(angleNormalize(-7)).toBeCloseTo(-7 + 2 * Math.PI, 12);
  });
});

describe('scenes', () => {
  const shapesOf = (s: Scene, type: string): number => s.shapes.filter((x) => x.type === type).length;

  for (const id of ids) {
    it(`${id}: valid after reset and after steps, JSON-serialisable`, () => {
      const env = make(id);
      env.reset({ seed: 5 });
      expect(explainInvalidScene(env.scene!())).toBeNull();
      const act = env.actionSpace.kind === 'discrete' ? 0 : new Float32Array([0.7]);
      for (let t = 0; t < 5; t++) env.step(act as never);
      const scene = env.scene!();
      expect(explainInvalidScene(scene)).toBeNull();
      expect(JSON.parse(JSON.stringify(scene))).toEqual(scene);
    });
  }

  it('CartPole: 600x400, the cart follows x and the pole tilts with theta', () => {
    const env = new CartPoleEnv();
    env.reset({ options: { state: [1, 0, 0.1, 0] } });
    const s = env.scene();
    expect([s.width, s.height]).toEqual([600, 400]);
    expect(s.viewport).toMatchObject({ xMin: -2.4, xMax: 2.4 });
    const [cart, pole] = s.shapes.filter((x): x is RectShape => x.type === 'rect');
    expect(cart!.x).toBe(1);
    expect(pole!.rotation).toBe(-0.1);
    expect(pole!.x).toBeGreaterThan(1);
    env.reset({ options: { state: [-1.5, 0, -0.1, 0] } });
    const moved = env.scene().shapes.filter((x): x is RectShape => x.type === 'rect');
    expect(moved[0]!.x).toBe(-1.5);
    expect(moved[1]!.x).toBeLessThan(-1.5);
    expect(shapesOf(s, 'line')).toBe(1);
  });

  it('MountainCar: the car sits on the curve at its position, with two wheels and a flag', () => {
    const env = new MountainCarEnv();
    env.reset({ options: { state: [-0.5, 0] } });
    const a = env.scene();
    env.reset({ options: { state: [0.3, 0] } });
    const b = env.scene();
    expect([a.width, a.height]).toEqual([600, 400]);
    const carA = a.shapes.find((x): x is RectShape => x.type === 'rect')!;
    const carB = b.shapes.find((x): x is RectShape => x.type === 'rect')!;
    expect(carB.x).toBeGreaterThan(carA.x);
    expect(carB.y - mountainHeight(0.3)).toBeGreaterThan(0);
    expect(carB.y - mountainHeight(0.3)).toBeLessThan(0.1);
    expect(shapesOf(a, 'circle')).toBe(2);
    expect(shapesOf(a, 'polygon')).toBe(1);
  });

  it('Pendulum: 500x500, the rod points up at theta 0 and a torque arc appears after a push', () => {
    const env = new PendulumEnv();
    env.reset({ options: { state: [0, 0] } });
    const up = env.scene();
    expect([up.width, up.height]).toEqual([500, 500]);
    const tip = up.shapes.filter((x) => x.type === 'circle')[1]!;
    expect(tip).toMatchObject({ x: -0, y: 1 });
    expect(shapesOf(up, 'line')).toBe(0);
    env.step(new Float32Array([1.5]));
    expect(shapesOf(env.scene(), 'line')).toBe(1);
  });

  it('Acrobot: 500x500, links hang down at rest and the goal line is at y = 1', () => {
    const env = new AcrobotEnv();
    env.reset({ options: { state: [0, 0, 0, 0] } });
    const s = env.scene();
    expect([s.width, s.height]).toEqual([500, 500]);
    expect(s.shapes[0]).toMatchObject({ type: 'line', points: [-2.2, 1, 2.2, 1] });
    const circles = s.shapes.filter((x) => x.type === 'circle');
    expect(circles[2]).toMatchObject({ x: 0, y: -2 });
    env.reset({ options: { state: [Math.PI, 0, 0, 0] } });
    const tip = env.scene().shapes.filter((x) => x.type === 'circle')[2]!;
    expect((tip as { y: number }).y).toBeCloseTo(2, 12);
  });
});
