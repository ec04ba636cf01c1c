/**
 * Conformance of the classic-control environments with Gymnasium 1.4's own trajectories, through `make(id)`
 * (so TimeLimit truncation and the passive checker are exercised too).
 */
import { describe, expect, it } from 'vitest';
import '../../envs/builtin.js';
import type { AnyEnv } from '../../core/env.js';
import { explainNotContained } from '../../core/spaces.js';
import { make } from '../../envs/registry.js';
import { f32Close, loadRefFiles, relClose, type RefCase } from './classic-control-refvectors.js';

const ids = ['CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1'] as const;

/** The action as the env takes it: a number for Discrete, a Float32Array for Box. */
function toAction(a: number | number[]): number | Float32Array {
  return typeof a === 'number' ? a : Float32Array.from(a);
}

/**
 * The state to set before step k. MountainCarContinuous stores its state as float32 after every step, and its
 * arithmetic follows that dtype: a Float32Array says so.
 */
function stateBefore(id: string, c: RefCase, k: number): number[] | Float32Array {
  if (k === 0) return c.initial_state;
  const s = c.steps[k - 1]!.state;
  return id === 'MountainCarContinuous-v0' ? Float32Array.from(s) : s;
}

/**
 * A made env for case `c`. rxgym's passive checker rejects actions outside the action space, Gymnasium's only
 * warns; the cases that feed out-of-bounds actions (to check the clipping) run without it.
 */
function envFor(checked: AnyEnv, unchecked: AnyEnv, c: RefCase): AnyEnv {
  const outside = c.actions.some((a) => explainNotContained(checked.actionSpace, toAction(a)) !== null);
  return outside ? unchecked : checked;
}

function stateOf(env: AnyEnv): ArrayLike<number> {
  return (env.unwrapped as unknown as { state: ArrayLike<number> }).state;
}

function mismatch(what: string, got: ArrayLike<number> | number, want: ArrayLike<number> | number): string {
  const g = typeof got === 'number' ? got : Array.from(got);
  return `${what}: got ${JSON.stringify(g)}, want ${JSON.stringify(want)}`;
}

/** Whether a recorded reset state lies where rxgym's reset draws (the documented start distribution). */
const startRange: Record<(typeof ids)[number], (s: number[], low?: number, high?: number) => boolean> = {
  'CartPole-v1': (s, low = -0.05, high = 0.05) => s.every((v) => v >= low && v < high),
  'MountainCar-v0': (s, low = -0.6, high = -0.4) => s[0]! >= low && s[0]! < high && s[1] === 0,
  'MountainCarContinuous-v0': (s, low = -0.6, high = -0.4) => s[0]! >= low && s[0]! < high && s[1] === 0,
  'Pendulum-v1': (s) => s[0]! >= -Math.PI && s[0]! <= Math.PI && s[1]! >= -1 && s[1]! <= 1,
  'Acrobot-v1': (s, low = -0.1, high = 0.1) => s.every((v) => Math.fround(v) === v && v >= Math.fround(low) && v <= Math.fround(high)),
};

for (const id of ids) {
  const files = loadRefFiles(id);

  describe(`${id} matches Gymnasium`, () => {
    it('has reference files (the shipped folder holds every env; RXGYM_REFVECTORS may hold a subset)', () => {
      if (process.env['RXGYM_REFVECTORS'] === undefined) expect(files.length).toBeGreaterThan(0);
      else expect(ids.some((other) => loadRefFiles(other).length > 0)).toBe(true);
      for (const f of files) expect(f.env_id).toBe(id);
    });

    for (const file of files) {
      it(`${file.file}: every step of every case, from the recorded state and step count`, () => {
        const checked = make(id, file.kwargs), unchecked = make(id, file.kwargs, { disableEnvChecker: true });
        const problems: string[] = [];
        let count = 0;
        for (const c of file.cases) {
          const env = envFor(checked, unchecked, c);
          for (let k = 0; k < c.steps.length; k++) {
            env.reset({ options: { state: stateBefore(id, c, k), elapsedSteps: k } });
            const r = env.step(toAction(c.actions[k]!) as never);
            const want = c.steps[k]!;
            const where = `seed ${c.seed} step ${k}`;
            if (r.terminated !== want.terminated || r.truncated !== want.truncated) {
              problems.push(`${where} flags: got ${r.terminated}/${r.truncated}, want ${want.terminated}/${want.truncated}`);
            }
            if (!relClose(r.reward, want.reward, 1e-12)) problems.push(`${where} ${mismatch('reward', r.reward, want.reward)}`);
            const state = stateOf(env);
            if (state.length !== want.state.length || want.state.some((v, i) => !relClose(state[i]!, v, 1e-12))) {
              problems.push(`${where} ${mismatch('state', state, want.state)}`);
            }
            const obs = r.obs as Float32Array;
            if (!(obs instanceof Float32Array) || obs.length !== want.obs.length || want.obs.some((v, i) => !f32Close(obs[i]!, v))) {
              problems.push(`${where} ${mismatch('obs', obs, want.obs)}`);
            }
            count++;
          }
        }
        expect(problems.slice(0, 10)).toEqual([]);
        expect(count).toBeGreaterThan(0);
      });

      it(`${file.file}: recorded reset states lie in the documented start ranges`, () => {
        for (const c of file.cases) {
          if (c.initial_state_overridden) continue;
          const o = c.reset_options ?? {};
          expect(startRange[id](c.initial_state, o['low'], o['high']), `seed ${c.seed}: ${c.initial_state}`).toBe(true);
        }
      });

      it(`${file.file}: initial observations from the recorded initial states`, () => {
        const env = make(id, file.kwargs);
        for (const c of file.cases) {
          const { obs } = env.reset({ options: { state: c.initial_state } });
          const o = obs as Float32Array;
          expect(o).toBeInstanceOf(Float32Array);
          expect(c.initial_obs.every((v, i) => f32Close(o[i]!, v)), `seed ${c.seed}: ${Array.from(o)} vs ${c.initial_obs}`).toBe(true);
        }
      });

      it(`${file.file}: whole episodes from the initial state, within the recorded open-loop sensitivity`, () => {
        const checked = make(id, file.kwargs), unchecked = make(id, file.kwargs, { disableEnvChecker: true });
        for (const c of file.cases) {
          const env = envFor(checked, unchecked, c);
          env.reset({ options: { state: c.initial_state } });
          const sens = c.open_loop_sensitivity;
          const at = sens?.first_step_index_state_diff_gt ?? { '1e-9': null, '1e-6': null, '1e-3': null };
          const until9 = at['1e-9'] ?? Infinity, until6 = at['1e-6'] ?? Infinity, until3 = at['1e-3'] ?? Infinity;
          // Chaotic cases: a one-ulp change of the start moves the state past 1e-9, 1e-6, 1e-3 at known steps; V8's
          // libm differs from glibc's by an ulp now and then, so values are held to the matching tolerance, and
          // flags only as long as the perturbed Gymnasium run kept them.
          const flagsUntil = sens === undefined || sens.flags_identical ? Infinity : until3;
          let ended = false;
          for (let k = 0; k < c.steps.length; k++) {
            expect(ended, `seed ${c.seed}: episode ended before step ${k}`).toBe(false);
            const r = env.step(toAction(c.actions[k]!) as never);
            const want = c.steps[k]!;
            // Ten times the perturbed run's thresholds: our ulp differences come at several steps, not only the first.
            const tol = k < until9 ? 1e-8 : k < until6 ? 1e-5 : k < until3 ? 1e-2 : Infinity;
            if (k < flagsUntil) {
              expect([r.terminated, r.truncated], `seed ${c.seed} step ${k} flags`).toEqual([want.terminated, want.truncated]);
            }
            if (tol !== Infinity) {
              const state = stateOf(env);
              const ok = want.state.every((v, i) => relClose(state[i]!, v, tol)) && relClose(r.reward, want.reward, tol);
              expect(ok, `seed ${c.seed} step ${k}: ${mismatch('state', state, want.state)} (tolerance ${tol})`).toBe(true);
            }
            ended = r.terminated || r.truncated;
          }
          if (flagsUntil === Infinity) expect(ended, `seed ${c.seed}: ends with ${c.ends_with}`).toBe(c.ends_with !== 'step_budget');
        }
      });
    }
  });
}
