/**
 * The learner's side of off-policy experience: the actors' transitions, queued per stream (one env of one actor),
 * served to the agent's own training loop through `ExperienceEnv` one whole episode at a time, so the loop's
 * replay writer (n-step queues included), episode statistics and schedules run exactly as they do in process.
 *
 * A stream's row is served only once the row after it has arrived (or it ends an episode): when an actor dies
 * mid-episode, its last row can then still be served, marked truncated, and the episode closes cleanly.
 */
import type { Env, EnvMetadata, EnvSpec, Info, ResetResult, StepResult } from '../core/env.js';
import { InvalidConfig } from '../core/errors.js';
import { unflatten, type AnySpace, type Space } from '../core/spaces.js';
import { FLAG, type TransitionBatch } from './wire.js';

/** One message's rows for one lane, as a stream queues them. */
interface Chunk {
  batch: TransitionBatch;
  /** First and end row of the lane in the batch, and the next row to serve. */
  from: number;
  end: number;
  at: number;
  /** Sequence number of row `from` (the lane's first) in its env's steps. */
  seq: number;
  message: MessageRecord;
  arrival: number;
}

/** A message, released (acknowledged) once every lane of it is served. */
interface MessageRecord {
  token: string | null;
  remaining: number;
}

interface Stream {
  key: string;
  actor: string;
  chunks: Chunk[];
  /** Rows queued. */
  rows: number;
  /** Sequence number of the next row to serve. */
  next: number;
  dead: boolean;
}

/** Per stream, the sequence number of its next unserved row: what a restarted learner skips to. */
export type Cursor = Record<string, number>;

/** Counts a learner reports. */
export interface SourceStats {
  messages: number;
  transitions: number;
  /** Rows skipped because a restored cursor had served them already. */
  skipped: number;
  /** Episodes closed by truncation because their actor died mid-episode. */
  abandoned: number;
  /** Episodes closed by truncation because the stream lost rows (Redis restarted without its data). */
  gaps: number;
}

/**
 * Per-stream queues of decoded transitions. `push` adds a message; the loop then reads through `ExperienceEnv`;
 * `changed` wakes a waiting learner. `released` collects the tokens of fully served messages for the transport.
 */
export class ExperienceSource {
  private readonly streams = new Map<string, Stream>();
  private current: Stream | null = null;
  private arrivals = 0;
  private wake: (() => void) | null = null;
  /** Tokens of messages whose every row has been served, oldest first (the transport acknowledges them). */
  readonly released: string[] = [];
  readonly stats: SourceStats = { messages: 0, transitions: 0, skipped: 0, abandoned: 0, gaps: 0 };

  constructor(readonly obsDim: number, readonly actDim: number, private readonly cursor: Cursor = {}) {}

  /** Queues a decoded message from `actor`; rows before the restored cursor are skipped. */
  push(actor: string, batch: TransitionBatch, token: string | null = null): void {
    if (batch.obsDim !== this.obsDim || batch.actDim !== this.actDim) {
      throw new InvalidConfig(`Expected transitions of obsDim ${this.obsDim} and actDim ${this.actDim} from actor ${actor}, got ${batch.obsDim} and ${batch.actDim}.`);
    }
    const message: MessageRecord = { token, remaining: 0 };
    this.stats.messages++;
    for (let lane = 0; lane < batch.lanes; lane++) {
      const key = `${actor}#${lane}`;
      let s = this.streams.get(key);
      if (s === undefined) this.streams.set(key, (s = { key, actor, chunks: [], rows: 0, next: this.cursor[key] ?? 0, dead: false }));
      const from = lane * batch.laneLength;
      const end = from + batch.laneLength;
      // A gap (experience lost with a Redis restart): the episode in flight ends at its last row that arrived.
      if (batch.seq > s.next + s.rows && s.rows > 0) {
        const last = s.chunks[s.chunks.length - 1]!;
        last.batch.flags[last.end - 1]! |= FLAG.truncated;
        this.stats.gaps++;
      }
      const skip = Math.max(0, Math.min(batch.laneLength, s.next + s.rows - batch.seq)); // served or queued already
      this.stats.skipped += skip;
      if (skip === batch.laneLength) continue;
      message.remaining++;
      s.chunks.push({ batch, from, end, at: from + skip, seq: batch.seq, message, arrival: this.arrivals++ });
      s.rows += batch.laneLength - skip;
    }
    if (message.remaining === 0 && token !== null) this.released.push(token);
    this.notify();
  }

  /** Marks every stream of `actor` dead: their last rows may now be served, truncated. */
  markDead(actor: string): void {
    for (const s of this.streams.values()) if (s.actor === actor) s.dead = true;
    this.notify();
  }

  /** Actors whose streams have rows waiting or an episode in flight. */
  get actors(): string[] {
    return [...new Set([...this.streams.values()].map((s) => s.actor))];
  }

  /** The stream in flight (mid-episode), if any: a learner that waits on it checks its actor is alive. */
  get waitingOn(): string | null {
    return this.current !== null && !this.canStep(this.current) ? this.current.actor : null;
  }

  /** Rows queued over every stream. */
  get queued(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.rows;
    return n;
  }

  /** Where each stream is: saved with a checkpoint, so a restart serves no row twice. */
  cursorNow(): Cursor {
    const out: Cursor = {};
    for (const s of this.streams.values()) out[s.key] = s.next;
    return { ...this.cursor, ...out };
  }

  /** A promise that settles at the next `push` or `markDead` (or after `ms`). */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => ((this.wake = null), resolve()), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /**
   * True when the loop can take its next step: the episode in flight (or, before the first, the one a reset would
   * start) has its next row servable, and when that row ends the episode, a reset will find another.
   */
  ready(): boolean {
    const s = this.current ?? this.pick();
    if (s === null || !this.canStep(s)) return false;
    const c = s.chunks[0]!;
    const ends = (c.batch.flags[c.at]! & (FLAG.terminated | FLAG.truncated)) !== 0 || s.rows === 1;
    return !ends || this.canResetAfter(s);
  }

  /** A row of `s` can be served: the next one has arrived, or it ends the episode, or its actor is gone. */
  private canStep(s: Stream): boolean {
    if (s.rows === 0) return false;
    const c = s.chunks[0]!;
    return s.rows >= 2 || s.dead || (c.batch.flags[c.at]! & (FLAG.terminated | FLAG.truncated)) !== 0;
  }

  /** After stream `cur` serves its head row (which ends an episode), can a reset find a row? */
  private canResetAfter(cur: Stream): boolean {
    for (const s of this.streams.values()) if (s.rows > (s === cur ? 1 : 0)) return true;
    return false;
  }

  /** The stream the next episode comes from: the one whose head arrived first. */
  private pick(): Stream | null {
    let best: Stream | null = null;
    for (const s of this.streams.values()) if (s.rows > 0 && (best === null || s.chunks[0]!.arrival < best.chunks[0]!.arrival)) best = s;
    return best;
  }

  /** Starts the next episode from the stream whose head arrived first; returns its first observation row. */
  begin(): { batch: TransitionBatch; row: number } {
    const best = this.pick();
    if (best === null) throw new InvalidConfig('Expected a queued transition to start an episode from, got none (the learner reset before its experience arrived).');
    this.current = best;
    const c = best.chunks[0]!;
    return { batch: c.batch, row: c.at };
  }

  /** The row about to be served (the loop's action is its action). */
  head(): { batch: TransitionBatch; row: number } {
    const s = this.current;
    if (s === null || s.rows === 0) throw new InvalidConfig('Expected a transition in flight, got none (the learner stepped before its experience arrived).');
    const c = s.chunks[0]!;
    return { batch: c.batch, row: c.at };
  }

  /**
   * Serves the head row: its batch, row, the next observation (batch and row of a nextObs or obs row), and
   * whether it ends the episode (forced truncation when it is a dead actor's last row).
   */
  take(): { batch: TransitionBatch; row: number; next: { data: Float32Array; row: number }; forcedTruncation: boolean } {
    const s = this.current!;
    const c = s.chunks[0]!;
    const row = c.at;
    const flags = c.batch.flags[row]!;
    const ni = c.batch.nextIndex[row]!;
    const next = ni >= 0 ? { data: c.batch.nextObs, row: ni } : { data: c.batch.obs, row: row + 1 };
    const done = (flags & (FLAG.terminated | FLAG.truncated)) !== 0;
    const forcedTruncation = !done && s.rows === 1 && s.dead;
    c.at++;
    s.rows--;
    s.next = c.seq + (c.at - c.from);
    this.stats.transitions++;
    if (c.at === c.end) this.finishChunk(s);
    if (done || forcedTruncation) {
      if (forcedTruncation) this.stats.abandoned++;
      this.current = null;
    }
    if (s.dead && s.rows === 0 && this.current !== s) this.streams.delete(s.key);
    return { batch: c.batch, row, next, forcedTruncation };
  }

  private finishChunk(s: Stream): void {
    const c = s.chunks.shift()!;
    if (--c.message.remaining === 0 && c.message.token !== null) this.released.push(c.message.token);
  }

  private notify(): void {
    this.wake?.();
  }
}

/**
 * The env a learner's agent trains on: `reset()` starts the next queued episode, `step()` returns the queued
 * transition (the action given is the one `action()` handed the loop: the actor's). Above a FrameSkip of `repeat`
 * (DQN's frameSkip, which the actor applied already), each served step is followed by `repeat - 1` empty repeats
 * that FrameSkip folds back into it. Never stepped by anything but the learner's own loop; its state cannot be
 * saved, so a resumed learner starts a new episode.
 */
export class ExperienceEnv<O, A> implements Env<O, A> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  spec: EnvSpec | undefined;
  readonly metadata: EnvMetadata;
  /** The actor's initial priority of the row served last (PER), else NaN. */
  lastPriority = NaN;
  private repeats = 0;
  private last: StepResult<O> | null = null;
  private readonly discrete: boolean;

  constructor(readonly source: ExperienceSource, like: Env<O, A>, private readonly repeat = 1) {
    this.observationSpace = like.observationSpace;
    this.actionSpace = like.actionSpace;
    this.spec = like.spec;
    this.metadata = like.metadata;
    this.discrete = (like.actionSpace as AnySpace).kind === 'discrete';
  }

  get unwrapped(): Env<unknown, unknown> {
    return this as unknown as Env<unknown, unknown>;
  }

  /** The observation of row `row` of `data` as the env's observation type (a view for Box spaces). */
  private observation(data: Float32Array, row: number): O {
    const d = this.source.obsDim;
    const view = data.subarray(row * d, (row + 1) * d);
    return ((this.observationSpace as AnySpace).kind === 'box' ? view : unflatten(this.observationSpace, view)) as O;
  }

  /** The actor's action for the row in flight, as the env takes it (a number for Discrete, else a Float32Array view). */
  action(): A {
    const { batch, row } = this.source.head();
    const a = this.source.actDim;
    return (this.discrete ? batch.actions[row]! : batch.actions.subarray(row * a, (row + 1) * a)) as A;
  }

  reset(): ResetResult<O> {
    this.repeats = 0;
    const { batch, row } = this.source.begin();
    return { obs: this.observation(batch.obs, row), info: {} };
  }

  step(): StepResult<O> {
    if (this.repeats > 0 && this.last !== null) {
      this.repeats--;
      return { ...this.last, reward: 0, info: {} };
    }
    const { batch, row, next, forcedTruncation } = this.source.take();
    const flags = batch.flags[row]!;
    const terminated = (flags & FLAG.terminated) !== 0;
    const truncated = (flags & FLAG.truncated) !== 0 || forcedTruncation;
    this.lastPriority = batch.priorities ? batch.priorities[row]! : NaN;
    const info: Info = terminated || truncated ? this.episodeInfo(batch, row) : {};
    this.last = { obs: this.observation(next.data, next.row), reward: batch.rewards[row]!, terminated, truncated, info };
    this.repeats = terminated || truncated ? 0 : this.repeat - 1;
    return this.last;
  }

  /** The actor's statistics of the episode that ended at `row` (the env's own return and length), when it sent them. */
  private episodeInfo(batch: TransitionBatch, row: number): Info {
    const e = batch.episodes;
    for (let i = 0; i < e.count; i++) if (e.rows[i] === row) return { episode: { r: e.returns[i]!, l: e.lengths[i]!, t: 0 } };
    return {};
  }

  close(): void {}
}
