/**
 * Small pieces every algorithm file shares: the wrappers a run applies (frame skip, reward clipping), the engine
 * line `learn()` prints, the action-space check with a message that names the agents that can, and the space
 * check a loaded checkpoint runs against the env it is given.
 */
import { join } from 'node:path';
import type { Env, JsonValue } from '../core/env.js';
import { restoreEnv, snapshotEnv, unsavableLayer, type EnvSnapshot } from '../envs/snapshot.js';
import type { EpisodeInFlight } from './loops/continue-episode.js';
import type { EpisodeState } from './loops/off-policy.js';
import type { Rng } from '../core/rng.js';
import type { ReplayBuffer } from '../replay/replay-buffer.js';
import type { ActionKind } from '../replay/types.js';
import { saveReplay } from '../replay/node/files.js';
import { writeCheckpoint, type CheckpointContent, type LoadedCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { CorruptFile, InvalidConfig, InvalidSpace, describeValue } from '../core/errors.js';
import { describeSpace, flatdim, flatten, spaceFromJSON, spaceToJSON, spacesEqual, type AnySpace, type Space } from '../core/spaces.js';
import { ClipReward } from '../envs/wrappers/clip-reward.js';
import { FrameSkip } from '../envs/wrappers/frame-skip.js';
import { RecordEpisodeStatistics } from '../envs/wrappers/record-episode-statistics.js';
import { backendInfo, describeBackend } from '../nn/backend.js';
import { kernelInfo } from '../nn/kernels/simd.js';
import { adam, rmsprop, sgd } from '../nn/optimizers.js';
import type { Activation, LayerSpec, NamedArray, Net, NetSpec, Optimizer } from '../nn/types.js';

/** Which agents take which action spaces (for the message when an agent is given one it cannot use). */
export const AGENTS_BY_ACTION_SPACE: Readonly<Record<string, readonly string[]>> = {
  discrete: ['dqn', 'reinforce'],
  'multi-discrete': ['reinforce'],
  box: ['reinforce', 'ddpg', 'td3'],
};

/** Throws `InvalidSpace` unless the env's action space is one of `kinds`, naming the agents that take it. */
export function requireActionSpace(algo: string, env: Env<unknown, unknown>, kinds: readonly string[]): AnySpace {
  const space = env.actionSpace as AnySpace;
  if (!kinds.includes(space.kind)) {
    const others = AGENTS_BY_ACTION_SPACE[space.kind] ?? [];
    const hint = others.length > 0 ? ` Agents for ${space.kind} actions: ${others.join(', ')}.` : ` No rxgym agent takes ${space.kind} actions yet; wrap the env to change its action space.`;
    throw new InvalidSpace(`Expected a ${kinds.join(' or ')} action space for ${algo}, got ${describeSpace(space)}.${hint}`);
  }
  return space;
}

/**
 * The training env as a run wraps it: FrameSkip (max-pooled frames) when frameSkip > 1, then ClipReward to [-1, 1]
 * over a RecordEpisodeStatistics, so that the logged episode returns stay the environment's own (unclipped).
 */
export function trainingEnv<O, A>(env: Env<O, A>, o: { frameSkip: number; clipReward: boolean }): Env<O, A> {
  let out = env;
  if (o.frameSkip > 1) out = new FrameSkip(out, o.frameSkip) as unknown as Env<O, A>;
  if (o.clipReward) out = new ClipReward(new RecordEpisodeStatistics(out), -1, 1) as unknown as Env<O, A>;
  return out;
}

/** One line naming the engine of `net`: the plain engine with its kernel, or tfjs with its backend. */
export async function describeEngine(net: Net): Promise<string> {
  const widths = [net.inputSize, ...net.spec.layers.flatMap((l) => (l.kind === 'dense' ? [l.units] : []))].join('-');
  if (net.engine === 'plain') {
    const k = kernelInfo();
    return `plain (Float32Array MLP ${widths}, ${k.kernel === 'simd' ? 'WebAssembly SIMD kernel' : `JS loops: ${k.reason ?? 'no SIMD'}`})`;
  }
  return `tfjs (${describeBackend(await backendInfo())})`;
}

/** The env part of a checkpoint: its id and spaces as JSON. */
export function envRecord(env: Env<unknown, unknown>): { id: string | null; observationSpace: unknown; actionSpace: unknown } {
  return { id: env.spec?.id ?? null, observationSpace: spaceToJSON(env.observationSpace as AnySpace), actionSpace: spaceToJSON(env.actionSpace as AnySpace) };
}

/** Throws `InvalidSpace` unless `env` has the spaces a checkpoint was saved with (`CorruptFile` if unreadable). */
export function checkSavedSpaces(saved: { id: string | null; observationSpace: unknown; actionSpace: unknown }, env: Env<unknown, unknown>, where: string): void {
  for (const [what, json, live] of [
    ['observation', saved.observationSpace, env.observationSpace],
    ['action', saved.actionSpace, env.actionSpace],
  ] as const) {
    let space: AnySpace;
    try {
      space = spaceFromJSON(json);
    } catch (cause) {
      throw new CorruptFile(where, `Expected a saved ${what} space in ${where}, got ${describeValue(json)}.`, { cause });
    }
    if (!spacesEqual(space, live as AnySpace)) {
      throw new InvalidSpace(
        `Expected an environment whose ${what} space is ${describeSpace(space)} (as saved${saved.id ? ` for ${saved.id}` : ''}), got ${describeSpace(live as AnySpace)}.`,
      );
    }
  }
}

/** A run's counters as every agent keeps and checkpoints them: steps, episodes, updates, the horizon, recent returns. */
export class RunCounters {
  step = 0;
  episodes = 0;
  updates = 0;
  /** The step the run's schedules end at. */
  totalSteps = 0;
  /** Returns of the last (up to 100) episodes. */
  recentReturns: number[] = [];

  /** Counts a finished episode (global index `episode`) and keeps its return. */
  addEpisode(episode: number, ret: number): void {
    this.episodes = episode + 1;
    this.recentReturns.push(ret);
    if (this.recentReturns.length > 100) this.recentReturns.shift();
  }
  /** Mean of the recent returns, NaN before the first episode. */
  get meanReturn(): number {
    const r = this.recentReturns;
    return r.length > 0 ? r.reduce((a, b) => a + b, 0) / r.length : NaN;
  }
  /** JSON for a checkpoint's `counters`. */
  toJSON(): { step: number; episodes: number; updates: number; totalSteps: number; recentReturns: number[] } {
    return { step: this.step, episodes: this.episodes, updates: this.updates, totalSteps: this.totalSteps, recentReturns: [...this.recentReturns] };
  }
  /** Restores `toJSON()` output; `CorruptFile` names `where` when a field is missing. */
  restore(json: Record<string, unknown>, where: string): void {
    for (const key of ['step', 'episodes', 'updates', 'totalSteps'] as const) {
      const v = json[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CorruptFile(where, `Expected counters.${key} in ${where} to be a non-negative integer, got ${describeValue(v)}.`);
      this[key] = v;
    }
    const r = json['recentReturns'];
    this.recentReturns = Array.isArray(r) ? r.filter((x): x is number => typeof x === 'number') : [];
  }
}

/** The optimiser a config names, over `nets`: Adam (eps default 1e-8), RMSProp (1e-7) or SGD; `eps` null keeps the default. */
export function makeOptimizer(kind: 'adam' | 'rmsprop' | 'sgd', nets: Net[], learningRate: number, maxGradNorm: number | null, eps: number | null = null): Optimizer {
  const common = { learningRate, maxGradNorm, ...(eps !== null ? { eps } : {}) };
  return kind === 'adam' ? adam(nets, common) : kind === 'rmsprop' ? rmsprop(nets, common) : sgd(nets, { learningRate, maxGradNorm });
}

/** Writes an agent's checkpoint, with its replay buffer in `replay/` when one is given. */
export async function saveCheckpoint(dir: string, content: Omit<CheckpointContent, 'replay'>, replay: ReplayBuffer<ActionKind, unknown> | null): Promise<void> {
  await writeCheckpoint(dir, { ...content, replay: replay !== null }, replay !== null ? { writeExtra: (tmp) => saveReplay(replay, join(tmp, 'replay')) } : {});
}

/** Restores each named rng from a checkpoint; `CorruptFile` names the checkpoint when one is missing. */
export function restoreRngs(saved: LoadedCheckpoint, rngs: Record<string, Rng>): void {
  for (const [name, rng] of Object.entries(rngs)) {
    const state = saved.rngs[name];
    if (!state) throw new CorruptFile(saved.dir, `Expected rng state '${name}' in the checkpoint at ${saved.dir}, got ${Object.keys(saved.rngs).join(', ') || 'none'}.`);
    rng.setState(state);
  }
}

/** What `mlpSpec` builds: hidden widths and nonlinearity, layer norm, the torso, the output width and the seed. */
export interface MlpOptions {
  hidden: readonly number[];
  activation: Activation;
  layerNorm?: boolean;
  /** 'conv' puts the pixel conv torso first ([H, W, C] inputs); 'auto' does so for 3-d observations. */
  torso?: 'auto' | 'mlp' | 'conv';
  outputs: number;
  /** Nonlinearity of the output layer; default identity. */
  outputActivation?: Activation;
  seed: number;
}

/** An MLP (optionally behind the conv torso) over observations of `obsShape`: dense layers, layer norm before the nonlinearity. */
export function mlpSpec(obsShape: readonly number[], o: MlpOptions): NetSpec {
  const conv = o.torso === 'conv' || (o.torso === 'auto' && obsShape.length === 3);
  if (conv && obsShape.length !== 3) throw new InvalidConfig(`Expected [height, width, channels] observations for torso 'conv', got shape [${obsShape.join(', ')}].`);
  const layers: LayerSpec[] = conv ? [{ kind: 'convTorso' }] : [];
  for (const units of o.hidden) {
    if (o.layerNorm) layers.push({ kind: 'dense', units }, { kind: 'layerNorm' }, { kind: 'activation', fn: o.activation });
    else layers.push({ kind: 'dense', units, activation: o.activation });
  }
  layers.push({ kind: 'dense', units: o.outputs, ...(o.outputActivation ? { activation: o.outputActivation } : {}) });
  const input = conv ? ([obsShape[0]!, obsShape[1]!, obsShape[2]!] as [number, number, number]) : obsShape.reduce((a, b) => a * b, 1);
  return { input, layers, seed: o.seed };
}

/**
 * Observations as networks see them: flattened into one reused Float32Array, and uint8 images ([H, W, C] Box)
 * scaled to [0, 1]. `shape` is what a network spec takes (the Box shape, else [flat size]).
 */
export class ObservationEncoder<O> {
  readonly dim: number;
  readonly shape: readonly number[];
  /** 1/255 for uint8 pixel observations, else 1. */
  readonly scale: number;
  private readonly buf: Float32Array;
  private scaled = new Float32Array(0);

  constructor(readonly space: Space<O>) {
    const s = space as AnySpace;
    this.dim = flatdim(s);
    this.shape = s.kind === 'box' ? s.shape : [this.dim];
    this.scale = s.kind === 'box' && s.dtype === 'uint8' && this.shape.length === 3 ? 1 / 255 : 1;
    this.buf = new Float32Array(this.dim);
  }
  /** One observation as dim floats (a reused buffer: copy what must outlive the next call). */
  encode(obs: O): Float32Array {
    const x = flatten(this.space, obs, this.buf);
    if (this.scale !== 1) this.scaleRows(x);
    return x;
  }
  /** n rows of flattened observations as networks see them: `x` itself, or a scaled copy (reused) for pixels. */
  scaledRows(x: Float32Array, n: number): Float32Array {
    if (this.scale === 1) return x;
    if (this.scaled.length < n * this.dim) this.scaled = new Float32Array(n * this.dim);
    const out = this.scaled.subarray(0, n * this.dim);
    for (let i = 0; i < n * this.dim; i++) out[i] = x[i]! * this.scale;
    return out;
  }
  /** Scales rows of flattened observations (as the replay stores them) in place. */
  scaleRows(x: Float32Array): void {
    if (this.scale !== 1) for (let i = 0; i < x.length; i++) x[i] = x[i]! * this.scale;
  }
}

/** Checks `learn()`'s step counts and returns this call's span: from `startStep` for `steps` steps, within `totalSteps`. */
export function learnSpan(options: { steps: unknown; totalSteps?: unknown }, startStep: number): { startStep: number; steps: number; totalSteps: number } {
  const steps = options.steps;
  if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 0) {
    throw new InvalidConfig(`Expected learn({ steps }) to be a non-negative integer, got ${describeValue(steps)}.`);
  }
  const total = options.totalSteps ?? startStep + steps;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) {
    throw new InvalidConfig(`Expected learn({ totalSteps }) to be a non-negative integer, got ${describeValue(total)}.`);
  }
  return { startStep, steps: Math.max(0, Math.min(steps, total - startStep)), totalSteps: total };
}

/** The episode in flight as a checkpoint keeps it: every env layer's state, the current observation, return and length. */
export interface SavedEpisode {
  snapshot: EnvSnapshot;
  obs: JsonValue;
  return: number;
  length: number;
}

const TYPED = { Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array } as const;
type TypedName = keyof typeof TYPED;
/** A float as JSON: the four values JSON cannot hold become strings, so float64 values round-trip exactly. */
const floatJson = (x: number): JsonValue => (Object.is(x, -0) ? '-0' : Number.isFinite(x) ? x : String(x));
const floatFrom = (v: JsonValue): number => (typeof v === 'number' ? v : v === '-0' ? -0 : Number(v));

/** An observation as JSON (typed arrays keep their type; nested arrays and objects recurse). */
export function observationToJson(obs: unknown): JsonValue {
  if (typeof obs === 'number') return floatJson(obs);
  if (ArrayBuffer.isView(obs) && !(obs instanceof DataView)) {
    const name = obs.constructor.name as TypedName;
    if (!(name in TYPED)) throw new InvalidConfig(`Expected an observation of numbers or typed arrays, got a ${name}.`);
    return { typed: name, data: Array.from(obs as unknown as ArrayLike<number>, floatJson) };
  }
  if (Array.isArray(obs)) return { array: obs.map(observationToJson) };
  if (obs !== null && typeof obs === 'object') return { object: Object.fromEntries(Object.entries(obs).map(([k, v]) => [k, observationToJson(v)])) };
  throw new InvalidConfig(`Expected an observation of numbers, arrays or typed arrays, got ${describeValue(obs)}.`);
}

/** The inverse of `observationToJson`. */
export function observationFromJson(v: JsonValue): unknown {
  if (typeof v === 'number' || typeof v === 'string') return floatFrom(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    if (typeof v['typed'] === 'string' && v['typed'] in TYPED && Array.isArray(v['data'])) return TYPED[v['typed'] as TypedName].from((v['data'] as JsonValue[]).map(floatFrom));
    if (Array.isArray(v['array'])) return (v['array'] as JsonValue[]).map(observationFromJson);
    if (v['object'] !== null && typeof v['object'] === 'object' && !Array.isArray(v['object'])) {
      return Object.fromEntries(Object.entries(v['object'] as Record<string, JsonValue>).map(([k, x]) => [k, observationFromJson(x)]));
    }
  }
  throw new InvalidConfig(`Expected a saved observation, got ${describeValue(v)}.`);
}

/**
 * The episode in flight across a checkpoint: `live` is kept current by the loop (`episodeState`); `save` puts it in
 * the checkpoint with every env layer's state; `restore` puts it back into a fresh env; `take` hands the loop what
 * to continue from once, saying when a resume has to start a new episode.
 */
export class EpisodeCarry<O> {
  readonly live: EpisodeState<O> = { obs: undefined, return: 0, length: 0 };
  private pending: { resume: EpisodeInFlight<O> | null; note: string | null } | null = null;

  /** The checkpoint's `env.state`: null when nothing is in flight or a layer of `env` cannot save its state. */
  save(env: Env<O, unknown>): SavedEpisode | null {
    if (this.live.obs === undefined) return null;
    const snapshot = snapshotEnv(env as Env<unknown, unknown>);
    return snapshot === null ? null : { snapshot, obs: observationToJson(this.live.obs), return: this.live.return, length: this.live.length };
  }

  /** Restores a checkpoint's episode in flight into `env` (the agent's freshly made training env). */
  restore(env: Env<O, unknown>, saved: unknown, where: string): void {
    const s = saved as Partial<SavedEpisode> | null | undefined;
    if (s === null || s === undefined || s.snapshot === undefined) {
      const layer = unsavableLayer(env as Env<unknown, unknown>);
      this.pending = { resume: null, note: `the resumed run starts a new episode (${layer !== null ? `${layer} cannot save its state` : 'the checkpoint holds no episode in flight'})` };
      return;
    }
    if (typeof s.return !== 'number' || typeof s.length !== 'number' || s.obs === undefined) {
      throw new CorruptFile(where, `Expected the episode in flight in ${where} as { snapshot, obs, return, length }, got ${describeValue(saved)}.`);
    }
    restoreEnv(env as Env<unknown, unknown>, s.snapshot);
    this.pending = { resume: { obs: observationFromJson(s.obs) as O, return: s.return, length: s.length }, note: null };
  }

  /**
   * The loop options of the next `learn()`: the live record, and the episode to continue: the restored one after a
   * restore, else the one the previous `learn()` left in flight (as SB3 continues its last observation).
   */
  take(log: (line: string) => void, algo: string): { episodeState: EpisodeState<O>; resumeEpisode?: EpisodeInFlight<O>; closeEnv: false } {
    const p = this.pending;
    this.pending = null;
    if (p?.note) log(`${algo}: ${p.note}`);
    const l = this.live;
    const resume = p !== null ? p.resume : l.obs !== undefined ? { obs: l.obs, return: l.return, length: l.length } : null;
    return resume ? { episodeState: l, resumeEpisode: resume, closeEnv: false } : { episodeState: l, closeEnv: false };
  }
}

/** Index (from 0) of the largest of the `n` values of `a` from `offset`; the first on ties. */
export function argmax(a: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[offset + j]! > a[offset + best]!) best = j;
  return best;
}

/** Copies of named networks' parameters (for best-model selection and checkpoints). */
export function netParams(nets: Record<string, Net>): Record<string, NamedArray[]> {
  return Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, n.getParams()]));
}

/** Puts `netParams` output back into the networks of the same names (names absent from `saved` are left alone). */
export function setNetParams(nets: Record<string, Net>, saved: Record<string, NamedArray[]>): void {
  for (const [k, n] of Object.entries(nets)) if (saved[k]) n.setParams(saved[k]!);
}

/**
 * Watches the bootstrapped values of value-based learners: keeps the range of rewards replayed so far, gives the
 * bounds no discounted return can leave ([min(0, r_min), max(0, r_max)] / (1 - gamma)) for clipping, and warns once
 * when the mean bootstrapped value stays above twice the largest possible return for 3 windows of 1000 steps.
 * Measured on DQN CartPole (docs/presets.md): 50k-step preset runs peak at 1.65x, runs that diverge pass 2x at
 * 31k-171k steps, 5k-40k steps before their loss passes 10, and then grow to 3e2-1e10.
 */
export class BootstrapWatch {
  static readonly WINDOW = 1000;
  static readonly FACTOR = 2;
  static readonly STRIKES = 3;
  private rMin = Infinity;
  private rMax = -Infinity;
  private strikes = 0;
  private warned = false;
  /** The clipping bounds of the last `observe`. */
  readonly bounds = { lo: -Infinity, hi: Infinity };
  /** Where the learner adds up the bootstrapped values (before clipping) of this window's batches. */
  readonly stats = { sum: 0, count: 0 };

  constructor(private readonly gamma: number) {}

  /** Takes a batch's n rewards before its targets are computed: `bounds` then cover them too. Returns this. */
  observe(rewards: Float32Array, n: number): this {
    for (let i = 0; i < n; i++) {
      const r = rewards[i]!;
      if (r < this.rMin) this.rMin = r;
      if (r > this.rMax) this.rMax = r;
    }
    this.bounds.lo = Math.min(0, this.rMin) / (1 - this.gamma);
    this.bounds.hi = Math.max(0, this.rMax) / (1 - this.gamma);
    return this;
  }

  /** At each window's end (step a multiple of WINDOW): the warning line once Q runs away, else null. */
  check(step: number, hint: string): string | null {
    const { sum, count } = this.stats;
    if (step % BootstrapWatch.WINDOW !== 0 || count === 0) return null;
    const mean = sum / count;
    this.stats.sum = 0;
    this.stats.count = 0;
    const bound = Math.max(Math.abs(this.rMin), Math.abs(this.rMax)) / (1 - this.gamma);
    if (!(bound > 0 && bound < Infinity)) return null; // no nonzero reward yet, or gamma 1: nothing to compare with
    this.strikes = Math.abs(mean) > BootstrapWatch.FACTOR * bound ? this.strikes + 1 : 0;
    if (this.strikes < BootstrapWatch.STRIKES || this.warned) return null;
    this.warned = true;
    const f = (x: number) => (Math.abs(x) >= 1e5 ? x.toExponential(2) : x.toFixed(1));
    return `warning at step ${step}: Q-values are diverging. The training batches' mean bootstrapped value was ${f(mean)} over the last ` +
      `${BootstrapWatch.WINDOW} steps, more than ${BootstrapWatch.FACTOR}x the largest possible return max|r| / (1 - gamma) = ${f(bound)} ` +
      `for ${BootstrapWatch.STRIKES * BootstrapWatch.WINDOW} steps; from here the loss usually grows without bound and the greedy policy collapses. ${hint}`;
  }
}

/**
 * The start every `learn()` shares: checks the step counts (`learnSpan`), records the run's horizon in `counters`,
 * and prints which engine runs; returns the span, the log function and the engine line.
 */
export async function beginLearn(
  algo: string, options: { steps: unknown; totalSteps?: unknown; log?: (line: string) => void }, counters: RunCounters, net: Net,
): Promise<{ startStep: number; steps: number; totalSteps: number; log: (line: string) => void; engine: string }> {
  const span = learnSpan(options, counters.step);
  counters.totalSteps = span.totalSteps;
  const engine = await describeEngine(net);
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  log(`${algo}: engine ${engine}`);
  return { ...span, log, engine };
}
