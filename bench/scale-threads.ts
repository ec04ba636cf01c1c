/**
 * Actors in worker threads: `rxgym train dqn CartPole-v1 --actors K` (the preset, 20k steps, no evaluation) for
 * K = 1, 2, 4 over seeds, through the CLI's trainCommand (experience through scale/ring.ts). Figures (medians over
 * seeds, with min and max):
 *   threads.<K>.envStepsPerSecond        transitions the learner took in per second (each an actor's env step)
 *   threads.<K>.learnerUpdatesPerSecond  gradient steps per second
 *   threads.transport                    one worker sending 2 KB experience messages to the main thread (5 runs):
 *                                        transferred ArrayBuffers against scale/ring.ts (MB/s, messages/s)
 *   npm run bench -- scale-threads [--seeds 0,1,2] [--only train|transport] [--json]
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { trainCommand } from '../cli/commands/train.js';
import { ByteRing, createRing, ringCapacityFor } from '../scale/ring.js';

const STEPS = 20_000;
/** The transport micro-bench's two ways; `train --actors` uses the ring (scale/ring.ts). */
type Transport = 'ring' | 'transfer';

/** A median with the range over seeds. */
export interface Range {
  median: number;
  min: number;
  max: number;
}

/** The median, min and max of `xs`. */
export function range(xs: number[]): Range {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { median: m, min: s[0]!, max: s.at(-1)! };
}

/** Text written to a stream, kept. */
function capture(): Writable & { text: string } {
  const w = new Writable({ write(chunk, _e, cb) { (w as unknown as { text: string }).text += String(chunk); cb(); } }) as Writable & { text: string };
  w.text = '';
  return w;
}

/** One `train --actors K` run: steps/s and updates/s as the command reports them. */
async function threadRun(k: number, seed: number): Promise<{ steps: number; updates: number }> {
  const out = mkdtempSync(join(tmpdir(), 'rxgym-bench-threads-'));
  try {
    const stdout = capture();
    await trainCommand('dqn', 'CartPole-v1', { actors: k, steps: STEPS, seed, out, evalEpisodes: 0, evalEvery: 0 }, { stdout, stderr: capture() });
    const m = /Trained (\d+) steps in ([\d.]+) s \(\d+ steps\/s, (\d+) gradient steps/.exec(stdout.text);
    if (!m) throw new Error(`no summary line in: ${stdout.text}`);
    const seconds = Number(m[2]);
    return { steps: Number(m[1]) / seconds, updates: Number(m[3]) / seconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The bench's producer: `count` messages of `bytes`, transferred or through scale/ring.ts as the thread actors use it. */
const WORKER = (ringModule: string) => `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, count, mode, buffer, window } = workerData;
const tick = () => new Promise((r) => setImmediate(r));
const run = async ({ ByteRing }) => {
  await new Promise((r) => parentPort.once('message', r)); // 'go': the clock starts after the worker has loaded
  if (mode === 'transfer') {
    // As scale/thread-actor.ts: at most window unacknowledged, a turn of the event loop after each message.
    let inFlight = 0, wake = null;
    parentPort.on('message', (n) => { inFlight -= n; if (wake) wake(); });
    for (let i = 0; i < count; i++) {
      const b = new ArrayBuffer(bytes); new Uint8Array(b)[0] = i & 255; inFlight++; parentPort.postMessage(b, [b]);
      await tick();
      while (inFlight >= window) await new Promise((r) => (wake = r));
    }
    return;
  }
  const ring = new ByteRing(buffer);
  for (let i = 0; i < count; i++) {
    const b = new ArrayBuffer(bytes); const m = new Uint8Array(b); m[0] = i & 255;
    if (!ring.tryWrite(m)) await ring.write(m);
    if (ring.takeWakeRequest()) parentPort.postMessage('wake');
    await tick();
  }
  parentPort.close();
};
import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(ringModule)}); }).then((m) => { parentPort.postMessage('ready'); return run(m); });`;

/**
 * Messages of `bytes` from one worker, as the thread actors send them: transferred ArrayBuffers with at most `window`
 * unacknowledged (each acknowledged on arrival), or a ring of room for `window` messages that the main thread drains
 * on a wake-up and copies each message out of; a turn of the worker's event loop after each message in both.
 */
async function transport(mode: Transport, bytes: number, count: number, window = 4): Promise<{ mbPerSecond: number; messagesPerSecond: number }> {
  const ring = new ByteRing(createRing(ringCapacityFor(bytes, window)));
  const w = new Worker(WORKER(new URL('../scale/ring.ts', import.meta.url).href), { eval: true, workerData: { bytes, count, mode, buffer: ring.buffer, window } });
  let received = 0, started = 0;
  await new Promise<void>((resolve, reject) => {
    w.on('error', reject);
    w.on('message', (m: unknown) => {
      if (m === 'ready') return ((started = performance.now()), w.postMessage('go'));
      if (m instanceof ArrayBuffer) (received++, w.postMessage(1));
      else for (;;) {
        if (ring.read() !== null) received++;
        else if (ring.sleep()) break;
      }
      if (received === count) resolve();
    });
  });
  const seconds = (performance.now() - started) / 1000;
  await w.terminate();
  return { mbPerSecond: (bytes * count) / seconds / 1e6, messagesPerSecond: count / seconds };
}

/** The thread figures of the scale bench (bench/scale.ts calls it). */
export async function threadFigures(opts: { seeds: number[]; log: (s: string) => void; only?: 'train' | 'transport' }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (opts.only !== 'transport') await trainFigures(opts.seeds, opts.log, out);
  if (opts.only !== 'train') await transportFigures(opts.log, out);
  return out;
}

/** `train --actors K`: env steps/s and updates/s into `out`. */
async function trainFigures(seeds: number[], log: (s: string) => void, out: Record<string, unknown>): Promise<void> {
  for (const k of [1, 2, 4]) {
    const runs = [];
    for (const seed of seeds) runs.push(await threadRun(k, seed));
    const steps = range(runs.map((r) => r.steps)), updates = range(runs.map((r) => r.updates));
    out[`threads.${k}.envStepsPerSecond`] = Math.round(steps.median);
    out[`threads.${k}.learnerUpdatesPerSecond`] = Math.round(updates.median);
    out[`threads.${k}.spread`] = { envStepsPerSecond: steps, learnerUpdatesPerSecond: updates };
    log(`threads ${k}: env steps/s ${steps.median.toFixed(0)} (${steps.min.toFixed(0)}-${steps.max.toFixed(0)}), updates/s ${updates.median.toFixed(0)} (${updates.min.toFixed(0)}-${updates.max.toFixed(0)}) over seeds ${seeds.join(',')}`);
  }
}

/** The transport micro-bench into `out`. */
async function transportFigures(log: (s: string) => void, out: Record<string, unknown>): Promise<void> {
  const transfers = [], rings = [];
  for (let i = 0; i < 5; i++) {
    transfers.push(await transport('transfer', 2048, 20_000));
    rings.push(await transport('ring', 2048, 20_000));
  }
  const t = range(transfers.map((x) => x.mbPerSecond)), r = range(rings.map((x) => x.mbPerSecond));
  out['threads.transport'] = { messageBytes: 2048, transferMBps: t, ringMBps: r, transferMessagesPerSecond: Math.round(range(transfers.map((x) => x.messagesPerSecond)).median), ringMessagesPerSecond: Math.round(range(rings.map((x) => x.messagesPerSecond)).median) };
  log(`transport, 2 KB messages, 5 runs: transferred ArrayBuffers ${t.median.toFixed(0)} MB/s (${t.min.toFixed(0)}-${t.max.toFixed(0)}), SharedArrayBuffer ring (scale/ring.ts) ${r.median.toFixed(0)} MB/s (${r.min.toFixed(0)}-${r.max.toFixed(0)})`);
}

/** `npm run bench -- scale-threads [--seeds 0,1,2] [--only train|transport] [--json]`. */
export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const i = args.indexOf('--seeds');
  const seeds = i >= 0 ? args[i + 1]!.split(',').map(Number) : [0, 1, 2];
  const o = args.indexOf('--only');
  const only = o >= 0 ? (args[o + 1] as 'train' | 'transport') : undefined;
  const figures = await threadFigures({ seeds, only, log: (s) => (json ? process.stderr : process.stdout).write(`${s}\n`) });
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}
