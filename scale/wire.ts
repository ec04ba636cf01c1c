/**
 * The actor/learner wire format (docs/scale.md): one ArrayBuffer per message, little-endian, 8-byte aligned
 * sections, decoded into views without copying. Three kinds:
 *   transitions  an off-policy actor's batch: `lanes` envs x `laneLength` steps, env-major, so each lane is one
 *                env's consecutive steps. nextObs is stored only where it is not the next row's obs (episode ends
 *                and each lane's last row): flag bit 2 marks those rows. Optional per-row initial priorities (PER).
 *   rollout      an on-policy actor's rollout: per lane a segment of `lengths[i]` rows with the values, log-probs
 *                and bootstrap values the actor's policy gave, tagged with the policy version it was collected with.
 *   weights      named network parameters (the acting nets) with a version and the learner's global step.
 * Both experience kinds carry the finished episodes' statistics (row, return, length), as the env reported them,
 * so the learner's episode metrics are the actors' own.
 */
import { CorruptFile, InvalidConfig, describeValue } from '../core/errors.js';
import type { NamedArray } from '../nn/types.js';

const MAGIC = 0x31585852; // 'RXX1'
const KIND = { transitions: 1, rollout: 2, weights: 3 } as const;
/** Row flags of a transitions or rollout message. */
export const FLAG = { terminated: 1, truncated: 2, nextObs: 4 } as const;
const HEADER_BYTES = 64;

/** Finished episodes of a message: the row that ended each, its return, length and how it ended (FLAG bits), float64 each. */
export interface EpisodeStats {
  count: number;
  rows: Float64Array;
  returns: Float64Array;
  lengths: Float64Array;
  ends: Float64Array;
}

/** One finished episode as an actor records it. */
export interface EpisodeRecord {
  row: number;
  ret: number;
  len: number;
  /** FLAG.terminated and/or FLAG.truncated. */
  end: number;
}

/** A decoded transitions message: views into the message's buffer. */
export interface TransitionBatch {
  kind: 'transitions';
  obsDim: number;
  actDim: number;
  lanes: number;
  laneLength: number;
  /** Index of each lane's first row in its env's sequence of steps (the same for every lane). */
  seq: number;
  /** Policy version the actor acted with. */
  version: number;
  /** rows x obsDim, rows = lanes x laneLength. */
  obs: Float32Array;
  /** rows x actDim (a discrete action is one float). */
  actions: Float32Array;
  rewards: Float32Array;
  flags: Uint8Array;
  /** One row per set nextObs flag, in row order. */
  nextObs: Float32Array;
  /** Row r's index into `nextObs` rows (-1 where the next row's obs is the next observation). */
  nextIndex: Int32Array;
  priorities: Float32Array | null;
  episodes: EpisodeStats;
}

/** A decoded rollout message. */
export interface RolloutBatch {
  kind: 'rollout';
  obsDim: number;
  actDim: number;
  lanes: number;
  version: number;
  /** Rows of each lane, lane after lane. */
  lengths: Int32Array;
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  flags: Uint8Array;
  values: Float32Array;
  logProbs: Float32Array;
  nextValues: Float32Array;
  episodes: EpisodeStats;
}

/** A decoded weights message. */
export interface Weights {
  kind: 'weights';
  version: number;
  /** The learner's global step when it published them. */
  step: number;
  nets: Record<string, NamedArray[]>;
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Lays out sections on 8-byte boundaries and hands out views of one new buffer. */
class Layout {
  private offset = HEADER_BYTES;
  private readonly parts: [name: string, bytes: number][] = [];
  add(name: string, bytes: number): this {
    this.parts.push([name, bytes]);
    this.offset += pad8(bytes);
    return this;
  }
  get byteLength(): number {
    return this.offset;
  }
  /** Offsets of the sections, in the order added. */
  offsets(): Record<string, number> {
    const out: Record<string, number> = {};
    let at = HEADER_BYTES;
    for (const [name, bytes] of this.parts) {
      out[name] = at;
      at += pad8(bytes);
    }
    return out;
  }
}

function writeHeader(buf: ArrayBuffer, kind: number, ints: readonly number[], floats: readonly number[]): void {
  const u = new Uint32Array(buf, 0, 8);
  u[0] = MAGIC;
  u[1] = kind;
  // Stryker disable next-line EqualityOperator: ints[length] is undefined, written as 0 into a zero slot or past u's 8
  for (let i = 0; i < ints.length; i++) u[2 + i] = ints[i]!;
  const f = new Float64Array(buf, 32, 4);
  for (let i = 0; i < floats.length; i++) f[i] = floats[i]!;
}

/** Sizes of a transitions message, for the actor's staging buffers. */
export interface TransitionShape {
  obsDim: number;
  actDim: number;
  lanes: number;
  laneLength: number;
  priorities: boolean;
}

/**
 * An actor's staging area for one transitions message: rows written in place (lane-major), nextObs rows
 * appended where needed, then `finish()` returns the message's buffer (transferable) and starts a new one.
 */
export class TransitionWriter {
  readonly rows: number;
  private buf!: ArrayBuffer;
  obs!: Float32Array;
  actions!: Float32Array;
  rewards!: Float32Array;
  flags!: Uint8Array;
  priorities!: Float32Array | null;
  /** Explicit next observations staged so far (one row per set nextObs flag, in row order). */
  nextObs!: Float32Array;
  private nextRows = 0;
  private readonly episodes: EpisodeRecord[] = [];

  constructor(readonly shape: TransitionShape) {
    for (const k of ['obsDim', 'actDim', 'lanes', 'laneLength'] as const) {
      const v = shape[k];
      if (!Number.isSafeInteger(v) || v < 1) throw new InvalidConfig(`Expected the batch ${k} to be a positive integer, got ${describeValue(v)}.`);
    }
    this.rows = shape.lanes * shape.laneLength;
    this.reset();
  }

  private reset(): void {
    const { obsDim, actDim } = this.shape;
    const n = this.rows;
    // Staging is the worst case (every row ends an episode); finish() copies into a buffer of the real size.
    this.buf = new ArrayBuffer(pad8(n * obsDim * 4) + pad8(n * actDim * 4) + pad8(n * 4) * 2 + pad8(n) + pad8(n * obsDim * 4));
    let at = 0;
    const take = (bytes: number): number => ((at += pad8(bytes)), at - pad8(bytes));
    this.obs = new Float32Array(this.buf, take(n * obsDim * 4), n * obsDim);
    this.actions = new Float32Array(this.buf, take(n * actDim * 4), n * actDim);
    this.rewards = new Float32Array(this.buf, take(n * 4), n);
    const pr = take(n * 4);
    this.priorities = this.shape.priorities ? new Float32Array(this.buf, pr, n) : null;
    this.flags = new Uint8Array(this.buf, take(n), n);
    this.nextObs = new Float32Array(this.buf, at, n * obsDim); // the last section: nothing is laid out after it
    this.nextRows = 0;
    this.episodes.length = 0;
  }

  /** Stores row `row`'s explicit next observation (an episode end or a lane's last row) and sets its flag. */
  setNextObs(row: number, next: ArrayLike<number>): void {
    const d = this.shape.obsDim;
    // Stryker disable next-line EqualityOperator: slot d is the next staged row's first, written when that row is; finish copies only staged rows
    for (let k = 0; k < d; k++) this.nextObs[this.nextRows * d + k] = next[k]!;
    this.nextRows++;
    this.flags[row]! |= FLAG.nextObs;
  }

  /** Records a finished episode that ended at `row` with the env's return and length (its end flags are the row's). */
  addEpisode(row: number, ret: number, len: number): void {
    this.episodes.push({ row, ret, len, end: this.flags[row]! & (FLAG.terminated | FLAG.truncated) });
  }

  /** The finished message (a new buffer of its exact size) tagged with `seq` and `version`; the writer starts over. */
  finish(seq: number, version: number): ArrayBuffer {
    const { obsDim, actDim, lanes, laneLength } = this.shape;
    const n = this.rows;
    const e = this.episodes.length;
    const layout = new Layout()
      .add('epRows', e * 8).add('epReturns', e * 8).add('epLengths', e * 8).add('epEnds', e * 8)
      .add('obs', n * obsDim * 4).add('actions', n * actDim * 4).add('rewards', n * 4)
      .add('priorities', this.priorities ? n * 4 : 0).add('nextObs', this.nextRows * obsDim * 4).add('flags', n);
    const out = new ArrayBuffer(layout.byteLength);
    const o = layout.offsets();
    writeHeader(out, KIND.transitions, [obsDim, actDim, lanes, laneLength, this.nextRows, e], [seq, version, this.priorities ? 1 : 0]);
    const f64 = (name: string, n2: number) => new Float64Array(out, o[name]!, n2);
    writeEpisodes(this.episodes, f64('epRows', e), f64('epReturns', e), f64('epLengths', e), f64('epEnds', e));
    new Float32Array(out, o['obs']!, n * obsDim).set(this.obs);
    new Float32Array(out, o['actions']!, n * actDim).set(this.actions);
    new Float32Array(out, o['rewards']!, n).set(this.rewards);
    if (this.priorities) new Float32Array(out, o['priorities']!, n).set(this.priorities);
    new Float32Array(out, o['nextObs']!, this.nextRows * obsDim).set(this.nextObs.subarray(0, this.nextRows * obsDim));
    new Uint8Array(out, o['flags']!, n).set(this.flags);
    this.reset();
    return out;
  }
}

/** A rollout (as `RolloutBuffer` holds it: env-major segments of `lengths[i]` rows in a `capacity` stride) as a message. */
export function encodeRollout(r: {
  numEnvs: number; capacity: number; obsDim: number; actionDim: number; lengths: Int32Array; obs: Float32Array; actions: Int32Array | Float32Array;
  rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; values: Float32Array; logProbs: Float32Array; nextValues: Float32Array;
}, version: number, episodes: readonly EpisodeRecord[]): ArrayBuffer {
  const { numEnvs: lanes, obsDim, actionDim: actDim } = r;
  let n = 0;
  for (let i = 0; i < lanes; i++) n += r.lengths[i]!;
  const e = episodes.length;
  const layout = new Layout()
    .add('epRows', e * 8).add('epReturns', e * 8).add('epLengths', e * 8).add('epEnds', e * 8).add('lengths', lanes * 4)
    .add('obs', n * obsDim * 4).add('actions', n * actDim * 4).add('rewards', n * 4).add('values', n * 4)
    .add('logProbs', n * 4).add('nextValues', n * 4).add('flags', n);
  const out = new ArrayBuffer(layout.byteLength);
  const o = layout.offsets();
  writeHeader(out, KIND.rollout, [obsDim, actDim, lanes, n, 0, e], [0, version, 0]);
  const f64 = (name: string) => new Float64Array(out, o[name]!, e);
  writeEpisodes(episodes, f64('epRows'), f64('epReturns'), f64('epLengths'), f64('epEnds'));
  new Int32Array(out, o['lengths']!, lanes).set(r.lengths);
  const obs = new Float32Array(out, o['obs']!, n * obsDim), actions = new Float32Array(out, o['actions']!, n * actDim);
  const per = (name: string) => new Float32Array(out, o[name]!, n);
  const rewards = per('rewards'), values = per('values'), logProbs = per('logProbs'), nextValues = per('nextValues');
  const flags = new Uint8Array(out, o['flags']!, n);
  // Stryker disable next-line EqualityOperator: lengths has exactly numEnvs entries (set above), so a lane past them has no rows to copy
  for (let i = 0, k = 0; i < lanes; i++) {
    const from = i * r.capacity, len = r.lengths[i]!;
    obs.set(r.obs.subarray(from * obsDim, (from + len) * obsDim), k * obsDim);
    // Stryker disable next-line EqualityOperator: one past a lane is the next lane's first action, which it then writes; past the last lane the write is dropped
    for (let j = 0; j < len * actDim; j++) actions[k * actDim + j] = r.actions[from * actDim + j]!;
    rewards.set(r.rewards.subarray(from, from + len), k);
    values.set(r.values.subarray(from, from + len), k);
    logProbs.set(r.logProbs.subarray(from, from + len), k);
    nextValues.set(r.nextValues.subarray(from, from + len), k);
    // Stryker disable next-line EqualityOperator: one past a lane is the next lane's first flag, which it then writes; past the last lane the write is dropped
    for (let t = 0; t < len; t++) flags[k + t] = (r.terminated[from + t] ? FLAG.terminated : 0) | (r.truncated[from + t] ? FLAG.truncated : 0);
    k += len;
  }
  return out;
}

/** Named parameters of the acting networks as a weights message. */
export function encodeWeights(nets: Record<string, NamedArray[]>, version: number, step: number): ArrayBuffer {
  const text = new TextEncoder().encode(JSON.stringify(Object.entries(nets).map(([net, ps]) => [net, ps.map((p) => [p.name, p.shape])])));
  let floats = 0;
  for (const ps of Object.values(nets)) for (const p of ps) floats += p.data.length;
  const layout = new Layout().add('index', text.length).add('data', floats * 4);
  const out = new ArrayBuffer(layout.byteLength);
  const o = layout.offsets();
  writeHeader(out, KIND.weights, [text.length, floats], [version, step]);
  new Uint8Array(out, o['index']!, text.length).set(text);
  const data = new Float32Array(out, o['data']!, floats);
  let at = 0;
  for (const ps of Object.values(nets)) for (const p of ps) (data.set(p.data, at), (at += p.data.length));
  return out;
}

/** Reads any message; `CorruptFile` (naming `where`) when the buffer is not one this format wrote. */
export function decodeMessage(input: ArrayBuffer | Uint8Array, where: string): TransitionBatch | RolloutBatch | Weights {
  const buf = aligned(input);
  const bad = (what: string): never => {
    throw new CorruptFile(where, `Expected an rxgym ${what} in ${where}, got ${buf.byteLength} bytes that do not hold one.`);
  };
  if (buf.byteLength < HEADER_BYTES) bad('message (at least 64 bytes)');
  const u = new Uint32Array(buf, 0, 8);
  const f = new Float64Array(buf, 32, 4);
  if (u[0] !== MAGIC) bad('message (magic RXX1)');
  const [kind, a, b, c, d, g, e] = [u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!];
  try {
    if (kind === KIND.weights) return decodeWeights(buf, a, b, f);
    if (kind !== KIND.transitions && kind !== KIND.rollout) return bad('message kind (1, 2 or 3)');
    const obsDim = a, actDim = b, lanes = c;
    if (obsDim < 1 || actDim < 1 || lanes < 1) return bad('message with positive sizes');
    const n = kind === KIND.transitions ? lanes * d : d;
    const layout = new Layout().add('epRows', e * 8).add('epReturns', e * 8).add('epLengths', e * 8).add('epEnds', e * 8);
    if (kind === KIND.rollout) layout.add('lengths', lanes * 4);
    layout.add('obs', n * obsDim * 4).add('actions', n * actDim * 4).add('rewards', n * 4);
    if (kind === KIND.transitions) layout.add('priorities', f[2] ? n * 4 : 0).add('nextObs', g * obsDim * 4);
    else layout.add('values', n * 4).add('logProbs', n * 4).add('nextValues', n * 4);
    layout.add('flags', n);
    if (layout.byteLength !== buf.byteLength) return bad(`message of ${layout.byteLength} bytes for its sizes`);
    const o = layout.offsets();
    const f64 = (name: string) => new Float64Array(buf, o[name]!, e);
    const episodes: EpisodeStats = { count: e, rows: f64('epRows'), returns: f64('epReturns'), lengths: f64('epLengths'), ends: f64('epEnds') };
    for (let i = 0; i < e; i++) if (!(episodes.rows[i]! >= 0 && episodes.rows[i]! < n)) bad('episode row inside the message');
    const per = (name: string) => new Float32Array(buf, o[name]!, n);
    const common = { obsDim, actDim, lanes, obs: new Float32Array(buf, o['obs']!, n * obsDim), actions: new Float32Array(buf, o['actions']!, n * actDim), rewards: per('rewards'), flags: new Uint8Array(buf, o['flags']!, n), episodes };
    if (kind === KIND.rollout) {
      const lengths = new Int32Array(buf, o['lengths']!, lanes);
      if (lengths.reduce((s, x) => s + x, 0) !== n || lengths.some((x) => x < 0)) bad('rollout whose lane lengths add up to its rows');
      return { kind: 'rollout', ...common, version: f[1]!, lengths, values: per('values'), logProbs: per('logProbs'), nextValues: per('nextValues') };
    }
    const nextIndex = new Int32Array(n);
    let next = 0;
    for (let r = 0; r < n; r++) {
      const explicit = (common.flags[r]! & FLAG.nextObs) !== 0;
      if (!explicit && (r + 1) % d === 0) bad('transitions message whose lanes end with a next observation');
      nextIndex[r] = explicit ? next++ : -1;
    }
    if (next !== g) bad('transitions message with one next observation per flagged row');
    return { kind: 'transitions', ...common, laneLength: d, seq: f[0]!, version: f[1]!, nextObs: new Float32Array(buf, o['nextObs']!, g * obsDim), nextIndex, priorities: f[2] ? per('priorities') : null };
  } catch (err) {
    if (err instanceof CorruptFile) throw err;
    return bad(`message (${(err as Error).message})`);
  }
}

function writeEpisodes(episodes: readonly EpisodeRecord[], rows: Float64Array, rets: Float64Array, lens: Float64Array, ends: Float64Array): void {
  episodes.forEach((x, i) => ((rows[i] = x.row), (rets[i] = x.ret), (lens[i] = x.len), (ends[i] = x.end)));
}

function decodeWeights(buf: ArrayBuffer, textBytes: number, floats: number, f: Float64Array): Weights {
  const layout = new Layout().add('index', textBytes).add('data', floats * 4);
  if (layout.byteLength !== buf.byteLength) throw new Error(`weights of ${layout.byteLength} bytes for their sizes`);
  const o = layout.offsets();
  const index = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, o['index']!, textBytes))) as [string, [string, number[]][]][];
  const data = new Float32Array(buf, o['data']!, floats);
  const nets: Record<string, NamedArray[]> = {};
  let at = 0;
  for (const [net, ps] of index) {
    nets[net] = ps.map(([name, shape]) => {
      const size = shape.reduce((x, y) => x * y, 1);
      if (at + size > floats) throw new Error('a tensor past the data');
      const p = { name, shape, data: data.slice(at, at + size) };
      at += size;
      return p;
    });
  }
  if (at !== floats) throw new Error('data past the last tensor');
  return { kind: 'weights', version: f[0]!, step: f[1]!, nets };
}

/** The buffer itself when it is a whole 8-byte-aligned ArrayBuffer, else an aligned copy (a Node Buffer is often a pool slice). */
function aligned(input: ArrayBuffer | Uint8Array): ArrayBuffer {
  if (input instanceof ArrayBuffer) return input;
  // A view as long as its buffer starts at 0: no byteOffset test needed.
  if (input.byteLength === input.buffer.byteLength && input.buffer instanceof ArrayBuffer) return input.buffer;
  const copy = new ArrayBuffer(input.byteLength);
  new Uint8Array(copy).set(input);
  return copy;
}
