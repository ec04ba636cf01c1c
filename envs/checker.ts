/**
 * `checkEnv(env)`: a conformance check for any environment (built-in, custom or a world model), in the spirit of
 * Gymnasium's `check_env` and dm_env's test mixin. Each check records "Expected ..., got ..." when it fails;
 * `assertEnvOk(env)` throws `EnvCheckFailed` listing every failure. The env is reset, stepped and finally
 * closed (twice), so pass a fresh one.
 */
import type { AnyEnv, Info } from '../core/env.js';
import { EnvCheckFailed, describeValue } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { explainInvalidScene } from '../core/scene.js';
import { describeSpace, explainNotContained, sample, spaceFromJSON, spaceToJSON, spacesEqual, type AnySpace } from '../core/spaces.js';

/** The names of every check, in the order they run (one test each in `testEnvConformance`). */
export const ENV_CHECKS = [
  'observation space is a valid space',
  'action space is a valid space',
  'reset returns { obs, info }',
  'reset obs is inside the observation space',
  'step returns { obs, reward, terminated, truncated, info }',
  'step obs is inside the observation space',
  'rewards are finite numbers',
  'terminated and truncated are booleans',
  'observations contain no NaN or Infinity',
  'same seed gives the same trajectory',
  'different seeds give different trajectories',
  'scene() returns a valid scene',
  'close() twice is harmless',
] as const;

/** One check's outcome. */
export interface EnvCheck {
  name: (typeof ENV_CHECKS)[number];
  ok: boolean;
  /** Why it failed ("Expected ..., got ..."), or what was checked when it passed. */
  message: string;
}

/** What `checkEnv` returns. */
export interface EnvCheckReport {
  /** True when every check passed (warnings do not count). */
  ok: boolean;
  checks: EnvCheck[];
  /** Things that are allowed but often a mistake (e.g. a deterministic env that ignores the seed). */
  warnings: string[];
}

/** Options of `checkEnv`. */
export interface CheckEnvOptions {
  /** Seed of the first reset and of the random actions. Default 42. */
  seed?: number;
  /** Random steps per trajectory (the env is reset when an episode ends). Default 100. */
  steps?: number;
  /** Skip the scene check even when `scene()` exists. Default false. */
  skipScene?: boolean;
}

interface Frame {
  obs: string;
  reward: unknown;
  terminated: unknown;
  truncated: unknown;
}

/** A stable text form of an observation, for comparing trajectories (typed arrays become plain arrays). */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : String(x)));
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
}

/** Finds a NaN or +-Infinity anywhere in an observation (typed arrays, arrays, objects); returns its path. */
function findNonFinite(value: unknown, path = 'obs'): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} = ${describeValue(value)}`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const a = value as unknown as ArrayLike<number>;
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return `${path}[${i}] = ${describeValue(a[i])}`;
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const f = findNonFinite(value[i], `${path}[${i}]`);
      if (f) return f;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const f = findNonFinite(v, `${path}.${k}`);
      if (f) return f;
    }
  }
  return null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : describeValue(err);
}

function spaceProblem(space: unknown, which: string): string | null {
  if (space === null || typeof space !== 'object') return `Expected ${which} to be a core space (box(), discrete(), ...), got ${describeValue(space)}.`;
  try {
    const rebuilt = spaceFromJSON(JSON.parse(JSON.stringify(spaceToJSON(space as AnySpace))));
    if (!spacesEqual(rebuilt, space as AnySpace)) return `Expected ${which} to survive a JSON round trip, got ${describeSpace(rebuilt)} back.`;
    return null;
  } catch (err) {
    return `Expected ${which} to be a valid core space (build it with box(), discrete(), ...), got ${describeValue(space)}: ${errorText(err)}`;
  }
}

/** Runs every check on `env` (which it resets, steps and closes) and reports each outcome. */
export function checkEnv(env: AnyEnv, options: CheckEnvOptions = {}): EnvCheckReport {
  const seed = options.seed ?? 42;
  const steps = options.steps ?? 100;
  const checks = new Map<EnvCheck['name'], EnvCheck>();
  const warnings: string[] = [];
  const pass = (name: EnvCheck['name'], message: string): void => {
    if (!checks.has(name)) checks.set(name, { name, ok: true, message });
  };
  const fail = (name: EnvCheck['name'], message: string): void => {
    const prior = checks.get(name);
    if (!prior || prior.ok) checks.set(name, { name, ok: false, message }); // keep the first failure
  };

  // Spaces.
  const obsProblem = spaceProblem(env.observationSpace, 'observationSpace');
  const actProblem = spaceProblem(env.actionSpace, 'actionSpace');
  if (obsProblem) fail('observation space is a valid space', obsProblem);
  else pass('observation space is a valid space', describeSpace(env.observationSpace));
  if (actProblem) fail('action space is a valid space', actProblem);
  else pass('action space is a valid space', describeSpace(env.actionSpace));

  const dependent: EnvCheck['name'][] = [
    'reset returns { obs, info }', 'reset obs is inside the observation space', 'step returns { obs, reward, terminated, truncated, info }',
    'step obs is inside the observation space', 'rewards are finite numbers', 'terminated and truncated are booleans',
    'observations contain no NaN or Infinity', 'same seed gives the same trajectory', 'different seeds give different trajectories',
  ];
  if (obsProblem || actProblem) {
    for (const name of dependent) fail(name, 'Expected valid observation and action spaces first, got an invalid space (see the space checks).');
  } else {
    /** One trajectory: reset(seed), `steps` random actions from Rng(actionSeed), checking every result on the way. */
    const rollout = (resetSeed: number, actionSeed: number, record: boolean): Frame[] | string => {
      const rng = new Rng(actionSeed);
      const frames: Frame[] = [];
      const checkObs = (obs: unknown, where: string, t: number): void => {
        const name = where === 'reset' ? 'reset obs is inside the observation space' : 'step obs is inside the observation space';
        const why = explainNotContained(env.observationSpace, obs);
        if (why !== null) fail(name, `From ${where}() at step ${t}: ${why}`);
        const nonFinite = findNonFinite(obs);
        if (nonFinite !== null) fail('observations contain no NaN or Infinity', `Expected finite observations, got ${nonFinite} from ${where}() at step ${t}.`);
      };
      const doReset = (args: { seed?: number }, t: number): boolean => {
        let r: unknown;
        try {
          r = env.reset(args);
        } catch (err) {
          fail('reset returns { obs, info }', `Expected reset(${describeValue(args)}) to return { obs, info }, got a thrown ${errorText(err)}`);
          return false;
        }
        if (r === null || typeof r !== 'object' || !('obs' in r)) {
          fail('reset returns { obs, info }', `Expected reset() to return { obs, info }, got ${describeValue(r)}.`);
          return false;
        }
        const info = (r as { info?: unknown }).info;
        if (info === null || typeof info !== 'object' || Array.isArray(info)) {
          fail('reset returns { obs, info }', `Expected reset() to return an info object, got info ${describeValue(info)}.`);
        }
        const obs = (r as { obs: unknown }).obs;
        checkObs(obs, 'reset', t);
        if (record) frames.push({ obs: fingerprint(obs), reward: null, terminated: null, truncated: null });
        return true;
      };
      if (!doReset({ seed: resetSeed }, 0)) return 'reset failed';
      for (let t = 1; t <= steps; t++) {
        const action = sample(env.actionSpace, rng);
        let r: unknown;
        try {
          r = env.step(action);
        } catch (err) {
          fail('step returns { obs, reward, terminated, truncated, info }', `Expected step(${describeValue(action)}) to return a result, got a thrown ${errorText(err)}`);
          return 'step failed';
        }
        const s = r as Record<string, unknown> | null;
        const missing = ['obs', 'reward', 'terminated', 'truncated', 'info'].filter((k) => s === null || typeof s !== 'object' || !(k in s));
        if (missing.length > 0) {
          fail('step returns { obs, reward, terminated, truncated, info }', `Expected step() to return { obs, reward, terminated, truncated, info }, got ${describeValue(r)} (missing ${missing.join(', ')}).`);
          return 'step failed';
        }
        const { obs, reward, terminated, truncated, info } = s as { obs: unknown; reward: unknown; terminated: unknown; truncated: unknown; info: Info };
        if (info === null || typeof info !== 'object' || Array.isArray(info)) {
          fail('step returns { obs, reward, terminated, truncated, info }', `Expected step() to return an info object, got info ${describeValue(info)} at step ${t}.`);
        }
        checkObs(obs, 'step', t);
        if (typeof reward !== 'number' || !Number.isFinite(reward)) {
          fail('rewards are finite numbers', `Expected a finite number reward, got ${describeValue(reward)} from step() at step ${t}.`);
        }
        if (typeof terminated !== 'boolean' || typeof truncated !== 'boolean') {
          fail('terminated and truncated are booleans', `Expected boolean terminated and truncated, got ${describeValue(terminated)} and ${describeValue(truncated)} at step ${t}.`);
        }
        if (record) frames.push({ obs: fingerprint(obs), reward, terminated, truncated });
        if (terminated === true || truncated === true || (typeof terminated !== 'boolean' && Boolean(terminated))) {
          if (!doReset({}, t)) return 'reset failed';
        }
      }
      return frames;
    };

    const first = rollout(seed, seed, true);
    if (typeof first !== 'string') {
      pass('reset returns { obs, info }', `reset({ seed: ${seed} }) and ${steps} steps with random actions`);
      pass('reset obs is inside the observation space', describeSpace(env.observationSpace));
      pass('step returns { obs, reward, terminated, truncated, info }', `${steps} steps`);
      pass('step obs is inside the observation space', describeSpace(env.observationSpace));
      pass('rewards are finite numbers', `${steps} steps`);
      pass('terminated and truncated are booleans', `${steps} steps`);
      pass('observations contain no NaN or Infinity', `${steps} steps`);
      const again = rollout(seed, seed, true);
      const other = rollout(seed + 1, seed, true);
      if (typeof again === 'string' || typeof other === 'string') {
        fail('same seed gives the same trajectory', `Expected the env to reset and step again after a first trajectory, got: ${typeof again === 'string' ? again : other}.`);
        fail('different seeds give different trajectories', 'Expected a second trajectory, got none (see the other checks).');
      } else {
        const diff = firstDifference(first, again);
        if (diff === null) pass('same seed gives the same trajectory', `two runs of reset({ seed: ${seed} }) and ${steps} seeded random steps`);
        else fail('same seed gives the same trajectory', `Expected reset({ seed: ${seed} }) and the same actions to give the same trajectory twice, got ${diff}. Draw randomness only from this.rng, reseeded in reset().`);
        if (firstDifference(first, other) === null) {
          warnings.push(`reset({ seed: ${seed} }) and reset({ seed: ${seed + 1} }) gave the same trajectory: fine for a deterministic env, a bug if reset() ignores its seed.`);
          pass('different seeds give different trajectories', 'identical trajectories (see warnings): allowed for a deterministic env');
        } else {
          pass('different seeds give different trajectories', `seeds ${seed} and ${seed + 1} differ`);
        }
      }
    } else {
      for (const name of ['same seed gives the same trajectory', 'different seeds give different trajectories'] as const) {
        fail(name, `Expected a complete trajectory to compare, got: ${first} (see the other checks).`);
      }
      // Checks never reached after a failed reset also fail, so a broken env cannot pass them by default.
      if (first === 'reset failed') {
        for (const name of ['step returns { obs, reward, terminated, truncated, info }', 'step obs is inside the observation space', 'rewards are finite numbers', 'terminated and truncated are booleans'] as EnvCheck['name'][]) {
          fail(name, 'Expected to reach step(), got a failed reset() first (see the reset check).');
        }
      }
      // Checks the failed trajectory did pass on its way (e.g. rewards before a step that threw).
      for (const name of dependent) pass(name, 'passed until the trajectory stopped (see the failed checks)');
    }
  }

  // Scene.
  if (typeof env.scene !== 'function' || options.skipScene) {
    pass('scene() returns a valid scene', typeof env.scene !== 'function' ? 'skipped: the env has no scene()' : 'skipped by option');
  } else {
    try {
      const why = explainInvalidScene(env.scene());
      if (why === null) pass('scene() returns a valid scene', 'scene() after the last step');
      else fail('scene() returns a valid scene', why);
    } catch (err) {
      fail('scene() returns a valid scene', `Expected scene() to return a scene, got a thrown ${errorText(err)}`);
    }
  }

  // Close twice.
  try {
    env.close();
    env.close();
    pass('close() twice is harmless', 'closed twice');
  } catch (err) {
    fail('close() twice is harmless', `Expected close() twice to be harmless, got a thrown ${errorText(err)}`);
  }

  const list = ENV_CHECKS.map((name) => checks.get(name) ?? { name, ok: false, message: 'Expected this check to run, got nothing (a checker bug).' });
  return { ok: list.every((c) => c.ok), checks: list, warnings };
}

function firstDifference(a: Frame[], b: Frame[]): string | null {
  const n = Math.min(a.length, b.length);
  for (let t = 0; t < n; t++) {
    const x = a[t]!, y = b[t]!;
    if (x.obs !== y.obs) return `a different observation at step ${t}: ${cut(x.obs)} then ${cut(y.obs)}`;
    // NaN in both runs is the same reward (the finite-reward check reports it), not a difference: NaN !== NaN.
    if (x.reward !== y.reward && !(Number.isNaN(x.reward) && Number.isNaN(y.reward))) return `a different reward at step ${t}: ${describeValue(x.reward)} then ${describeValue(y.reward)}`;
    if (x.terminated !== y.terminated || x.truncated !== y.truncated) return `different terminated/truncated at step ${t}`;
  }
  return a.length === b.length ? null : `trajectories of different lengths (${a.length} and ${b.length})`;
}

function cut(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `checkEnv`, throwing `EnvCheckFailed` that lists every failed check with its message. Returns the report when all pass. */
export function assertEnvOk(env: AnyEnv, options: CheckEnvOptions = {}): EnvCheckReport {
  const name = env.spec?.id ?? env.unwrapped.constructor.name;
  const report = checkEnv(env, options);
  if (!report.ok) {
    const failed = report.checks.filter((c) => !c.ok);
    const lines = failed.map((c) => `- ${c.name}: ${c.message}`).join('\n');
    throw new EnvCheckFailed(`${name}: ${failed.length} of ${report.checks.length} environment checks failed:\n${lines}`);
  }
  return report;
}
