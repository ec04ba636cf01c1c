/**
 * Actors in worker threads (`rxgym train <algo> <env> --actors K`): K workers, each with its own envs and acting
 * networks, send experience messages to the learner on the main thread through one SharedArrayBuffer ring per worker
 * (scale/ring.ts; the transport bench/scale-threads.ts measures against transferred ArrayBuffers). Flow control:
 * the learner reads a ring only while it is not busy (so a learner waiting for a row is never starved), and a worker
 * whose ring is full (about `window` messages) waits until the learner reads. The learner drains a ring when its
 * worker wakes it (a postMessage only after the learner found that ring empty) and whenever it releases rows or
 * polls while waiting. Parameters go to every worker by postMessage; a worker picks them up between batches.
 */
import { Worker } from 'node:worker_threads';
import type { LearnerLink, LinkHandlers } from './learner.js';
import { distributedSetup, type DistributedSetup } from './setup.js';
import { actorSeed, type RunSpec } from './run-spec.js';
import { ByteRing } from './ring.js';
import type { FromWorker, ThreadActorData, ToWorker } from './thread-actor.js';

/** Options of `threadActors`. */
export interface ThreadActorOptions {
  /** Envs per actor. */
  lanes?: number;
  /** Steps of each env per message. */
  laneLength?: number;
  /** Messages a worker's ring holds (about). */
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
  const post = (w: Worker, m: ToWorker) => w.postMessage(m);
  const rings: (ByteRing | null)[] = workers.map(() => null);
  /** Reads actor `i`'s ring while the learner is not busy (all of it when `all`); sleeps on it once empty. */
  const drain = (i: number, all: boolean): void => {
    const ring = rings[i], h = handlers;
    if (!ring || !h) return;
    while (all || !h.busy()) {
      const m = ring.read();
      if (m !== null) h.onMessage(`thread-${i}`, m, null);
      else if (ring.sleep()) return;
    }
  };
  const drainAll = (): void => {
    for (let i = 0; i < k; i++) drain(i, false);
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
          if (m.type === 'wake') drain(i, false);
          else if (m.type === 'ring') {
            // Everything in the old ring was written before this notice: read it all, then the new one in order.
            drain(i, true);
            rings[i] = new ByteRing(m.buffer);
            drain(i, false);
          }
          else if (m.type === 'failed') o.log(`actor ${actor} failed: ${m.message}`);
        });
        w.on('error', (err) => o.log(`actor ${actor} failed: ${err.message}`));
        w.once('exit', (code) => {
          if (!closing) o.log(`actor ${actor} exited (code ${code}); the learner goes on with the others.`);
          drain(i, true);
          h.onDead(actor);
        });
      });
    },
    async publish(buf, version) {
      for (const w of workers) post(w, { type: 'weights', buf, version });
    },
    async acknowledge() {
      drainAll();
    },
    async poll() {
      drainAll();
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
