/**
 * Actors in worker threads (`rxgym train <algo> <env> --actors K`): K workers, each with its own envs and acting
 * networks, send experience messages to the learner on the main thread as transferred ArrayBuffers (no copy;
 * measured against a SharedArrayBuffer ring in bench/scale-threads.ts), with a window of unacknowledged messages
 * per worker as flow control. Parameters go to every worker by postMessage; a worker picks them up between batches.
 */
import { Worker } from 'node:worker_threads';
import type { LearnerLink } from './learner.js';
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
    const workerData: ThreadActorData = { spec, index, seed: actorSeed(spec.config.seed, index), lanes: o.lanes ?? 1, laneLength: o.laneLength ?? 128, window: o.window ?? 8 };
    // From the sources, the worker registers tsx before importing the TypeScript module (loader hooks are per thread).
    return source
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true, workerData })
      : new Worker(entry, { workerData });
  });
  const exits = workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
  let closing = false;
  const post = (w: Worker, m: ToWorker) => w.postMessage(m);
  return {
    workers,
    done: Promise.all(exits).then(() => {}),
    ackOnSave: false,
    down: false,
    async start(h) {
      workers.forEach((w, i) => {
        const actor = `thread-${i}`;
        w.on('message', (m: FromWorker) => {
          if (m.type === 'experience') h.onMessage(actor, m.buf, String(i));
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
    async acknowledge(tokens) {
      const counts = new Map<string, number>();
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, n] of counts) post(workers[Number(t)]!, { type: 'ack', n });
    },
    async poll() {
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
