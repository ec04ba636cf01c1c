/**
 * A worker thread's actor (`rxgym train --actors K`): builds its envs and acting networks from `workerData`,
 * sends experience to the main thread through its own SharedArrayBuffer ring (scale/ring.ts; room for about `window`
 * messages, so a learner that stops reading holds the actor), and takes parameters and the stop notice from it
 * between batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { algorithm } from '../agents/registry.js';
import { runActor, type ActorLink } from './actor.js';
import { ByteRing, createRing, ringCapacityFor } from './ring.js';
import { checkRunSpec, makeRunEnv } from './run-spec.js';

/** What the main thread passes a worker. */
export interface ThreadActorData {
  spec: unknown;
  index: number;
  seed: number;
  lanes: number;
  laneLength: number;
  /** Messages the ring holds (it grows when a message would not fit `window` times). */
  window: number;
}

/** Main thread to worker. */
export type ToWorker = { type: 'weights'; buf: ArrayBuffer; version: number } | { type: 'stop' };
/** Worker to main thread. */
export type FromWorker =
  // A (new, larger) ring to read from once the previous one is drained; data in the ring after the learner slept on it.
  | { type: 'ring'; buffer: SharedArrayBuffer }
  | { type: 'wake' }
  | { type: 'done'; steps: number; messages: number }
  | { type: 'failed'; message: string };

const port = parentPort;
if (port !== null) {
  const data = workerData as ThreadActorData;
  let latest: { buf: ArrayBuffer; version: number } | null = null;
  let stopped = false;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'weights') latest = { buf: m.buf, version: m.version };
    else stopped = true;
  });
  let ring: ByteRing | null = null;
  const send = async (buf: ArrayBuffer): Promise<void> => {
    const bytes = new Uint8Array(buf);
    if (ring === null || bytes.byteLength > ring.maxMessageBytes) {
      // First message, or one larger than the ring: a ring for `window` such messages; the main thread drains the old one first.
      ring = new ByteRing(createRing(ringCapacityFor(bytes.byteLength, data.window)));
      port.postMessage({ type: 'ring', buffer: ring.buffer } satisfies FromWorker);
    }
    if (!(await ring.write(bytes, () => stopped))) return;
    if (ring.takeWakeRequest()) port.postMessage({ type: 'wake' } satisfies FromWorker);
    // Let the weights and the stop notice in between batches.
    await new Promise((r) => setImmediate(r));
  };
  const link: ActorLink = {
    get stopped() { return stopped; },
    send,
    async latestWeights(version) {
      const l = latest as { buf: ArrayBuffer; version: number } | null;
      return l !== null && l.version !== version ? l.buf : null;
    },
  };
  try {
    const spec = checkRunSpec(data.spec, 'the worker data');
    const entry = algorithm(spec.algo);
    const r = await runActor({
      entry, config: spec.config, totalSteps: spec.steps, makeEnv: () => makeRunEnv(spec), lanes: data.lanes, laneLength: data.laneLength,
      seed: data.seed, log: (line) => process.stderr.write(`actor ${data.index}: ${line}\n`),
    }, link);
    port.postMessage({ type: 'done', steps: r.steps, messages: r.messages } satisfies FromWorker);
  } catch (err) {
    port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
  port.close();
}
