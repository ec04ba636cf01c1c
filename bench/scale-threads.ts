/**
 * Actors in worker threads: `rxgym train dqn CartPole-v1 --actors K` (the preset, 20k steps, no evaluation) for
 * K = 1, 2, 4 over seeds, through the CLI's trainCommand. Figures (medians over seeds, with min and max):
 *   threads.<K>.envStepsPerSecond        transitions the learner took in per second (each an actor's env step)
 *   threads.<K>.learnerUpdatesPerSecond  gradient steps per second
 *   threads.transport                    one worker sending 2 KB experience messages to the main thread: transferred
 *                                        ArrayBuffers against a SharedArrayBuffer ring (MB/s, messages/s)
 *   npm run bench -- scale-threads [--seeds 0,1,2] [--json]
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { trainCommand } from '../cli/commands/train.js';

const STEPS = 20_000;
/** Node 20 has Atomics.waitAsync; the ES2023 lib does not declare it. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { value: Promise<unknown> | string } }).waitAsync;

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

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, count, mode, sab } = workerData;
if (mode === 'transfer') {
  for (let i = 0; i < count; i++) { const b = new ArrayBuffer(bytes); new Uint8Array(b)[0] = i & 255; parentPort.postMessage(b, [b]); }
} else {
  const ctl = new Int32Array(sab, 0, 2); const data = new Uint8Array(sab, 8); const cap = data.length;
  const msg = new Uint8Array(bytes);
  for (let i = 0; i < count; i++) {
    while (Atomics.load(ctl, 0) - Atomics.load(ctl, 1) + bytes > cap) Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 1);
    const head = Atomics.load(ctl, 0); msg[0] = i & 255;
    const at = head % cap, first = Math.min(bytes, cap - at);
    data.set(first === bytes ? msg : msg.subarray(0, first), at); if (first < bytes) data.set(msg.subarray(first), 0);
    Atomics.store(ctl, 0, head + bytes); Atomics.notify(ctl, 0);
  }
}`;

/** Messages of `bytes` from one worker: transferred ArrayBuffers or a SharedArrayBuffer ring (copied out on the main thread). */
async function transport(mode: 'transfer' | 'ring', bytes: number, count: number): Promise<{ mbPerSecond: number; messagesPerSecond: number }> {
  const sab = new SharedArrayBuffer(8 + 64 * bytes);
  const started = performance.now();
  const w = new Worker(WORKER, { eval: true, workerData: { bytes, count, mode, sab } });
  let received = 0;
  if (mode === 'transfer') {
    await new Promise<void>((resolve) => w.on('message', () => ++received === count && resolve()));
  } else {
    const ctl = new Int32Array(sab, 0, 2), data = new Uint8Array(sab, 8), cap = data.length;
    while (received < count) {
      const head = Atomics.load(ctl, 0), tail = Atomics.load(ctl, 1);
      if (head - tail < bytes) {
        await waitAsync(ctl, 0, head, 5).value;
        continue;
      }
      const out = new Uint8Array(bytes);
      const at = tail % cap;
      out.set(data.subarray(at, Math.min(cap, at + bytes)));
      if (at + bytes > cap) out.set(data.subarray(0, at + bytes - cap), cap - at);
      Atomics.store(ctl, 1, tail + bytes);
      Atomics.notify(ctl, 1);
      received++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await w.terminate();
  return { mbPerSecond: (bytes * count) / seconds / 1e6, messagesPerSecond: count / seconds };
}

/** The thread figures of the scale bench (bench/scale.ts calls it). */
export async function threadFigures(opts: { seeds: number[]; log: (s: string) => void }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of [1, 2, 4]) {
    const runs = [];
    for (const seed of opts.seeds) runs.push(await threadRun(k, seed));
    const steps = range(runs.map((r) => r.steps)), updates = range(runs.map((r) => r.updates));
    out[`threads.${k}.envStepsPerSecond`] = Math.round(steps.median);
    out[`threads.${k}.learnerUpdatesPerSecond`] = Math.round(updates.median);
    out[`threads.${k}.spread`] = { envStepsPerSecond: steps, learnerUpdatesPerSecond: updates };
    opts.log(`threads ${k}: env steps/s ${steps.median.toFixed(0)} (${steps.min.toFixed(0)}-${steps.max.toFixed(0)}), updates/s ${updates.median.toFixed(0)} (${updates.min.toFixed(0)}-${updates.max.toFixed(0)}) over seeds ${opts.seeds.join(',')}`);
  }
  const transfers = [], rings = [];
  for (let i = 0; i < 3; i++) {
    transfers.push(await transport('transfer', 2048, 20_000));
    rings.push(await transport('ring', 2048, 20_000));
  }
  const t = range(transfers.map((x) => x.mbPerSecond)), r = range(rings.map((x) => x.mbPerSecond));
  out['threads.transport'] = { messageBytes: 2048, transferMBps: t, sabRingMBps: r, transferMessagesPerSecond: Math.round(range(transfers.map((x) => x.messagesPerSecond)).median), sabRingMessagesPerSecond: Math.round(range(rings.map((x) => x.messagesPerSecond)).median) };
  opts.log(`transport, 2 KB messages: transferred ArrayBuffers ${t.median.toFixed(0)} MB/s (${t.min.toFixed(0)}-${t.max.toFixed(0)}), SharedArrayBuffer ring ${r.median.toFixed(0)} MB/s (${r.min.toFixed(0)}-${r.max.toFixed(0)})`);
  return out;
}

/** `npm run bench -- scale-threads [--seeds 0,1,2] [--json]`. */
export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const i = args.indexOf('--seeds');
  const seeds = i >= 0 ? args[i + 1]!.split(',').map(Number) : [0, 1, 2];
  const figures = await threadFigures({ seeds, log: (s) => (json ? process.stderr : process.stdout).write(`${s}\n`) });
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}
