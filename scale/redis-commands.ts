/**
 * What `rxgym learner --redis` and `rxgym actor --redis` run: the learner's setup (a named run folder, the run
 * published in Redis, the stream read by the consumer group) and an actor's whole life (read the run, act, send,
 * stop when the learner is done or on a signal).
 */
import { algorithm } from '../agents/registry.js';
import { runActor, type ActorResult } from './actor.js';
import { redisActorLink, redisLearnerLink } from './redis.js';
import { actorSeed, makeRunEnv } from './run-spec.js';
import { createNamedRun, distributedSetup, type DistributedSetup } from './setup.js';

/** Options of a Redis learner. */
export interface RedisLearnerOptions {
  url: string;
  run: string;
  publishEvery: number;
  /** Steps of each env per transitions message. */
  laneLength: number;
  log: (line: string) => void;
}

/** The learner's setup: its run folder is `<out>/<run>`, and the run is published under `rxgym:<run>:` in Redis. */
export function redisLearnerSetup(o: RedisLearnerOptions): DistributedSetup {
  const base = distributedSetup((spec) => redisLearnerLink(o.url, o.run, { spec, laneLength: o.laneLength }, o.log), { publishEvery: o.publishEvery, log: o.log });
  return { ...base, createRun: (root, config) => createNamedRun(root, o.run, config) };
}

/** Runs one actor of run `run` until the learner is done or `signal` aborts; `envs` envs side by side. */
export async function runRedisActor(o: { url: string; run: string; envs: number; log: (line: string) => void; signal?: AbortSignal }): Promise<ActorResult> {
  const link = await redisActorLink(o.url, o.run, { log: o.log }, o.signal);
  try {
    const { spec, laneLength } = link.meta;
    let hash = 0;
    for (const ch of link.id) hash = (hash * 31 + ch.charCodeAt(0)) % 1_000_003;
    o.log(`actor ${link.id}: ${spec.algo} on ${spec.env}, ${o.envs} env${o.envs === 1 ? '' : 's'}, run "${o.run}".`);
    return await runActor({
      entry: algorithm(spec.algo), config: spec.config, totalSteps: spec.steps, makeEnv: () => makeRunEnv(spec), lanes: o.envs, laneLength,
      seed: actorSeed(spec.config.seed, hash), log: o.log, ...(o.signal ? { signal: o.signal } : {}),
    }, link);
  } finally {
    await link.close();
  }
}
