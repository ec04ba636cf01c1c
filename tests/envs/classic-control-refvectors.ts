/**
 * Loads Gymnasium's reference trajectories for the classic-control conformance tests: every `<EnvId>*.json` in
 * the folder named by RXGYM_REFVECTORS (so held-out files can be dropped in), else tests/refvectors.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One recorded step: the result of `actions[k]` from the state after step k - 1. */
export interface RefStep {
  obs: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  state: number[];
}

/** One recorded episode. */
export interface RefCase {
  seed: number;
  note?: string;
  reset_options?: Record<string, number>;
  initial_state_overridden?: boolean;
  initial_state: number[];
  initial_obs: number[];
  actions: (number | number[])[];
  steps: RefStep[];
  ends_with: 'terminated' | 'truncated' | 'step_budget';
  tags: string[];
  open_loop_sensitivity?: {
    max_abs_state_diff: number;
    first_step_index_state_diff_gt: Record<'1e-9' | '1e-6' | '1e-3', number | null>;
    flags_identical: boolean;
  };
}

/** A parsed reference file. */
export interface RefFile {
  file: string;
  env_id: string;
  /** Constructor keyword arguments of the recording (Gymnasium's `env_kwargs`), in rxgym's camelCase. */
  kwargs: Record<string, unknown>;
  cases: RefCase[];
}

/** `sutton_barto_reward` -> `suttonBartoReward`. */
function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const here = dirname(fileURLToPath(import.meta.url));
/** The folder the reference files are read from. */
export const refDir = process.env['RXGYM_REFVECTORS'] ?? join(here, '..', 'refvectors');

/** Every reference file of `envId` (`<envId>.json`, `<envId>.<split>.json`, `<envId>__<variant>...json`), parsed once. */
export function loadRefFiles(envId: string): RefFile[] {
  const names = readdirSync(refDir)
    .filter((f) => f.endsWith('.json') && (f === `${envId}.json` || f.startsWith(`${envId}.`) || f.startsWith(`${envId}__`)))
    .sort();
  return names.map((name) => {
    const data = JSON.parse(readFileSync(join(refDir, name), 'utf8')) as RefFile & { env_kwargs?: Record<string, unknown> };
    const kwargs = Object.fromEntries(Object.entries(data.env_kwargs ?? {}).map(([k, v]) => [camelCase(k), v]));
    return { file: name, env_id: data.env_id, kwargs, cases: data.cases };
  });
}

const scratch = new DataView(new ArrayBuffer(4));

/** The gap between float32 `x` and the next float32 away from zero. */
export function f32Ulp(x: number): number {
  const f = Math.fround(Math.abs(x));
  scratch.setFloat32(0, f);
  scratch.setUint32(0, scratch.getUint32(0) + 1);
  return scratch.getFloat32(0) - f;
}

/** True when float32 `got` equals `want` (a float32 widened to float64) or lies one float32 ulp away. */
export function f32Close(got: number, want: number): boolean {
  if (Math.fround(got) === Math.fround(want)) return true;
  return Math.abs(got - want) <= f32Ulp(want) * 1.0000001;
}

/** `|got - want| <= tol * max(1, |want|)`. */
export function relClose(got: number, want: number, tol: number): boolean {
  return Math.abs(got - want) <= tol * Math.max(1, Math.abs(want));
}
