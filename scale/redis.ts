/**
 * The actor/learner protocol over Redis (docs/scale.md). Keys of run NAME, all under `rxgym:NAME:`:
 *   meta              the run as actors need it (JSON: algo, env, config, steps, batch shape)
 *   exp               the experience stream: XADD MAXLEN ~ entries { a: actor id, b: binary message }
 *                     read by the consumer group `learner`, acknowledged once the messages are in a checkpoint
 *   weights, version  the newest parameters (binary) and their version; PUBLISH on channel `weights` announces them
 *   actor:<id>        an actor's heartbeat (expires 5 s after its last batch): a learner waiting on a silent actor
 *                     checks it, and closes that actor's episode when it is gone
 *   done              set when the learner has finished the run: actors exit
 * Connections never queue commands while Redis is away (enableOfflineQueue false): a failed command is the signal.
 */
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import { InvalidConfig } from '../core/errors.js';
import type { ActorLink } from './actor.js';
import type { LearnerLink, LinkHandlers } from './learner.js';
import { checkRunSpec, type RunSpec } from './run-spec.js';

/** The run as published for actors. */
export interface RunMeta {
  spec: RunSpec;
  /** Steps of each env per transitions message. */
  laneLength: number;
}

/** Stream entries kept (approximately): the cap XADD trims to when the learner falls far behind. */
export const STREAM_MAXLEN = 10_000;
const HEARTBEAT_MS = 5_000;
/** Entries the learner has not read yet at which actors pause (checked every other batch). */
const MAX_LAG = 16;
const GROUP = 'learner';

/** The key names of run `run`. */
export function runKeys(run: string): Record<'meta' | 'exp' | 'weights' | 'version' | 'channel' | 'done', string> & { actor(id: string): string } {
  if (!/^[\w.-]+$/.test(run)) throw new InvalidConfig(`Expected --run to be a name of letters, digits, '.', '_' or '-', got "${run}".`);
  const p = `rxgym:${run}:`;
  return { meta: `${p}meta`, exp: `${p}exp`, weights: `${p}weights`, version: `${p}version`, channel: `${p}weights`, done: `${p}done`, actor: (id) => `${p}actor:${id}` };
}

/** A connection to `url` (redis:// or rediss:// for TLS; a password as redis://:pass@host) that fails fast while Redis is away and reconnects by itself. */
export function connect(url: string, options: RedisOptions = {}): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new InvalidConfig(`Expected --redis to be a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379), got "${url}".`);
  return new Redis(url, {
    lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, 1_000), ...options,
  });
}

/** Connects, retrying every second with one line per failure until `signal` aborts (then throws). */
export async function connectWithRetry(redis: Redis, url: string, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (redis.status === 'ready') return;
      if (redis.status === 'wait' || redis.status === 'end' || redis.status === 'close') await redis.connect();
      else await new Promise<void>((resolve, reject) => (redis.once('ready', resolve), redis.once('error', reject), setTimeout(resolve, 1_000)));
      if ((redis.status as string) === 'ready') return;
    } catch (err) {
      if (signal?.aborted) throw err;
      // A refused password never heals by retrying: say so once instead of "cannot reach" every second.
      if (/WRONGPASS|NOAUTH|invalid password/i.test((err as Error).message)) {
        redis.disconnect();
        throw new InvalidConfig(`Expected the password of Redis at ${redact(url)} (as redis://:password@host:port), but it refused it: ${(err as Error).message}`);
      }
      if (attempt === 1 || attempt % 10 === 0) log(`cannot reach Redis at ${redact(url)} (${(err as Error).message}); retrying every second.`);
      await sleep(1_000);
    }
  }
}

/** `url` without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The learner's link: publishes the run, reads the stream with the consumer group, publishes weights. */
export async function redisLearnerLink(url: string, run: string, meta: RunMeta, log: (line: string) => void): Promise<LearnerLink> {
  const keys = runKeys(run);
  const cmd = connect(url);
  const reader = connect(url);
  cmd.on('error', () => {});
  reader.on('error', () => {});
  await connectWithRetry(cmd, url, (l) => log(`learner: ${l}`));
  await connectWithRetry(reader, url, (l) => log(`learner: ${l}`));
  let last: { weights: ArrayBuffer; version: number } | null = null;
  let closed = false;
  let wasDown = false;
  let handlers: LinkHandlers | null = null;
  const setup = async (): Promise<void> => {
    await cmd.set(keys.meta, JSON.stringify(meta));
    await cmd.del(keys.done);
    try {
      await cmd.xgroup('CREATE', keys.exp, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    if (last !== null) await publishNow(last.weights, last.version);
  };
  const publishNow = async (weights: ArrayBuffer, version: number): Promise<void> => {
    await cmd.multi().set(keys.weights, Buffer.from(weights)).set(keys.version, String(version)).publish(keys.channel, String(version)).exec();
  };
  await setup();
  const heartbeats = new Map<string, number>();

  /** Reads pending entries first (a restarted learner's), then new ones; recreates the group after a Redis restart. */
  const readLoop = async (): Promise<void> => {
    let cursor = '0'; // an id: this consumer's pending entries after it; '>': new entries

    while (!closed) {
      if (handlers!.busy()) {
        await sleep(20);
        continue;
      }
      let reply: unknown;
      try {
        reply = await reader.callBuffer('XREADGROUP', ['GROUP', GROUP, 'learner', 'COUNT', '64', ...(cursor === '>' ? ['BLOCK', '500'] : []), 'STREAMS', keys.exp, cursor]);
      } catch (err) {
        if (closed) return;
        const text = String((err as Error).message);
        if (text.includes('NOGROUP')) {
          log('learner: the experience stream or its group is gone (Redis restarted without its data); recreating them.');
          await setup().catch(() => {});
          cursor = '>';
        } else {
          await sleep(250);
        }
        continue;
      }
      const entries = parseEntries(reply);
      if (cursor !== '>' && entries.length === 0) cursor = '>';
      for (const [id, fields] of entries) {
        if (cursor !== '>') cursor = id; // pending entries (a restarted learner's): continue after the last one read
        const actor = fields['a']?.toString('utf8') ?? 'unknown';
        handlers!.onMessage(actor, fields['b'] ?? new Uint8Array(0), id);
      }
    }
  };

  return {
    ackOnSave: true,
    get down() { return cmd.status !== 'ready'; },
    async start(h) {
      handlers = h;
      void readLoop();
    },
    async publish(weights, version) {
      last = { weights, version };
      if (cmd.status === 'ready') await publishNow(weights, version).catch(() => {});
    },
    async acknowledge(tokens) {
      for (let i = 0; i < tokens.length; i += 1000) await cmd.xack(keys.exp, GROUP, ...tokens.slice(i, i + 1000)).catch(() => {});
    },
    async poll(waitingOn) {
      if (cmd.status !== 'ready') {
        const first = !wasDown;
        wasDown = true;
        return first ? `learner: cannot reach Redis at ${redact(url)}; waiting for it (the actors buffer their batches).` : null;
      }
      if (wasDown) {
        wasDown = false;
        await setup().catch(() => {});
        return 'learner: Redis is reachable again.';
      }
      if (waitingOn === null) return null;
      const checked = heartbeats.get(waitingOn) ?? 0;
      if (Date.now() - checked < 1_000) return null;
      heartbeats.set(waitingOn, Date.now());
      const alive = await cmd.exists(keys.actor(waitingOn)).catch(() => 1);
      if (alive) return null;
      handlers?.onDead(waitingOn);
      return `learner: actor ${waitingOn} stopped sending (no heartbeat for ${HEARTBEAT_MS / 1000} s); its episode in flight is closed and the learner goes on with the others.`;
    },
    async close() {
      closed = true;
      await cmd.set(keys.done, '1').catch(() => {});
      await cmd.publish(keys.channel, 'done').catch(() => {});
      cmd.disconnect();
      reader.disconnect();
    },
  };
}

/** `[[key, [[id, [field, value, ...]], ...]]]` (or one `[key, entries]`) of Buffers into `[id, fields]` pairs; malformed parts are dropped. */
function parseEntries(reply: unknown): [string, Record<string, Buffer>][] {
  const out: [string, Record<string, Buffer>][] = [];
  if (!Array.isArray(reply)) return out;
  for (const stream of Buffer.isBuffer(reply[0]) ? [reply] : reply) {
    const items = Array.isArray(stream) ? stream[1] : null;
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      if (!Array.isArray(item) || !Buffer.isBuffer(item[0])) continue;
      const fields: Record<string, Buffer> = {};
      const list = Array.isArray(item[1]) ? (item[1] as unknown[]) : [];
      for (let i = 0; i + 1 < list.length; i += 2) if (Buffer.isBuffer(list[i]) && Buffer.isBuffer(list[i + 1])) fields[(list[i] as Buffer).toString('utf8')] = list[i + 1] as Buffer;
      out.push([item[0].toString('utf8'), fields]);
    }
  }
  return out;
}

/** Options of an actor's link. */
export interface ActorLinkOptions {
  /** Messages kept while Redis is unreachable before `send` waits. */
  bufferBound?: number;
  log: (line: string) => void;
}

/** An actor's link: reads the run, sends experience (buffering while Redis is away), follows the weights. */
export async function redisActorLink(url: string, run: string, o: ActorLinkOptions, signal?: AbortSignal): Promise<ActorLink & { meta: RunMeta; id: string; close(): Promise<void> }> {
  const keys = runKeys(run);
  const cmd = connect(url);
  const sub = connect(url);
  cmd.on('error', () => {});
  sub.on('error', () => {});
  await connectWithRetry(cmd, url, (l) => o.log(`actor: ${l}`), signal);
  let metaText: string | null = null;
  for (let i = 0; (metaText = await cmd.get(keys.meta)) === null; i++) {
    if (signal?.aborted) throw new InvalidConfig(`Expected a learner to have published run "${run}" in Redis, got none.`);
    if (i === 0) o.log(`actor: waiting for a learner to publish run "${run}" at ${redact(url)}...`);
    await sleep(500);
  }
  const parsed = JSON.parse(metaText) as RunMeta;
  const meta: RunMeta = { spec: checkRunSpec(parsed.spec, `${keys.meta} in Redis`), laneLength: parsed.laneLength };
  const id = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const bound = o.bufferBound ?? 64;
  const buffered: Buffer[] = [];
  let stopped = false;
  let announced = -1;
  let lastPoll = 0;
  let sends = 0;
  let downSince = 0;
  sub.on('message', (_channel: string, text: string) => (text === 'done' ? (stopped = true) : (announced = Number(text))));
  void connectWithRetry(sub, url, () => {}, signal).then(() => sub.subscribe(keys.channel)).catch(() => {});
  sub.on('ready', () => void sub.subscribe(keys.channel).catch(() => {}));

  const flush = async (): Promise<void> => {
    while (buffered.length > 0) {
      const pipe = cmd.pipeline();
      for (const b of buffered.slice(0, 16)) pipe.xadd(keys.exp, 'MAXLEN', '~', String(STREAM_MAXLEN), '*', 'a', id, 'b', b);
      pipe.set(keys.actor(id), '1', 'PX', HEARTBEAT_MS);
      const results = await pipe.exec();
      if (results === null || results.some(([err]) => err !== null)) throw new Error(String(results?.find(([err]) => err)?.[0] ?? 'no reply'));
      buffered.splice(0, Math.min(16, buffered.length));
    }
  };
  /** Waits while the group has many unread entries (the learner is behind): the stream's backpressure. */
  const throttle = async (): Promise<void> => {
    for (;;) {
      const groups = (await cmd.call('XINFO', 'GROUPS', keys.exp).catch(() => [])) as unknown[];
      const info = Array.isArray(groups[0]) ? (groups[0] as unknown[]) : [];
      const lag = Number(info[info.indexOf('lag') + 1] ?? 0);
      if (!(lag > MAX_LAG) || stopped || signal?.aborted) return;
      await cmd.set(keys.actor(id), '1', 'PX', HEARTBEAT_MS).catch(() => {}); // waiting, not gone
      await sleep(20);
    }
  };
  return {
    id,
    meta,
    get stopped() { return stopped; },
    async send(message) {
      buffered.push(Buffer.from(message));
      for (let backoff = 250; ; backoff = Math.min(backoff * 2, 4_000)) {
        try {
          await flush();
          if (downSince !== 0) o.log(`actor: Redis is reachable again after ${((Date.now() - downSince) / 1000).toFixed(1)} s; sent the buffered batches.`);
          downSince = 0;
          break;
        } catch (err) {
          if (downSince === 0) (downSince = Date.now());
          if (buffered.length < bound || stopped || signal?.aborted) {
            if (buffered.length === 1 || buffered.length === bound - 1) o.log(`actor: cannot reach Redis at ${redact(url)} (${(err as Error).message}); buffering batches (${buffered.length} of at most ${bound}).`);
            return;
          }
          o.log(`actor: cannot reach Redis at ${redact(url)}; ${buffered.length} batches buffered (the bound); retrying in ${(backoff / 1000).toFixed(2)} s.`);
          await sleep(backoff);
        }
      }
      if (++sends % 2 === 0) await throttle();
    },
    async latestWeights(version) {
      const now = Date.now();
      // Pub/sub announces new versions; without it (disconnected), poll the version key once a second.
      if (sub.status !== 'ready' || now - lastPoll > 1_000) {
        lastPoll = now;
        const [v, done] = await Promise.all([cmd.get(keys.version).catch(() => null), cmd.exists(keys.done).catch(() => 0)]);
        if (done) stopped = true;
        if (v !== null) announced = Number(v);
      }
      // Any other version is newer: a restarted learner counts again from its checkpoint's.
      if (announced < 0 || announced === version) return null;
      const buf = await cmd.getBuffer(keys.weights).catch(() => null);
      if (buf === null) return null;
      const copy = new ArrayBuffer(buf.byteLength);
      new Uint8Array(copy).set(buf);
      return copy;
    },
    async close() {
      await cmd.del(keys.actor(id)).catch(() => {});
      cmd.disconnect();
      sub.disconnect();
    },
  };
}
