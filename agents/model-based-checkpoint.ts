/**
 * The ensemble's part of a model-based checkpoint. The wrapped agent writes its own checkpoint folder; the fitted
 * ensemble then goes into `<checkpoint>/world/` as a checkpoint folder of its own (assembled under a temp name,
 * renamed into place, manifest last), with the wrapper's refit schedule and counters. Reading it back lets a run's
 * evaluation plan through the model it was trained with, and a resumed run plan at once instead of after a refit.
 *
 * A checkpoint without world/ (written before the ensemble was saved, before the first fit, or by a save killed
 * between the agent's folder and the ensemble's) reads as `null`: the caller falls back to the agent's own policy
 * and says so. A damaged world/ is a `CorruptFile` naming the file.
 */
import { join } from 'node:path';
import type { JsonValue } from '../core/env.js';
import { CorruptFile, describeValue } from '../core/errors.js';
import { isRngState, type RngState } from '../core/rng.js';
import { checkpointStatus, STATE } from '../core/node/checkpoint/checkpoint.js';
import { EnsembleDynamics, type DynamicsFunctions } from '../models/world/dynamics.js';
import { ReplayBuffer } from '../replay/replay-buffer.js';
import type { ActionKind } from '../replay/types.js';

/** The folder inside a checkpoint that holds the ensemble. */
export const WORLD_DIR = 'world';

/** The wrapper's own state that a resumed run continues from: counts, the refit schedule, and its rollout rng. */
export interface WorldSchedule {
  realSeen: number;
  imaginedMade: number;
  fits: number;
  fitSeconds: number;
  /** Elites' held-out MSE of the last fit (standardised units); NaN before one. */
  lastMse: number;
  horizon: number;
  /** Env step of the last refit and of the last round of rollouts (-1: none yet). */
  lastFitStep: number;
  lastRolloutStep: number;
}

const SCHEDULE_KEYS = ['realSeen', 'imaginedMade', 'fits', 'fitSeconds', 'lastMse', 'horizon', 'lastFitStep', 'lastRolloutStep'] as const;

/** Writes `model` and the wrapper's schedule and rollout rng into `<checkpointDir>/world/`. */
export async function writeWorldModel(checkpointDir: string, model: EnsembleDynamics, schedule: WorldSchedule, rolloutRng: RngState): Promise<void> {
  // JSON has no NaN: the MSE before any fit is written as null.
  const counters: Record<string, JsonValue> = Object.fromEntries(SCHEDULE_KEYS.map((k) => [k, Number.isFinite(schedule[k]) ? schedule[k] : null]));
  await model.save(join(checkpointDir, WORLD_DIR), { counters, rngs: { rollouts: rolloutRng } });
}

/** What `readWorldModel` finds: the ensemble, the wrapper's schedule and its rollout rng. */
export interface SavedWorldModel {
  model: EnsembleDynamics;
  schedule: WorldSchedule;
  rolloutRng: RngState;
  /** The folder it was read from. */
  dir: string;
}

/**
 * The ensemble saved in `<checkpointDir>/world/` (`fns` re-supplies its termination rule), or null when the
 * checkpoint has none. Throws `CorruptFile` naming the file when world/ is there but damaged or incomplete.
 */
export async function readWorldModel(checkpointDir: string, fns: DynamicsFunctions): Promise<SavedWorldModel | null> {
  const dir = join(checkpointDir, WORLD_DIR);
  const status = await checkpointStatus(dir);
  if (!status.exists) return null;
  if (!status.ok) throw new CorruptFile(status.path, `${status.reason} The saved ensemble of ${checkpointDir} is damaged; evaluate an older checkpoint.`);
  const { model, counters, rngs } = await EnsembleDynamics.read(dir, fns);
  const statePath = join(dir, STATE);
  const schedule = {} as WorldSchedule;
  for (const k of SCHEDULE_KEYS) {
    const v = counters[k];
    if (!(typeof v === 'number' || (k === 'lastMse' && v === null))) throw new CorruptFile(statePath, `Expected counters.host.${k} in ${statePath} to be a number, got ${describeValue(v)}.`);
    schedule[k] = v ?? NaN;
  }
  const rolloutRng = rngs['rollouts'];
  if (!isRngState(rolloutRng)) throw new CorruptFile(statePath, `Expected rng state 'rollouts' in ${statePath}, got ${describeValue(rolloutRng)}.`);
  return { model, schedule, rolloutRng, dir };
}

/**
 * Copies the rows of a restored agent's replay (one-step, oldest first) into the model's real-data replay `real`
 * (rows of stateDim d, actions of width aw) and returns how many; 0 when there is none to adopt.
 */
export function adoptReplayRows(real: ReplayBuffer<ActionKind, unknown>, replay: unknown, kind: 'continuous' | 'discrete', d: number, aw: number): number {
  if (!(replay instanceof ReplayBuffer) || replay.size === 0 || replay.nStep !== 1) return 0;
  const r = replay as ReplayBuffer<ActionKind, unknown>;
  const first = r.size < r.capacity ? 0 : r.position;
  for (let k = 0; k < r.size; k++) {
    const i = (first + k) % r.capacity;
    const action = kind === 'continuous' ? r.actions.subarray(i * aw, (i + 1) * aw) : r.actions[i]!;
    real.add(r.obs.subarray(i * d, (i + 1) * d), action as never, r.rewards[i]!, r.nextObs.subarray(i * d, (i + 1) * d), r.terminated[i] === 1, r.truncated[i] === 1);
  }
  return r.size;
}
