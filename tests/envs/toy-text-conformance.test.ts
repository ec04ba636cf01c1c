/**
 * Conformance of the toy-text environments against Gymnasium's recorded trajectories: every `*.json` file
 * in $RXGYM_REFVECTORS (default tests/refvectors) whose env_id is a toy-text id is checked step by step,
 * as whole episodes, and through its full transition table. The code checks dynamics, not particular cases,
 * so held-out files are checked the same way.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import '../../envs/builtin.js';
import type { AnyEnv } from '../../core/env.js';
import { make, spec } from '../../envs/registry.js';
import type { FrozenLakeEnv, TabularEnv, TaxiEnv } from '../../envs/toy-text/index.js';

interface RefStep {
  obs: number;
  state?: number;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  prob?: number;
  action_mask?: number[];
  uniform_draws?: number[];
}
interface RefCase {
  seed: number;
  env_kwargs?: Record<string, unknown>;
  note?: string;
  initial_state: number;
  initial_obs: number;
  reset_uniform_draws?: number[];
  initial_state_overridden?: boolean;
  actions: number[];
  steps: RefStep[];
  ends_with: 'terminated' | 'truncated' | 'step_budget';
}
interface RefFile {
  env_id: string;
  env_kwargs?: Record<string, unknown>;
  map?: string[];
  transition_table?: [number, number, number, boolean][][][];
  initial_state_distribution_nonzero?: number[];
  cases: RefCase[];
}

const TOY_TEXT_IDS = new Set(['FrozenLake-v1', 'FrozenLake8x8-v1', 'CliffWalking-v1', 'Taxi-v4']);
const defaultDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'refvectors');
const dir = process.env['RXGYM_REFVECTORS'] ?? defaultDir;

const files: { name: string; ref: RefFile }[] = readdirSync(dir)
  .filter((name) => name.endsWith('.json') && name !== 'spec.json')
  .map((name) => ({ name, ref: JSON.parse(readFileSync(join(dir, name), 'utf8')) as RefFile }))
  .filter(({ ref }) => TOY_TEXT_IDS.has(ref.env_id));

/** Gymnasium's snake_case kwargs as rxgym's camelCase options. */
function camelKwargs(kwargs: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs ?? {})) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

/** Replaces the env's uniform source with `draws`; the returned function tells how many were used. */
function feedUniforms(base: TabularEnv, draws: readonly number[]): () => number {
  let used = 0;
  base.uniform = () => {
    if (used >= draws.length) throw new Error(`the env drew uniform #${used + 1}, but only ${draws.length} were recorded`);
    return draws[used++]!;
  };
  return () => used;
}

function expectStep(got: ReturnType<AnyEnv['step']>, want: RefStep, where: string): void {
  expect(got.obs, `${where} obs`).toBe(want.obs);
  expect(got.reward, `${where} reward`).toBe(want.reward);
  expect(got.terminated, `${where} terminated`).toBe(want.terminated);
  expect(got.truncated, `${where} truncated`).toBe(want.truncated);
  if (want.prob !== undefined) expect(got.info['prob'], `${where} info.prob`).toBe(want.prob);
  if (want.action_mask !== undefined) {
    expect(Array.from(got.info['action_mask'] as Int8Array), `${where} info.action_mask`).toEqual(want.action_mask);
  }
}

describe('toy-text reference files', () => {
  it('are found', () => {
    if (dir === defaultDir) expect(files.map((f) => f.ref.env_id).sort()).toEqual(['CliffWalking-v1', 'FrozenLake-v1', 'FrozenLake-v1', 'Taxi-v4']);
    for (const { name, ref } of files) expect(ref.cases.length, name).toBeGreaterThan(0);
  });
});

for (const { name, ref } of files) {
  const fileKwargs = camelKwargs(ref.env_kwargs);
  const kwargsOf = (c: RefCase): Record<string, unknown> => ({ ...fileKwargs, ...camelKwargs(c.env_kwargs) });

  describe(name, () => {
    it('has the same transition table P, exhaustively', () => {
      const base = make(ref.env_id, fileKwargs).unwrapped as TabularEnv;
      if (ref.map) expect((base as FrozenLakeEnv).desc).toEqual(ref.map);
      if (!ref.transition_table) return;
      expect(base.P.length).toBe(ref.transition_table.length);
      for (let s = 0; s < ref.transition_table.length; s++) {
        expect(base.P[s]!.length, `P[${s}] actions`).toBe(ref.transition_table[s]!.length);
        for (let a = 0; a < ref.transition_table[s]!.length; a++) {
          // toEqual compares numbers with Object.is: probabilities must match to the last bit.
          expect(base.P[s]![a], `P[${s}][${a}]`).toEqual(ref.transition_table[s]![a]);
        }
      }
    });

    it('reproduces every recorded step from its recorded state and step count', () => {
      for (const c of ref.cases) {
        const env = make(ref.env_id, kwargsOf(c));
        const base = env.unwrapped as TabularEnv;
        const defaultUniform = base.uniform;
        for (let k = 0; k < c.steps.length; k++) {
          const want = c.steps[k]!;
          const from = k === 0 ? c.initial_state : (c.steps[k - 1]!.state ?? c.steps[k - 1]!.obs);
          const where = `seed ${c.seed} step ${k}`;
          base.uniform = defaultUniform;
          env.reset({ options: { state: from, elapsedSteps: k } });
          const outcomes = base.P[from]![c.actions[k]!]!;
          if (want.uniform_draws) {
            const used = feedUniforms(base, want.uniform_draws);
            expectStep(env.step(c.actions[k]!), want, where);
            expect(used(), `${where} uniforms used`).toBe(want.uniform_draws.length);
          } else if (outcomes.length === 1) {
            expectStep(env.step(c.actions[k]!), want, where);
          } else {
            // A random step recorded without its draw: the outcome must be one Gymnasium could have drawn.
            const got = env.step(c.actions[k]!);
            const match = outcomes.some(([p, s, r, t]) => got.obs === s && got.reward === r && got.terminated === t && got.info['prob'] === p);
            expect(match, `${where} outcome in P`).toBe(true);
            expect(outcomes.some(([p, s, r, t]) => want.obs === s && want.reward === r && want.terminated === t && (want.prob ?? p) === p), `${where} ref in P`).toBe(true);
          }
        }
      }
    });

    it('reproduces whole episodes from reset', () => {
      for (const c of ref.cases) {
        const env = make(ref.env_id, kwargsOf(c));
        const base = env.unwrapped as TabularEnv;
        const replayable = c.steps.every((st, k) => st.uniform_draws !== undefined || base.P[k === 0 ? c.initial_state : c.steps[k - 1]!.obs]![c.actions[k]!]!.length === 1);
        if (!replayable) continue;
        let used = () => 0;
        let draws: number[] = [];
        if (c.reset_uniform_draws && !c.initial_state_overridden) {
          // Drive reset's categorical draw too: the start state comes from the recorded uniform.
          draws = [...c.reset_uniform_draws, ...c.steps.flatMap((st) => st.uniform_draws ?? [])];
          used = feedUniforms(base, draws);
          expect(env.reset({ seed: c.seed }).obs).toBe(c.initial_obs);
        } else {
          if (c.steps.some((st) => st.uniform_draws)) {
            draws = c.steps.flatMap((st) => st.uniform_draws ?? []);
            used = feedUniforms(base, draws);
          }
          expect(env.reset({ seed: c.seed, options: { state: c.initial_state } }).obs).toBe(c.initial_obs);
        }
        expect(c.initial_obs).toBe(c.initial_state);
        let last: ReturnType<AnyEnv['step']> | undefined;
        for (let k = 0; k < c.steps.length; k++) {
          last = env.step(c.actions[k]!);
          expectStep(last, c.steps[k]!, `seed ${c.seed} episode step ${k}`);
        }
        expect(used()).toBe(draws.length);
        expect(last!.terminated).toBe(c.ends_with === 'terminated');
        expect(last!.truncated).toBe(c.ends_with === 'truncated');
      }
    });

    it('starts episodes where Gymnasium does', () => {
      const env = make(ref.env_id, fileKwargs);
      const base = env.unwrapped as TabularEnv;
      const support = [...base.initialStateDistrib.keys()].filter((s) => base.initialStateDistrib[s]! > 0);
      if (ref.initial_state_distribution_nonzero) expect(support).toEqual(ref.initial_state_distribution_nonzero);
      for (const c of ref.cases) expect(support).toContain(c.initial_state);
      const seen = new Set<number>();
      for (let seed = 0; seed < 3000; seed++) {
        const { obs, info } = env.reset({ seed });
        expect(support).toContain(obs);
        expect(info['prob']).toBe(1);
        seen.add(obs as number);
      }
      // 3000 seeded resets cover every start state (300 for Taxi, 1 for FrozenLake and CliffWalking).
      expect(seen.size).toBe(support.length);
      expect(base.initialStateDistrib.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    });

    if (ref.env_id === 'Taxi-v4') {
      it('gives action masks that flag exactly the actions that change the state', () => {
        const base = make(ref.env_id, fileKwargs).unwrapped as TaxiEnv;
        const table = ref.transition_table ?? (base.P as unknown as [number, number, number, boolean][][][]);
        for (let s = 0; s < table.length; s++) {
          const mask = base.actionMask(s);
          for (let a = 0; a < 6; a++) {
            const changes = table[s]![a]!.map(([, next]) => next !== s);
            expect(mask[a], `mask[${s}][${a}]`).toBe(changes[0] ? 1 : 0);
            if (!changes[0]) expect(changes.every((x) => !x)).toBe(true);
          }
        }
        for (const c of ref.cases) {
          const env = make(ref.env_id, kwargsOf(c));
          const { info } = env.reset({ options: { state: c.initial_state } });
          expect(Array.from(info['action_mask'] as Int8Array)).toEqual(Array.from(base.actionMask(c.initial_state)));
        }
      });
    }
  });
}

describe('toy-text registrations', () => {
  const specPath = existsSync(join(dir, 'spec.json')) ? join(dir, 'spec.json') : join(defaultDir, 'spec.json');
  const refSpecs = JSON.parse(readFileSync(specPath, 'utf8')) as Record<string, {
    entry_point: string;
    kwargs: Record<string, unknown>;
    max_episode_steps: number | null;
    reward_threshold: number | null;
    observation_space: { n: number };
    action_space: { n: number };
    render_fps: number;
  }>;

  it('match Gymnasium: limits, thresholds, kwargs, spaces and render fps', () => {
    let checked = 0;
    for (const id of TOY_TEXT_IDS) {
      const want = refSpecs[id];
      if (!want) continue;
      checked++;
      const got = spec(id);
      expect(got.maxEpisodeSteps, id).toBe(want.max_episode_steps ?? undefined);
      expect(got.rewardThreshold, id).toBe(want.reward_threshold ?? undefined);
      expect(got.entryPoint, id).toBe(want.entry_point.split(':')[1]);
      expect(got.kwargs, id).toEqual(camelKwargs(want.kwargs));
      const env = make(id);
      expect(env.observationSpace).toEqual({ kind: 'discrete', n: want.observation_space.n, start: 0 });
      expect(env.actionSpace).toEqual({ kind: 'discrete', n: want.action_space.n, start: 0 });
      expect(env.metadata.renderFps).toBe(want.render_fps);
      expect(String(env).includes('TimeLimit'), id).toBe(want.max_episode_steps !== null);
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('register FrozenLake8x8-v1 and Blackjack-v1 as Gymnasium does', () => {
    expect(spec('FrozenLake8x8-v1')).toMatchObject({ maxEpisodeSteps: 200, rewardThreshold: 0.85, kwargs: { mapName: '8x8' }, entryPoint: 'FrozenLakeEnv' });
    const bj = spec('Blackjack-v1');
    expect(bj).toMatchObject({ kwargs: { sab: true, natural: false }, entryPoint: 'BlackjackEnv' });
    expect(bj.maxEpisodeSteps).toBeUndefined();
    expect(bj.rewardThreshold).toBeUndefined();
    expect(make('FrozenLake8x8-v1').observationSpace).toEqual({ kind: 'discrete', n: 64, start: 0 });
  });

  it('point the retired ids to the current versions', () => {
    expect(() => make('Taxi-v3')).toThrow('Registered versions: `Taxi-v4`');
    expect(() => make('CliffWalking-v0')).toThrow('Registered versions: `CliffWalking-v1`');
  });
});
