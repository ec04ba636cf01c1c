/**
 * Live mode: watch a training run in the browser while it trains. `liveViewer()` starts the viewer's server
 * and returns a small publisher; `viewer.watch(env)` is an rxjs operator for a `steps$` run that samples
 * scenes at a bounded rate, only while a browser is connected, and streams finished episodes as metrics.
 *
 * ```ts
 * const viewer = await liveViewer({ port: 8080 });
 * console.log(`watch at ${viewer.url}`);
 * steps$(env, actor).pipe(viewer.watch(env)).subscribe(learner);
 * ```
 *
 * Cost on the hot path: one boolean test per step (a timer raises it at most `maxFps` times a second while
 * a viewer is connected) plus a sum per step for the episode's return; scenes are built and serialised only
 * when a viewer will take them, and episode rows are sent in one batch a few times a second.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tap, type MonoTypeOperatorFunction, type Observer } from 'rxjs';
import type { Transition } from '../core/env.js';
import type { Scene } from '../core/scene.js';
import type { MetricsRow } from './server-api.js';
import { startServer, type ServerOptions, type ViewerServer } from './server.js';
import type { LiveSceneMeta } from './server-ws.js';

export type { LiveSceneMeta } from './server-ws.js';

/** Options of `liveViewer`. */
export interface LiveViewerOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Runs folder also served for browsing (default: a new empty folder). */
  runsDir?: string;
  /** Most scenes per second sent to a viewer (default 30, at most 60). */
  maxFps?: number;
  /** Env id shown in the viewer. */
  envId?: string;
  /** Most episode rows per metrics batch; more are averaged into this many (default 200). */
  maxRowsPerBatch?: number;
  /** Called with one-line notes (such as building the viewer). */
  log?: (line: string) => void;
  /** See `ServerOptions.build`. */
  build?: ServerOptions['build'];
}

/** Anything that can draw its current state (an Env, a wrapper). */
export interface SceneSource {
  scene?(): Scene;
}

/** A live viewer: its URL and the publishing side. */
export interface LiveViewer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** Browsers connected now. */
  readonly viewers: number;
  /** True when a connected viewer is due a scene: check it before building one (it costs nothing). */
  wantsScene(): boolean;
  /** Sends `scene` to the viewers that are due one; returns whether any took it. */
  publishScene(scene: Scene, meta?: LiveSceneMeta): boolean;
  /** Queues a metrics row (same shape as a metrics.jsonl line); rows go out a few times a second. */
  publishMetrics(row: MetricsRow): void;
  /** An observer for a `steps$` run of `env`: samples scenes and publishes finished episodes. */
  observer<O, A>(env: SceneSource): Partial<Observer<Transition<O, A>>>;
  /** The same as an operator: `steps$(env, actor).pipe(viewer.watch(env))`. */
  watch<O, A>(env: SceneSource): MonoTypeOperatorFunction<Transition<O, A>>;
  /** Sends what is queued, disconnects the viewers and frees the port. */
  close(): Promise<void>;
}

/** Milliseconds between metrics batches. */
const FLUSH_MS = 250;

/** Averages `rows` into at most `max` rows (the step of each group is its last row's step). */
export function condenseRows(rows: MetricsRow[], max: number): MetricsRow[] {
  if (rows.length <= max) return rows;
  const out: MetricsRow[] = [];
  const per = rows.length / max;
  for (let g = 0; g < max; g++) {
    const group = rows.slice(Math.floor(g * per), Math.floor((g + 1) * per));
    const last = group[group.length - 1]!;
    const row: MetricsRow = { ...last };
    for (const key of Object.keys(last)) {
      if (key === 'step' || key === 'episode' || typeof last[key] !== 'number') continue;
      let sum = 0;
      let n = 0;
      for (const r of group) {
        const v = r[key];
        if (typeof v === 'number' && Number.isFinite(v)) {
          sum += v;
          n++;
        }
      }
      row[key] = n > 0 ? sum / n : null;
    }
    out.push(row);
  }
  return out;
}

/** Starts the viewer's server in live mode on 127.0.0.1 and returns the publisher. */
export async function liveViewer(options: LiveViewerOptions = {}): Promise<LiveViewer> {
  const runsDir = options.runsDir ?? mkdtempSync(join(tmpdir(), 'rxgym-live-'));
  const server: ViewerServer = await startServer({
    runsDir,
    port: options.port ?? 0,
    live: true,
    maxFps: options.maxFps ?? 30,
    ...(options.log ? { log: options.log } : {}),
    ...(options.build ? { build: options.build } : {}),
  });
  const hub = server.hub;
  const maxRows = options.maxRowsPerBatch ?? 200;
  const envId = options.envId;
  let pending: MetricsRow[] = [];
  // Raised by the timer, lowered by a publish: the per-step test is a field read.
  let due = false;
  const sceneTimer = setInterval(() => {
    due = hub.clientCount > 0 && hub.wantsScene(performance.now());
  }, Math.max(5, Math.floor(1000 / (options.maxFps ?? 30) / 2)));
  const flush = (): void => {
    if (pending.length === 0) return;
    const rows = condenseRows(pending, maxRows);
    pending = [];
    hub.publishMetrics(rows);
  };
  const flushTimer = setInterval(flush, FLUSH_MS);
  // Timers must not keep a finished training process alive.
  sceneTimer.unref();
  flushTimer.unref();

  const publishScene = (scene: Scene, meta: LiveSceneMeta = {}): boolean => {
    due = false;
    if (envId !== undefined && meta.env === undefined) meta.env = envId;
    return hub.publishScene(scene, meta, performance.now()) > 0;
  };

  const observer = <O, A>(env: SceneSource): Partial<Observer<Transition<O, A>>> => {
    let ret = 0;
    let len = 0;
    return {
      next(x) {
        ret += x.reward;
        len++;
        if (due) {
          const scene = env.scene?.();
          if (scene !== undefined) publishScene(scene, { step: x.step, episode: x.episode, t: x.t + 1, reward: x.reward });
          else due = false;
        }
        if (x.terminated || x.truncated) {
          pending.push({ kind: 'episode', step: x.step + 1, episode: x.episode, return: ret, length: len });
          ret = 0;
          len = 0;
        }
      },
      complete: flush,
    };
  };

  return {
    url: server.url,
    get viewers() {
      return hub.clientCount;
    },
    wantsScene: () => due,
    publishScene,
    publishMetrics(row) {
      pending.push(row);
    },
    observer,
    watch: <O, A>(env: SceneSource) => tap<Transition<O, A>>(observer<O, A>(env)),
    async close() {
      clearInterval(sceneTimer);
      clearInterval(flushTimer);
      flush();
      await server.close();
    },
  };
}
