/** Worker-thread entry of `AsyncVectorEnv`: builds a block of envs and steps it into shared memory on request. */
import { parentPort, workerData } from 'node:worker_threads';
import type { AnyEnv, Info } from '../../core/env.js';
import { InvalidConfig, RxgymError, describeValue } from '../../core/errors.js';
import { spaceToJSON } from '../../core/spaces.js';
import '../builtin.js';
import { make, spec as registeredSpec } from '../registry.js';
import { EMPTY_INFO, EnvBlock, VectorEnvError } from '../vector-block.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './async-vector.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const label = 'AsyncVectorEnv';

function post(msg: WorkerReply): void {
  port.postMessage(msg);
}

function postError(err: unknown, envIndex: number, method: string): void {
  const e = err instanceof VectorEnvError ? err : VectorEnvError.wrap(label, envIndex, method, err);
  const cause = e.cause instanceof Error ? e.cause : undefined;
  post({
    type: 'error',
    envIndex: e.envIndex,
    method: e.method,
    name: e.originalName,
    message: cause ? cause.message : e.message,
    ...(e.originalCode !== undefined ? { code: e.originalCode } : cause instanceof RxgymError ? { code: cause.code } : {}),
  });
}

async function buildEnvs(): Promise<{ envs: AnyEnv[]; maxEpisodeSteps: number | undefined }> {
  for (const m of init.imports) await import(m);
  const src = init.source;
  const envs: AnyEnv[] = [];
  let max = init.maxEpisodeSteps ?? undefined;
  if ('id' in src) {
    if (init.maxEpisodeSteps === undefined) max = registeredSpec(src.id).maxEpisodeSteps;
    for (let i = 0; i < init.count; i++) {
      envs.push(make(src.id, src.kwargs ?? {}, { disableEnvChecker: true, disableOrderEnforcing: true, maxEpisodeSteps: null }));
    }
  } else {
    const mod = (await import(src.module)) as Record<string, unknown>;
    const name = src.exportName ?? 'default';
    const exp = mod[name];
    if (typeof exp !== 'function') {
      throw new InvalidConfig(`${label}: Expected module ${src.module} to export "${name}" as a factory or Env class, got ${describeValue(exp)}.`);
    }
    const isClass = /^class[\s{]/.test(Function.prototype.toString.call(exp));
    const args = src.args ?? [];
    for (let i = 0; i < init.count; i++) {
      envs.push(isClass ? new (exp as new (...a: unknown[]) => AnyEnv)(...args) : (exp as (...a: unknown[]) => AnyEnv)(...args));
    }
  }
  return { envs, maxEpisodeSteps: max };
}

let block: EnvBlock | undefined;
let built: { envs: AnyEnv[]; maxEpisodeSteps: number | undefined };
try {
  built = await buildEnvs();
  const first = built.envs[0]!;
  post({
    type: 'spaces',
    observationSpace: spaceToJSON(first.observationSpace),
    actionSpace: spaceToJSON(first.actionSpace),
    maxEpisodeSteps: built.maxEpisodeSteps ?? null,
  });
} catch (err) {
  postError(err, init.firstIndex, 'make');
}

function sparse<T>(arr: readonly T[], keep: (x: T) => boolean): [number, T][] {
  const out: [number, T][] = [];
  for (let i = 0; i < arr.length; i++) if (keep(arr[i]!)) out.push([i, arr[i]!]);
  return out;
}
const nonEmpty = (info: object | null): boolean => info !== null && info !== EMPTY_INFO && Object.keys(info).length > 0;

port.on('message', (req: WorkerRequest) => {
  try {
    switch (req.type) {
      case 'buffers':
        block = new EnvBlock(built.envs, built.envs[0]!.observationSpace, built.envs[0]!.actionSpace, req.bufs, {
          label, firstIndex: init.firstIndex, maxEpisodeSteps: req.maxEpisodeSteps ?? undefined,
        });
        return;
      case 'reset':
        block!.reset(req.seed, req.options);
        post({ type: 'done', infos: sparse(block!.infos, nonEmpty), finalInfos: [] });
        return;
      case 'step':
        block!.step();
        post({ type: 'done', infos: sparse(block!.infos, nonEmpty), finalInfos: sparse(block!.finalInfo, (x) => x !== null) as [number, Info][] });
        return;
      case 'close':
        try {
          block?.close();
        } finally {
          post({ type: 'closed' });
        }
        return;
    }
  } catch (err) {
    postError(err, init.firstIndex, req.type);
  }
});
