/**
 * What a checkpoint holds, for any algorithm, and its encoding: tensors packed into tensors.bin (see tensors.ts),
 * everything else as JSON in state.json with the tensor index. Writing checks every field and names the bad one
 * (`InvalidConfig`); reading checks the structure and names state.json or tensors.bin (`CorruptFile`).
 */
import { join } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../../errors.js';
import { isRngState, type RngState } from '../../rng.js';
import type { NamedArray } from '../../named-array.js';
import { CHECKPOINT_VERSION, STATE, STATE_FORMAT, TENSORS, type CheckpointManifest } from './manifest.js';
import { TensorPacker, unpackTensors, type TensorRef } from './tensors.js';

import type { JsonValue } from '../../env.js';

export type { JsonValue };

/** An optimiser's state as `Optimizer.getState()` returns it. */
export interface OptimizerState {
  steps: number;
  slots: NamedArray[];
}

/** What best-model selection remembers: the best score, the step it was measured at, and every network then. */
export interface SelectionState {
  bestScore: number;
  bestStep: number;
  nets: Record<string, NamedArray[]>;
}

/** Everything a run needs to continue exactly, for any algorithm. */
export interface CheckpointContent {
  /** Algorithm id, e.g. 'dqn'. */
  algo: string;
  /** Global environment step at which the checkpoint was taken. */
  step: number;
  /** The algorithm's resolved config (JSON). */
  config: unknown;
  /** The env's id, its spaces (JSON, e.g. `spaceToJSON`) and, for exact resume, its own saved state (JSON). */
  env: { id: string | null; observationSpace: unknown; actionSpace: unknown; state?: unknown };
  /** Network parameters by role, e.g. { q: q.getParams(), target: target.getParams() }. */
  nets: Record<string, NamedArray[]>;
  /** Optimiser states by role. */
  optimizers: Record<string, OptimizerState>;
  /** Rng states by stream, e.g. { act, sample }. */
  rngs: Record<string, RngState>;
  /** Step, episode and update counters and any other JSON the algorithm keeps. */
  counters: Record<string, JsonValue>;
  /** Best-model selection state (see best-model.ts); null or absent when there is none. */
  selection?: SelectionState | null;
  /** Whether `writeExtra` stored the replay buffer (recorded for the reader). */
  replay?: boolean;
}

/** A checkpoint read back by `readCheckpoint`. */
export interface LoadedCheckpoint extends CheckpointContent {
  /** The folder it was read from (the real name, or `.<name>.previous` after a fall-back). */
  dir: string;
  /** ISO time of writing. */
  createdAt: string;
  selection: SelectionState | null;
  replay: boolean;
}

// ---------------------------------------------------------------------------------------------------------------

interface StateJson {
  format: typeof STATE_FORMAT;
  version: number;
  algo: string;
  step: number;
  config: unknown;
  env: { id: string | null; observationSpace: unknown; actionSpace: unknown; state?: unknown };
  counters: Record<string, JsonValue>;
  rngs: Record<string, RngState>;
  nets: Record<string, TensorRef[]>;
  optimizers: Record<string, { steps: number; slots: TensorRef[] }>;
  selection: { bestScore: number; bestStep: number; nets: Record<string, TensorRef[]> } | null;
  replay: boolean;
}

/** Checks every field (`InvalidConfig` naming it) and encodes the content as state.json text and tensors.bin bytes. */
export function encodeContent(c: CheckpointContent): { state: string; tensors: Uint8Array } {
  if (c === null || typeof c !== 'object') throw new InvalidConfig(`Expected checkpoint content to be an object, got ${describeValue(c)}.`);
  if (typeof c.algo !== 'string' || !/^[\w.-]+$/.test(c.algo)) {
    throw new InvalidConfig(`Expected checkpoint algo to be a non-empty name (letters, digits, . _ -), got ${describeValue(c.algo)}.`);
  }
  if (!Number.isSafeInteger(c.step) || c.step < 0) throw new InvalidConfig(`Expected checkpoint step to be a non-negative integer, got ${describeValue(c.step)}.`);
  checkJson(c.config, 'config');
  const env = c.env as CheckpointContent['env'] | null;
  if (env === null || typeof env !== 'object' || !(env.id === null || typeof env.id === 'string')) {
    throw new InvalidConfig(`Expected checkpoint env to be { id: string | null, observationSpace, actionSpace }, got ${describeValue(env)}.`);
  }
  checkJson(env.observationSpace, 'env.observationSpace');
  checkJson(env.actionSpace, 'env.actionSpace');
  if (env.state !== undefined) checkJson(env.state, 'env.state');
  checkRecord(c.counters, 'counters');
  checkJson(c.counters, 'counters');
  checkRecord(c.rngs, 'rngs');
  for (const [k, s] of Object.entries(c.rngs)) {
    if (!isRngState(s)) throw new InvalidConfig(`Expected checkpoint rngs.${k} to be four unsigned 32-bit integers, not all zero, got ${describeValue(s)}.`);
  }
  const packer = new TensorPacker();
  const packNets = (nets: Record<string, NamedArray[]>, where: string): Record<string, TensorRef[]> => {
    checkRecord(nets, where);
    return Object.fromEntries(Object.entries(nets).map(([k, arrays]) => [k, packer.add(arrays, `${where}.${k}`)]));
  };
  const nets = packNets(c.nets, 'nets');
  checkRecord(c.optimizers, 'optimizers');
  const optimizers = Object.fromEntries(
    Object.entries(c.optimizers).map(([k, o]) => {
      if (o === null || typeof o !== 'object' || !Number.isSafeInteger(o.steps) || o.steps < 0) {
        throw new InvalidConfig(`Expected checkpoint optimizers.${k} to be { steps: non-negative integer, slots }, got ${describeValue(o)}.`);
      }
      return [k, { steps: o.steps, slots: packer.add(o.slots, `optimizers.${k}.slots`) }];
    }),
  );
  let selection: StateJson['selection'] = null;
  if (c.selection !== undefined && c.selection !== null) {
    const s = c.selection;
    if (typeof s.bestScore !== 'number' || !Number.isFinite(s.bestScore) || !Number.isSafeInteger(s.bestStep) || s.bestStep < 0) {
      throw new InvalidConfig(`Expected checkpoint selection to have a finite bestScore and a non-negative integer bestStep, got ${describeValue({ bestScore: s.bestScore, bestStep: s.bestStep })}.`);
    }
    selection = { bestScore: s.bestScore, bestStep: s.bestStep, nets: packNets(s.nets, 'selection.nets') };
  }
  const envJson: StateJson['env'] = { id: env.id, observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  if (env.state !== undefined) envJson.state = env.state;
  const state: StateJson = {
    format: STATE_FORMAT,
    version: CHECKPOINT_VERSION,
    algo: c.algo,
    step: c.step,
    config: c.config,
    env: envJson,
    counters: c.counters,
    rngs: Object.fromEntries(Object.entries(c.rngs).map(([k, s]) => [k, [...s] as RngState])),
    nets,
    optimizers,
    selection,
    replay: c.replay === true,
  };
  return { state: `${JSON.stringify(state, null, 2)}\n`, tensors: packer.finish() };
}

/** Decodes a parsed state.json against tensors.bin; `CorruptFile` names state.json or tensors.bin on a bad structure. */
export function decodeState(json: unknown, tensors: Uint8Array, dir: string, manifest: CheckpointManifest): LoadedCheckpoint {
  const statePath = join(dir, STATE);
  const tensorPath = join(dir, TENSORS);
  const bad = (what: string, got: unknown): CorruptFile =>
    new CorruptFile(statePath, `Expected ${what} in ${statePath}, got ${describeValue(got)}. The checkpoint is damaged; use an older one.`);
  const s = json as Partial<StateJson> | null;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw bad('a checkpoint state object', json);
  if (s.format !== STATE_FORMAT || s.version !== CHECKPOINT_VERSION) {
    throw bad(`format "${STATE_FORMAT}" version ${CHECKPOINT_VERSION}`, { format: s.format, version: s.version });
  }
  if (typeof s.algo !== 'string' || s.algo !== manifest.algo) throw bad(`algo "${manifest.algo}" (as the manifest says)`, s.algo);
  if (s.step !== manifest.step) throw bad(`step ${manifest.step} (as the manifest says)`, s.step);
  const env = s.env;
  if (env === null || typeof env !== 'object' || !(env.id === null || typeof env.id === 'string') || !('observationSpace' in env) || !('actionSpace' in env)) {
    throw bad('env { id, observationSpace, actionSpace }', env);
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isRecord(s.counters)) throw bad('counters (an object)', s.counters);
  if (!isRecord(s.rngs) || !Object.values(s.rngs).every(isRngState)) throw bad('rngs (rng states of four unsigned 32-bit integers)', s.rngs);
  const unpackNets = (nets: unknown, where: string): Record<string, NamedArray[]> => {
    if (!isRecord(nets)) throw bad(`${where} (an object of tensor lists)`, nets);
    return Object.fromEntries(Object.entries(nets).map(([k, refs]) => [k, unpackTensors(refs, tensors, `${where}.${k}`, statePath, tensorPath)]));
  };
  const nets = unpackNets(s.nets, 'nets');
  if (!isRecord(s.optimizers)) throw bad('optimizers (an object)', s.optimizers);
  const optimizers: Record<string, OptimizerState> = {};
  for (const [k, o] of Object.entries(s.optimizers)) {
    if (!isRecord(o) || !Number.isSafeInteger(o.steps) || (o.steps as number) < 0) throw bad(`optimizers.${k} { steps, slots }`, o);
    optimizers[k] = { steps: o.steps as number, slots: unpackTensors(o.slots, tensors, `optimizers.${k}.slots`, statePath, tensorPath) };
  }
  let selection: SelectionState | null = null;
  if (s.selection !== null && s.selection !== undefined) {
    const sel = s.selection as Partial<StateJson['selection'] & object>;
    if (typeof sel.bestScore !== 'number' || !Number.isSafeInteger(sel.bestStep)) throw bad('selection { bestScore, bestStep, nets }', sel);
    selection = { bestScore: sel.bestScore, bestStep: sel.bestStep as number, nets: unpackNets(sel.nets, 'selection.nets') };
  }
  const loadedEnv: CheckpointContent['env'] = { id: env.id, observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  if ('state' in env) loadedEnv.state = env.state;
  return {
    dir,
    createdAt: manifest.createdAt,
    algo: s.algo,
    step: s.step,
    config: s.config,
    env: loadedEnv,
    counters: s.counters as Record<string, JsonValue>,
    rngs: s.rngs as Record<string, RngState>,
    nets,
    optimizers,
    selection,
    replay: s.replay === true,
  };
}

/** True for an xoshiro128 state: four unsigned 32-bit integers, not all zero. */
export { isRngState };

function checkRecord(value: unknown, where: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidConfig(`Expected checkpoint ${where} to be an object keyed by name, got ${describeValue(value)}.`);
  }
}

/** Throws `InvalidConfig` naming the first value under `where` that JSON would lose (NaN, undefined, a class...). */
function checkJson(value: unknown, where: string, depth = 0): void {
  if (depth > 64) throw new InvalidConfig(`Expected checkpoint ${where} to be JSON, got a structure nested over 64 levels (cyclic?).`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidConfig(`Expected checkpoint ${where} to be JSON (a finite number), got ${describeValue(value)}.`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${where}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    for (const [k, v] of Object.entries(value)) checkJson(v, `${where}.${k}`, depth + 1);
    return;
  }
  throw new InvalidConfig(`Expected checkpoint ${where} to be JSON (null, boolean, number, string, array or plain object), got ${describeValue(value)}.`);
}

