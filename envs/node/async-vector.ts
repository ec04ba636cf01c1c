/**
 * AsyncVectorEnv: N environments in worker threads with shared-memory rows (Node only, hence `envs/node/`;
 * the browser-safe `SyncVectorEnv` and the row layout are in `envs/vector.ts`).
 */
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Info } from '../../core/env.js';
import { InvalidConfig, ResetNeeded, describeValue } from '../../core/errors.js';
import { checkSeed } from '../../core/rng.js';
import { spaceFromJSON, type AnySpace, type SpaceJSON } from '../../core/spaces.js';
import { EMPTY_INFO, VectorEnvError, validateActions, type BlockBuffers } from '../vector-block.js';
import {
  allocBuffers, checkActions, checkMaxSteps, checkNumEnvs, closedError, layoutOf,
  type Layout, type VecResetArgs, type VecResetResult, type VecStepResult, type VectorEnvOptions,
} from '../vector.js';

/** Where a worker gets its envs: a registered id, or a module exporting a factory or an Env class. */
export type EnvSource =
  | { id: string; kwargs?: Record<string, unknown> }
  | {
      /** A module path (absolute, relative to the working directory, or a file: URL). */
      module: string;
      /** The export: a factory `(...args) => Env` or an Env class. Default `default`. */
      exportName?: string;
      /** Arguments passed to the factory or constructor (structured-cloneable). */
      args?: unknown[];
    };

/** Options of `AsyncVectorEnv.create`. */
export interface AsyncVectorEnvOptions extends VectorEnvOptions {
  /** Worker threads; envs are split into contiguous blocks. Default min(numEnvs, available cores). */
  numWorkers?: number;
  /** Modules each worker imports first (e.g. one that `register()`s a custom id). */
  imports?: string[];
}

/** Messages a worker posts (see vector-worker.ts). */
export type WorkerReply =
  | { type: 'spaces'; observationSpace: SpaceJSON; actionSpace: SpaceJSON; maxEpisodeSteps: number | null }
  | { type: 'done'; infos: [number, Info][]; finalInfos: [number, Info][] }
  | { type: 'error'; envIndex: number; method: string; name: string; message: string; code?: string }
  | { type: 'closed' };

/** Messages the parent posts to a worker. */
export type WorkerRequest =
  | { type: 'buffers'; bufs: BlockBuffers; maxEpisodeSteps: number | null }
  | { type: 'reset'; seed?: number; options?: Record<string, unknown> }
  | { type: 'step' }
  | { type: 'close' };

/** The data a worker starts with. */
export interface WorkerInit {
  source: EnvSource;
  imports: string[];
  firstIndex: number;
  count: number;
  maxEpisodeSteps: number | null | undefined;
}

function toModuleUrl(spec: string): string {
  if (/^(file|data|node):/.test(spec)) return spec;
  if (spec.startsWith('.') || isAbsolute(spec)) return pathToFileURL(resolvePath(spec)).href;
  return spec; // a bare package specifier
}

/**
 * How to start a worker. Built (.js) code runs vector-worker.js directly. Under tsx or vitest this module
 * runs from its .ts source; Node 20 workers ignore `--import tsx` in execArgv for their entry point, so a
 * small eval'd bootstrap loads the .ts worker through tsx's `tsImport` (which also handles its imports).
 */
function workerEntry(): { script: URL | string; eval: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  if (!fromSource) return { script: new URL('./vector-worker.js', import.meta.url), eval: false };
  const target = new URL('./vector-worker.ts', import.meta.url).href;
  // The ESM build of tsx's API, found through its package.json (require.resolve would pick the CJS build).
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const api = new URL(pkg.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs', pathToFileURL(pkgPath)).href;
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(target)}, ${JSON.stringify(target)}));`;
  return { script: code, eval: true };
}

interface Pending {
  remaining: number;
  error: VectorEnvError | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * N environments in worker threads (for envs whose step is expensive: rendering, physics, a network).
 * Observations, rewards, flags and actions live in SharedArrayBuffers; each call is one message per worker.
 * Same layout and same-step autoreset as `SyncVectorEnv`, but `reset`/`step`/`close` return Promises.
 * Errors thrown by an env arrive as `VectorEnvError` naming the env index and the original error class.
 */
export class AsyncVectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: AnySpace;
  readonly singleActionSpace: AnySpace;
  readonly obsDim: number;
  readonly actDim: number;
  private readonly workers: Worker[];
  private readonly blocks: { first: number; count: number }[];
  private readonly layout: Layout;
  private readonly bufs: BlockBuffers;
  private readonly infos: Info[];
  private readonly finalInfo: (Info | null)[];
  private readonly resetResult: VecResetResult;
  private readonly stepResult: VecStepResult;
  private pending: Pending | undefined;
  private state: 'fresh' | 'running' | 'closed' = 'fresh';
  private closing: Promise<void> | undefined;
  /** Set when a worker died; every later call rejects with it. */
  private failure: VectorEnvError | undefined;

  private constructor(workers: Worker[], blocks: { first: number; count: number }[], layout: Layout, obsSpace: AnySpace, actSpace: AnySpace) {
    this.workers = workers;
    this.blocks = blocks;
    this.layout = layout;
    this.numEnvs = layout.numEnvs;
    this.obsDim = layout.obsDim;
    this.actDim = layout.actDim;
    this.singleObservationSpace = obsSpace;
    this.singleActionSpace = actSpace;
    this.bufs = allocBuffers(layout, true);
    this.infos = new Array<Info>(layout.numEnvs).fill(EMPTY_INFO);
    this.finalInfo = new Array<Info | null>(layout.numEnvs).fill(null);
    const b = this.bufs;
    this.resetResult = { obs: b.obs, infos: this.infos };
    this.stepResult = {
      obs: b.obs, rewards: b.rewards, terminated: b.terminated, truncated: b.truncated, done: b.done,
      finalObs: b.finalObs, infos: this.infos, finalInfo: this.finalInfo,
    };
  }

  /**
   * Starts the workers, builds `numEnvs` envs from `source` (`{ id, kwargs }` or `{ module, exportName, args }`)
   * and resolves once every worker is ready. Registered ids are built as `SyncVectorEnv.make` builds them.
   */
  static async create(source: EnvSource, numEnvs: number, options: AsyncVectorEnvOptions = {}): Promise<AsyncVectorEnv> {
    const who = 'AsyncVectorEnv';
    checkNumEnvs(who, numEnvs);
    checkMaxSteps(who, options.maxEpisodeSteps);
    if (source === null || typeof source !== 'object' || (!('id' in source) && !('module' in source))) {
      throw new InvalidConfig(`${who}: Expected a source { id, kwargs? } or { module, exportName?, args? }, got ${describeValue(source)}.`);
    }
    const cores = availableParallelism();
    const numWorkers = options.numWorkers ?? Math.max(1, Math.min(numEnvs, cores));
    if (!Number.isSafeInteger(numWorkers) || numWorkers < 1 || numWorkers > numEnvs) {
      throw new InvalidConfig(`${who}: Expected numWorkers to be an integer from 1 to numEnvs (${numEnvs}), got ${describeValue(numWorkers)}.`);
    }
    const src: EnvSource = 'module' in source ? { ...source, module: toModuleUrl(source.module) } : source;
    const imports = (options.imports ?? []).map(toModuleUrl);
    const blocks: { first: number; count: number }[] = [];
    for (let w = 0, first = 0; w < numWorkers; w++) {
      const count = Math.floor(numEnvs / numWorkers) + (w < numEnvs % numWorkers ? 1 : 0);
      blocks.push({ first, count });
      first += count;
    }
    const entry = workerEntry();
    const workers = blocks.map(({ first, count }) => {
      const init: WorkerInit = { source: src, imports, firstIndex: first, count, maxEpisodeSteps: options.maxEpisodeSteps };
      return new Worker(entry.script, { workerData: init, eval: entry.eval });
    });
    let replies: Extract<WorkerReply, { type: 'spaces' }>[];
    try {
      replies = await Promise.all(
        workers.map(
          (w, k) =>
            new Promise<Extract<WorkerReply, { type: 'spaces' }>>((resolve, reject) => {
              const onMessage = (msg: WorkerReply): void => {
                cleanup();
                if (msg.type === 'spaces') resolve(msg);
                else if (msg.type === 'error') reject(new VectorEnvError(who, msg.envIndex, msg.method, msg.name, msg.message, msg.code));
                else reject(new VectorEnvError(who, blocks[k]!.first, 'make', 'Error', `unexpected message ${msg.type}`));
              };
              const onError = (err: Error): void => {
                cleanup();
                reject(VectorEnvError.wrap(who, blocks[k]!.first, 'make', err));
              };
              const onExit = (code: number): void => {
                cleanup();
                reject(new VectorEnvError(who, blocks[k]!.first, 'make', 'WorkerExit', `the worker exited with code ${code} before it was ready`));
              };
              const cleanup = (): void => {
                w.off('message', onMessage);
                w.off('error', onError);
                w.off('exit', onExit);
              };
              w.on('message', onMessage);
              w.on('error', onError);
              w.on('exit', onExit);
            }),
        ),
      );
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    const obsSpace = spaceFromJSON(replies[0]!.observationSpace);
    const actSpace = spaceFromJSON(replies[0]!.actionSpace);
    const layout = layoutOf(who, numEnvs, obsSpace, actSpace);
    const env = new AsyncVectorEnv(workers, blocks, layout, obsSpace, actSpace);
    const max = replies[0]!.maxEpisodeSteps;
    workers.forEach((w, k) => {
      const { first, count } = blocks[k]!;
      const slice = (arr: Float32Array | Float64Array | Uint8Array | Int32Array, per: number) => arr.subarray(first * per, (first + count) * per);
      const bufs = {
        obs: slice(env.bufs.obs, layout.obsDim),
        finalObs: slice(env.bufs.finalObs, layout.obsDim),
        rewards: slice(env.bufs.rewards, 1),
        terminated: slice(env.bufs.terminated, 1),
        truncated: slice(env.bufs.truncated, 1),
        done: slice(env.bufs.done, 1),
        actions: slice(env.bufs.actions, layout.actDim),
      } as BlockBuffers;
      const req: WorkerRequest = { type: 'buffers', bufs, maxEpisodeSteps: max };
      w.postMessage(req);
      w.on('message', (msg: WorkerReply) => env.onReply(k, msg));
      w.on('error', (err: Error) => env.onWorkerFailure(VectorEnvError.wrap(who, first, 'worker', err)));
      w.on('exit', (code: number) => {
        if (env.state !== 'closed') env.onWorkerFailure(new VectorEnvError(who, first, 'worker', 'WorkerExit', `the worker exited with code ${code}`));
      });
    });
    return env;
  }

  private onReply(k: number, msg: WorkerReply): void {
    const p = this.pending;
    if (!p) return;
    if (msg.type === 'error') {
      p.error ??= new VectorEnvError('AsyncVectorEnv', msg.envIndex, msg.method, msg.name, msg.message, msg.code);
    } else if (msg.type === 'done') {
      const { first, count } = this.blocks[k]!;
      for (let i = first; i < first + count; i++) {
        this.infos[i] = EMPTY_INFO;
        this.finalInfo[i] = null;
      }
      for (const [i, info] of msg.infos) this.infos[first + i] = info;
      for (const [i, info] of msg.finalInfos) this.finalInfo[first + i] = info;
    }
    if (--p.remaining === 0) this.settle(p);
  }

  /** A worker died (uncaught error or exit): it will never answer the pending call, so count it as answered. */
  private onWorkerFailure(err: VectorEnvError): void {
    this.failure ??= err;
    const p = this.pending;
    if (!p) return;
    p.error ??= err;
    if (--p.remaining === 0) this.settle(p);
  }

  private settle(p: Pending): void {
    this.pending = undefined;
    if (p.error) p.reject(p.error);
    else p.resolve();
  }

  private broadcast(req: WorkerRequest): Promise<void> {
    if (this.failure) return Promise.reject(this.failure); // a dead worker would never answer
    if (this.pending) {
      return Promise.reject(new InvalidConfig('AsyncVectorEnv: Expected the previous reset()/step() to finish, got another call while it runs. Await each call.'));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending = { remaining: this.workers.length, error: undefined, resolve, reject };
      for (const w of this.workers) w.postMessage(req);
    });
  }

  /** Resets every env (env i with `seed + i` when a seed is given). Resolves to reused buffers. */
  async reset(args: VecResetArgs = {}): Promise<VecResetResult> {
    if (this.state === 'closed') throw closedError('AsyncVectorEnv', 'reset');
    if (args.seed !== undefined) checkSeed(args.seed, 'AsyncVectorEnv reset seed');
    const req: WorkerRequest = { type: 'reset' };
    if (args.seed !== undefined) req.seed = args.seed;
    if (args.options !== undefined) req.options = args.options;
    await this.broadcast(req);
    this.state = 'running';
    return this.resetResult;
  }

  /** Steps every env with its row of `actions` (see `SyncVectorEnv.step`). Resolves to reused buffers. */
  async step(actions: Int32Array | Float32Array): Promise<VecStepResult> {
    if (this.state !== 'running') {
      throw this.state === 'closed'
        ? closedError('AsyncVectorEnv', 'step')
        : new ResetNeeded('AsyncVectorEnv: Expected reset() before the first step(), got step() on a vector env that was never reset. Call reset() first.');
    }
    const src = checkActions('AsyncVectorEnv', actions, this.layout);
    if (this.pending) {
      throw new InvalidConfig('AsyncVectorEnv: Expected the previous reset()/step() to finish, got another call while it runs. Await each call.');
    }
    validateActions(this.singleActionSpace, src, this.numEnvs, this.actDim, 'AsyncVectorEnv', 0, null);
    const a = this.bufs.actions;
    for (let i = 0; i < a.length; i++) a[i] = src[i]!;
    await this.broadcast({ type: 'step' });
    return this.stepResult;
  }

  /** Closes every env and terminates the workers. Calling it twice is harmless. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.state = 'closed';
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(closedError('AsyncVectorEnv', 'step'));
    this.closing = (async () => {
      await Promise.all(
        this.workers.map(async (w) => {
          // Ask the env to close itself, but never wait long for a stuck worker.
          const closed = new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 1000);
            w.once('message', () => {
              clearTimeout(t);
              resolve();
            });
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
          });
          try {
            w.postMessage({ type: 'close' } satisfies WorkerRequest);
          } catch {
            // already gone
          }
          await closed;
          await w.terminate();
        }),
      );
    })();
    return this.closing;
  }
}
