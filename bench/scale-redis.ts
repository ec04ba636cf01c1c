/**
 * The protocol over Redis, on loopback, against a redis-server started here (no persistence, a free port):
 *   redis.transitionsPerSecond      CartPole transitions (random policy, 4096 per message) through XADD MAXLEN ~ and
 *                                   XREADGROUP + decode + XACK, producer and consumer pipelined in this process
 *   redis.bytesPerTransition        message bytes per transition (compact: next observations only at episode ends)
 *   redis.learnerUpdatesPerSecond   `rxgym learner dqn CartPole-v1` (preset, 20k steps) with two `rxgym actor`
 *                                   processes, against `redis.inProcessUpdatesPerSecond`: `rxgym train` of the same run
 *   npm run bench -- scale-redis [--seeds 0,1,2] [--json]
 * Medians over seeds with min and max. Prints figures; asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { trainCommand } from '../cli/commands/train.js';
import { redisLearnerSetup } from '../scale/redis-commands.js';
import { decodeMessage, FLAG, TransitionWriter } from '../scale/wire.js';
import { range } from './scale-threads.js';

const ROWS = 4096;

/** A redis-server on a free loopback port, without persistence; `stop()` kills it. */
async function redisServer(): Promise<{ url: string; stop: () => void }> {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!bin) throw new Error('redis-server is not installed (Debian package redis-server): the Redis figures need a real server.');
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'rxgym-bench-redis-'));
  const child: ChildProcess = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept') && resolve()));
  return { url: `redis://127.0.0.1:${port}`, stop: () => void child.kill('SIGKILL') };
}

/** Messages of ROWS CartPole transitions under a random policy, as an actor writes them. */
function cartPoleMessages(count: number): ArrayBuffer[] {
  const env = make('CartPole-v1');
  const w = new TransitionWriter({ obsDim: 4, actDim: 1, lanes: 1, laneLength: ROWS, priorities: false });
  let obs = env.reset({ seed: 0 }).obs as Float32Array;
  const out: ArrayBuffer[] = [];
  for (let m = 0; m < count; m++) {
    for (let t = 0; t < ROWS; t++) {
      const a = (t * 7919 + m) % 2;
      w.obs.set(obs, t * 4);
      w.actions[t] = a;
      const r = env.step(a);
      w.rewards[t] = r.reward;
      w.flags[t] = (r.terminated ? FLAG.terminated : 0) | (r.truncated ? FLAG.truncated : 0);
      if (r.terminated || r.truncated || t === ROWS - 1) w.setNextObs(t, r.obs as Float32Array);
      obs = (r.terminated || r.truncated ? env.reset().obs : r.obs) as Float32Array;
    }
    out.push(w.finish(m * ROWS, 0));
  }
  return out;
}

/** Transitions per second through the stream: pipelined XADDs, and a consumer reading, decoding and acknowledging. */
async function throughput(url: string, messages: ArrayBuffer[], rounds: number): Promise<number> {
  const producer = new Redis(url), consumer = new Redis(url);
  const key = `bench:${Math.random().toString(36).slice(2)}`;
  await producer.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
  const total = messages.length * rounds;
  const started = performance.now();
  const produce = (async () => {
    for (let r = 0; r < rounds; r++) {
      const pipe = producer.pipeline();
      for (const m of messages) pipe.xadd(key, 'MAXLEN', '~', '10000', '*', 'a', 'bench', 'b', Buffer.from(m));
      await pipe.exec();
    }
  })();
  let received = 0, transitions = 0;
  while (received < total) {
    const reply = (await consumer.callBuffer('XREADGROUP', ['GROUP', 'g', 'c', 'COUNT', '32', 'BLOCK', '1000', 'STREAMS', key, '>'])) as unknown[] | null;
    if (!reply) continue;
    const items = (Buffer.isBuffer(reply[0]) ? reply[1] : (reply[0] as unknown[])[1]) as [Buffer, Buffer[]][];
    const ids: string[] = [];
    for (const [id, fields] of items) {
      const m = decodeMessage(fields[3]!, 'bench');
      if (m.kind === 'transitions') transitions += m.rewards.length;
      ids.push(id.toString());
      received++;
    }
    await consumer.xack(key, 'g', ...ids);
  }
  await produce;
  const seconds = (performance.now() - started) / 1000;
  await producer.del(key);
  producer.disconnect();
  consumer.disconnect();
  return transitions / seconds;
}

function capture(): Writable & { text: string } {
  const w = new Writable({ write(chunk, _e, cb) { (w as unknown as { text: string }).text += String(chunk); cb(); } }) as Writable & { text: string };
  w.text = '';
  return w;
}

/** Gradient steps per second of one DQN CartPole run: through Redis with two actor processes, or in process. */
async function updatesPerSecond(url: string | null, seed: number): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'rxgym-bench-learner-'));
  const run = `bench${seed}${Math.random().toString(36).slice(2, 6)}`;
  const actors = url === null ? [] : [0, 1].map(() => spawn(process.execPath, ['bin/rxgym.js', 'actor', '--redis', url, '--run', run], { stdio: 'ignore' }));
  try {
    const stdout = capture();
    const io = url === null ? {} : { distributed: redisLearnerSetup({ url, run, publishEvery: 10, laneLength: 32, log: () => {} }) };
    await trainCommand('dqn', 'CartPole-v1', { steps: 20_000, seed, out, evalEpisodes: 0, evalEvery: 0 }, { stdout, stderr: capture(), ...io });
    const m = /in ([\d.]+) s \(\d+ steps\/s, (\d+) gradient steps/.exec(stdout.text);
    if (!m) throw new Error(`no summary line in: ${stdout.text}`);
    return Number(m[2]) / Number(m[1]);
  } finally {
    for (const a of actors) a.kill('SIGTERM');
    rmSync(out, { recursive: true, force: true });
  }
}

/** The Redis figures of the scale bench (bench/scale.ts calls it). */
export async function redisFigures(opts: { seeds: number[]; log: (s: string) => void }): Promise<Record<string, unknown>> {
  const server = await redisServer();
  try {
    const messages = cartPoleMessages(16);
    const bytes = messages.reduce((s, m) => s + m.byteLength, 0) / (messages.length * ROWS);
    const rates = [];
    for (let i = 0; i < Math.max(3, opts.seeds.length); i++) rates.push(await throughput(server.url, messages, 16));
    const t = range(rates);
    opts.log(`redis transitions/s ${t.median.toFixed(0)} (${t.min.toFixed(0)}-${t.max.toFixed(0)}), ${bytes.toFixed(1)} bytes per transition (CartPole, ${ROWS} per message)`);
    const viaRedis = [], inProcess = [];
    for (const seed of opts.seeds) {
      viaRedis.push(await updatesPerSecond(server.url, seed));
      inProcess.push(await updatesPerSecond(null, seed));
    }
    const r = range(viaRedis), p = range(inProcess);
    opts.log(`learner updates/s through Redis ${r.median.toFixed(0)} (${r.min.toFixed(0)}-${r.max.toFixed(0)}), in process ${p.median.toFixed(0)} (${p.min.toFixed(0)}-${p.max.toFixed(0)}): ${((r.median / p.median - 1) * 100).toFixed(1)}%`);
    return {
      'redis.transitionsPerSecond': Math.round(t.median), 'redis.bytesPerTransition': Number(bytes.toFixed(2)),
      'redis.learnerUpdatesPerSecond': Math.round(r.median), 'redis.inProcessUpdatesPerSecond': Math.round(p.median),
      'redis.spread': { transitionsPerSecond: t, learnerUpdatesPerSecond: r, inProcessUpdatesPerSecond: p },
    };
  } finally {
    server.stop();
  }
}

/** `npm run bench -- scale-redis [--seeds 0,1,2] [--json]`. */
export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const i = args.indexOf('--seeds');
  const seeds = i >= 0 ? args[i + 1]!.split(',').map(Number) : [0, 1, 2];
  const figures = await redisFigures({ seeds, log: (s) => (json ? process.stderr : process.stdout).write(`${s}\n`) });
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}
