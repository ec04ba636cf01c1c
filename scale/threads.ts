/**
 * Actors in worker threads (`rxgym train <algo> <env> --actors K`): K workers, each with its own envs and acting
 * networks, send experience messages to the learner on the main thread as transferred ArrayBuffers (no copy;
 * measured against a SharedArrayBuffer ring in bench/scale-threads.ts). Flow control: a worker holds while `window`
 * of its messages are unacknowledged, and the learner acknowledges a message once it is queued and the learner is
 * not busy (so a learner waiting for a row is never starved by a full window). Parameters go to every worker by
 * postMessage; a worker picks them up between batches.
 */
import { Worker } from 'node:worker_threads';
import type { LearnerLink, LinkHandlers } from './learner.js';
import { distributedSetup, type DistributedSetup } from './setup.js';
import { actorSeed, type RunSpec } from './run-spec.js';
import type { FromWorker, ThreadActorData, ToWorker } from './thread-actor.js';

/** Options of `threadActors`. */
export interface ThreadActorOptions {
  /** Envs per actor. */
  lanes?: number;
  /** Steps of each env per message. */
  laneLength?: number;
  /** Messages a worker may have in flight. */
  window?: number;
  log: (line: string) => void;
}

/** Starts `k` actor threads for `spec` and returns the learner's link to them. */
export function threadActors(spec: RunSpec, k: number, o: ThreadActorOptions): LearnerLink & { readonly workers: readonly Worker[]; readonly done: Promise<void> } {
  const here = new URL(import.meta.url);
  const source = here.pathname.endsWith('.ts');
  const entry = new URL(source ? './thread-actor.ts' : './thread-actor.js', here);
  const workers = Array.from({ length: k }, (_, index) => {
    const workerData: ThreadActorData = { spec, index, seed: actorSeed(spec.config.seed, index), lanes: o.lanes ?? 1, laneLength: o.laneLength ?? 64, window: o.window ?? 4 };
    // From the sources, the worker registers tsx before importing the TypeScript module (loader hooks are per thread).
    return source
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true, workerData })
      : new Worker(entry, { workerData });
  });
  const exits = workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
  let closing = false;
  let handlers: LinkHandlers | null = null;
  const credits = new Int32Array(k);
  const post = (w: Worker, m: ToWorker) => w.postMessage(m);
  const grant = (): void => {
    if (handlers?.busy()) return;
    for (let i = 0; i < k; i++) if (credits[i]! > 0) (post(workers[i]!, { type: 'ack', n: credits[i]! }), (credits[i] = 0));
  };
  return {
    workers,
    done: Promise.all(exits).then(() => {}),
    ackOnSave: false,
    down: false,
    async start(h) {
      handlers = h;
      workers.forEach((w, i) => {
        const actor = `thread-${i}`;
        w.on('message', (m: FromWorker) => {
          if (m.type === 'experience') {
            h.onMessage(actor, m.buf, null);
            credits[i]!++;
            grant();
          }
          else if (m.type === 'failed') o.log(`actor ${actor} failed: ${m.message}`);
        });
        w.on('error', (err) => o.log(`actor ${actor} failed: ${err.message}`));
        w.once('exit', (code) => {
          if (!closing) o.log(`actor ${actor} exited (code ${code}); the learner goes on with the others.`);
          h.onDead(actor);
        });
      });
    },
    async publish(buf, version) {
      for (const w of workers) post(w, { type: 'weights', buf, version });
    },
    async acknowledge() {
      grant();
    },
    async poll() {
      grant();
      return null;
    },
    async close() {
      closing = true;
      for (const w of workers) post(w, { type: 'stop' });
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
      await Promise.race([Promise.all(exits), timeout]);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** The setup of `rxgym train --actors K`: K actor threads for the run, parameters published every 50 updates. */
export function threadLearnerSetup(k: number, log: (line: string) => void, o: Omit<ThreadActorOptions, 'log'> & { publishEvery?: number } = {}): DistributedSetup {
  return distributedSetup(async (spec) => threadActors(spec, k, { ...o, log }), { publishEvery: o.publishEvery ?? 50, log });
}
