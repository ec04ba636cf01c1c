/**
 * Episode recordings: every Nth episode of a `steps$` run written to `<dir>/episode-<index>.ndjson`, and a
 * reader for them. A recording is NDJSON: one header line, then one line per step:
 *
 * ```
 * {"format":"rxgym-episode","version":1,"envId":"CartPole-v1","episode":0,"width":600,"height":400,"fps":50}
 * {"t":0,"step":0,"reset":true,"action":null,"reward":0,"terminated":false,"truncated":false,"scene":{...}}
 * {"t":0,"step":0,"action":1,"reward":1,"terminated":false,"truncated":false,"scene":{...},"value":0.8}
 * ```
 * The `reset` line (the scene right after `reset()`, frame 0 of the episode) is written when the recorder
 * is given `resetSceneOf`, for example from `resetSceneTracker`; older recordings start at the first step.
 * Lines are written to a hidden temp file (`.episode-<index>.ndjson.tmp`) as the episode runs, then renamed
 * at the episode's end, so a reader never sees half an episode under the final name. An episode cut short
 * by the end of the stream (maxSteps, unsubscribe, error) is deleted, not kept.
 */
import { commitFileSync } from '../core/node/files.js';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Transition } from '../core/env.js';
import type { Actor, ActorContext } from '../core/streams.js';
import { CorruptFile, InvalidConfig, describeValue } from '../core/errors.js';
import { explainInvalidScene, type Scene } from '../core/scene.js';

/** The format tag of a recording's header. */
export const EPISODE_FORMAT = 'rxgym-episode';

/** The first line of a recording. */
export interface EpisodeHeader {
  format: typeof EPISODE_FORMAT;
  version: 1;
  envId: string;
  /** Episode index in the run, from 0. */
  episode: number;
  /** Nominal frame size of the first scene, in pixels. */
  width: number;
  height: number;
  /** Playback frames per second (the env's `metadata.renderFps`). */
  fps: number;
  /** Extra header fields given to the recorder. */
  [key: string]: unknown;
}

/** One step line of a recording. Extra values (`value`, `q`, ...) ride along as further keys. */
export interface EpisodeStep {
  /** Step within the episode, from 0. */
  t: number;
  /** Step within the run. */
  step: number;
  /** The action, typed arrays stored as plain arrays. */
  action: unknown;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  /** The scene after the step; on the reset line, the scene after `reset()`. */
  scene: Scene;
  /** True on the line before the first step: the reset scene, with action null and reward 0. */
  reset?: boolean;
  [key: string]: unknown;
}

/** Options of `recordEpisodes`. */
export interface RecordOptions<O, A> {
  /** Environment id written to the header. */
  envId: string;
  /** Record episodes whose index is a multiple of `every` (default 1: every episode). */
  every?: number;
  /** The scene after a step, e.g. `() => env.scene()` (called right when the transition arrives). */
  sceneOf: (transition: Transition<O, A>) => Scene;
  /**
   * The scene right after the episode's `reset()`, asked at its first transition (`t === 0`), recorded as
   * frame 0 before the steps. A steps$ transition is emitted only after its step, so this scene must be
   * taken earlier: `resetSceneTracker` takes it when the actor is asked for the first action.
   */
  resetSceneOf?: (transition: Transition<O, A>) => Scene | undefined;
  /** Optional per-step values for the viewer, e.g. `{ value, q }`. */
  valuesOf?: (transition: Transition<O, A>) => Record<string, unknown> | undefined;
  /** Playback frames per second written to the header (default 50, CartPole's). */
  fps?: number;
  /** Extra header fields (algorithm, seed, ...). */
  header?: Record<string, unknown>;
  /** Called with the final path of each recording once it is complete. */
  onEpisode?: (path: string, header: EpisodeHeader) => void;
}

/** Plain JSON for typed arrays (JSON.stringify would write a Float32Array as an object of indices). */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** Lines gathered before one write: a write per step would cost a syscall per step. */
const FLUSH_LINES = 32;

/**
 * An rxjs operator that passes transitions through unchanged and writes every `every`-th episode to
 * `<dir>/episode-<index>.ndjson` (see the module doc). Write errors travel in the stream.
 */
export function recordEpisodes<O, A>(dir: string, options: RecordOptions<O, A>): MonoTypeOperatorFunction<Transition<O, A>> {
  const every = options.every ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new InvalidConfig(`Expected recordEpisodes every to be an integer >= 1, got ${describeValue(every)}.`);
  }
  if (typeof options.envId !== 'string' || options.envId === '') {
    throw new InvalidConfig(`Expected recordEpisodes envId to be a non-empty string, got ${describeValue(options.envId)}.`);
  }
  if (typeof options.sceneOf !== 'function') {
    throw new InvalidConfig(`Expected recordEpisodes sceneOf to be a function returning a Scene, got ${describeValue(options.sceneOf)}.`);
  }
  return (source) =>
    new Observable<Transition<O, A>>((subscriber) => {
      let fd: number | null = null;
      let tmp = '';
      let final = '';
      let header: EpisodeHeader | null = null;
      let pending: string[] = [];

      const flush = (): void => {
        if (fd !== null && pending.length > 0) writeSync(fd, pending.join(''));
        pending = [];
      };
      const discard = (): void => {
        if (fd === null) return;
        closeSync(fd);
        fd = null;
        rmSync(tmp, { force: true });
      };
      const record = (tr: Transition<O, A>): void => {
        if (fd === null) {
          // Start only at an episode's first step: a stream joined mid-episode skips to the next one.
          if (tr.t !== 0 || tr.episode % every !== 0) return;
          const scene = options.sceneOf(tr);
          mkdirSync(dir, { recursive: true });
          final = join(dir, `episode-${tr.episode}.ndjson`);
          tmp = join(dir, `.episode-${tr.episode}.ndjson.tmp`);
          header = {
            ...options.header,
            format: EPISODE_FORMAT,
            version: 1,
            envId: options.envId,
            episode: tr.episode,
            width: scene.width,
            height: scene.height,
            fps: options.fps ?? 50,
          };
          fd = openSync(tmp, 'w');
          pending.push(`${JSON.stringify(header)}\n`);
          const resetScene = options.resetSceneOf?.(tr);
          if (resetScene !== undefined) pending.push(resetLine(tr, resetScene));
          pending.push(stepLine(tr, scene));
        } else {
          pending.push(stepLine(tr, options.sceneOf(tr)));
        }
        if (tr.terminated || tr.truncated) {
          flush();
          const done = fd!;
          fd = null;
          commitFileSync(done, tmp, final); // fsync, close, rename: the one atomic writer's guarantee
          options.onEpisode?.(final, header!);
        } else if (pending.length >= FLUSH_LINES) {
          flush();
        }
      };
      const resetLine = (tr: Transition<O, A>, scene: Scene): string => {
        const why = explainInvalidScene(scene);
        if (why !== null) throw new InvalidConfig(`Expected recordEpisodes resetSceneOf to return a valid scene, got one that is not: ${why}`);
        const line = { t: 0, step: tr.step, reset: true, action: null, reward: 0, terminated: false, truncated: false, scene };
        return `${JSON.stringify(line)}\n`;
      };
      const stepLine = (tr: Transition<O, A>, scene: Scene): string => {
        const line: Record<string, unknown> = {
          t: tr.t,
          step: tr.step,
          action: plain(tr.action),
          reward: tr.reward,
          terminated: tr.terminated,
          truncated: tr.truncated,
          scene,
        };
        const extra = options.valuesOf?.(tr);
        if (extra !== undefined) for (const [k, v] of Object.entries(extra)) if (!(k in line)) line[k] = plain(v);
        return `${JSON.stringify(line)}\n`;
      };

      const subscription = source.subscribe({
        next: (tr) => {
          try {
            record(tr);
          } catch (err) {
            discard();
            subscriber.error(err);
            return;
          }
          subscriber.next(tr);
        },
        error: (err: unknown) => {
          discard();
          subscriber.error(err);
        },
        complete: () => {
          discard();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        discard();
      };
    });
}

/** Takes the scene after each reset for `recordEpisodes`' `resetSceneOf` (see `resetSceneTracker`). */
export interface ResetSceneTracker<O, A> {
  /** `actor`, wrapped: asked for an episode's first action, it first keeps the env's scene (the reset scene). */
  wrap(actor: Actor<O, A>): Actor<O, A>;
  /**
   * The same without wrapping the actor, for a run whose actor is not yours to wrap: pass it as steps$'s
   * `onReset` option (called after each reset, before the first action).
   */
  onReset(obs: O, ctx: ActorContext): void;
  /** The kept reset scene of `transition`'s episode, at its first transition; undefined otherwise. */
  sceneOf(transition: Transition<O, A>): Scene | undefined;
}

/**
 * The scene right after each `reset()`, which a steps$ transition cannot carry (it is emitted after its
 * step). The actor is the one thing called between a reset and the first step, so the tracker wraps it:
 *
 * ```ts
 * const resets = resetSceneTracker(() => env.scene!(), { wanted: (episode) => episode % 10 === 0 });
 * steps$(env, resets.wrap(actor)).pipe(recordEpisodes(dir, { envId, every: 10, sceneOf: () => env.scene!(), resetSceneOf: resets.sceneOf }));
 * ```
 * or, without touching the actor, `steps$(env, actor, { onReset: resets.onReset })`. `wanted` skips the scene of
 * episodes that will not be recorded (default: every episode).
 */
export function resetSceneTracker<O, A>(scene: () => Scene, options: { wanted?: (episode: number) => boolean } = {}): ResetSceneTracker<O, A> {
  // The scene of the latest reset: steps$ emits an episode's first transition right after the actor chose its
  // action, before the next reset, so the latest is the one of the transition at hand (even when a
  // downstream map renumbers episodes, as a resumed run does).
  let kept: Scene | undefined;
  const keep = (ctx: ActorContext): void => {
    // A copy: an env may mutate the scene object it returned when it steps.
    if (ctx.t === 0) kept = (options.wanted?.(ctx.episode) ?? true) ? structuredClone(scene()) : undefined;
  };
  return {
    wrap: (actor) => (obs, ctx) => {
      keep(ctx);
      return actor(obs, ctx);
    },
    onReset: (_obs, ctx) => keep(ctx),
    sceneOf: (tr) => (tr.t === 0 ? kept : undefined),
  };
}

/** A recording read back. */
export interface Episode {
  header: EpisodeHeader;
  steps: EpisodeStep[];
  /** Whether the last step ended the episode (terminated or truncated). */
  complete: boolean;
  /** In lenient mode, why reading stopped early (the `CorruptFile` message); null when the file is whole. */
  error: string | null;
}

/** Options of `readEpisode`. */
export interface ReadEpisodeOptions {
  /** Return the valid prefix (with `error` set) instead of throwing on a corrupt or truncated line. Default false. */
  lenient?: boolean;
}

/**
 * Reads a recording. Throws `CorruptFile` naming the file and the first bad line (not JSON, a truncated last
 * line, an invalid scene); with `{ lenient: true }` returns the steps before it instead. A missing or
 * unreadable file, or a bad header line, always throws.
 */
export async function readEpisode(file: string, options: ReadEpisodeOptions = {}): Promise<Episode> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CorruptFile(file, `Expected a readable episode file ${file}, got ${(err as Error).message}.`, { cause: err });
  }
  const name = basename(file);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const parse = (i: number): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(lines[i]!);
    } catch {
      const last = i === lines.length - 1 && !text.endsWith('\n');
      throw new CorruptFile(file, `Expected JSON on line ${i + 1} of ${name}, got ${last ? 'a truncated last line' : 'text that is not JSON'}.`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new CorruptFile(file, `Expected an object on line ${i + 1} of ${name}, got ${describeValue(value)}.`);
    }
    return value as Record<string, unknown>;
  };
  if (lines.length === 0) throw new CorruptFile(file, `Expected a header line in ${name}, got an empty file.`);
  const header = parse(0);
  if (header.format !== EPISODE_FORMAT || typeof header.episode !== 'number') {
    throw new CorruptFile(file, `Expected a header {"format":"${EPISODE_FORMAT}", "episode": ...} on line 1 of ${name}, got ${describeValue(header)}.`);
  }
  const steps: EpisodeStep[] = [];
  let error: string | null = null;
  for (let i = 1; i < lines.length; i++) {
    try {
      const row = parse(i);
      const why = explainInvalidScene(row.scene);
      if (why !== null) throw new CorruptFile(file, `Expected a valid scene on line ${i + 1} of ${name}: ${why}`);
      if (typeof row.reward !== 'number' || typeof row.t !== 'number') {
        throw new CorruptFile(file, `Expected numbers t and reward on line ${i + 1} of ${name}, got t ${describeValue(row.t)} and reward ${describeValue(row.reward)}.`);
      }
      steps.push(row as unknown as EpisodeStep);
    } catch (err) {
      if (!options.lenient || !(err instanceof CorruptFile)) throw err;
      error = err.message;
      break;
    }
  }
  const last = steps[steps.length - 1];
  return { header: header as EpisodeHeader, steps, complete: last !== undefined && (last.terminated || last.truncated), error };
}
