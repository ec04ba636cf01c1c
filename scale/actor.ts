/**
 * An actor: its own envs and a copy of the acting networks, sending experience to a learner through an
 * `ActorLink` (worker thread or Redis), picking up newer parameters between batches without waiting for them.
 * Off-policy actors send transitions batches (`lanes` envs x `laneLength` steps); on-policy actors run the
 * agent's own `runOnPolicy` and send each collected rollout, tagged with the policy version it was collected with.
 */
import type { Env } from '../core/env.js';
import { flatdim, flatten, type AnySpace } from '../core/spaces.js';
import type { Agent } from '../agents/agent.js';
import { ObservationEncoder, setNetParams, trainingEnv } from '../agents/common.js';
import type { DqnAgent, DqnConfig } from '../agents/dqn.js';
import type { AlgorithmEntry } from '../agents/registry.js';
import { runOnPolicy, type VecEnvLike } from '../agents/loops/on-policy.js';
import { learnerVec } from '../agents/loops/single-env-vec.js';
import { gaussianToAction, type ReinforceConfig } from '../agents/reinforce.js';
import { actingNets, dqnPriorities, offPolicyBehaviour } from './behaviour.js';
import { decodeMessage, encodeRollout, FLAG, TransitionWriter, type EpisodeRecord } from './wire.js';

/** How an actor talks to its learner. */
export interface ActorLink {
  /** Sends one experience message (its buffer may be transferred); resolves once the link accepts more (flow control). */
  send(message: ArrayBuffer): Promise<void>;
  /** The newest weights message if newer than `version`, else null; never waits for the learner. */
  latestWeights(version: number): Promise<ArrayBuffer | null>;
  /** True once the learner has finished the run. */
  readonly stopped: boolean;
}

/** What an actor builds and runs. */
export interface ActorPlan {
  entry: AlgorithmEntry;
  /** The run's resolved config (the learner's). */
  config: Record<string, unknown> & { seed: number };
  /** The run's total steps (the schedules' horizon). */
  totalSteps: number;
  makeEnv: () => Promise<Env<unknown, unknown>>;
  /** Envs this actor steps side by side. */
  lanes: number;
  /** Off-policy: steps of each env per message. */
  laneLength: number;
  /** Distinct per actor: seeds its envs and its exploration. */
  seed: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** What an actor did. */
export interface ActorResult {
  steps: number;
  messages: number;
  episodes: number;
}

/** Waits for the first parameters, then acts and sends until the learner stops (or the signal aborts). */
export async function runActor(plan: ActorPlan, link: ActorLink): Promise<ActorResult> {
  return plan.entry.name === 'reinforce' ? runOnPolicyActor(plan, link) : runOffPolicyActor(plan, link);
}

/** The actor's agent: the run's config with a replay of one batch (it never learns) and the actor's own seed. */
function actingAgent(plan: ActorPlan, env: Env<unknown, unknown>, extra: Record<string, unknown>): Agent {
  return plan.entry.create(env, plan.entry.resolveConfig({ ...plan.config, ...extra, seed: plan.seed % 2 ** 31 }));
}

/** Applies weights newer than `version` if the link has them; returns the version and the learner's step now held. */
async function refresh(link: ActorLink, agent: Agent, held: { version: number; step: number }): Promise<boolean> {
  const buf = await link.latestWeights(held.version);
  if (buf === null) return false;
  const w = decodeMessage(buf, 'the published weights');
  if (w.kind !== 'weights') return false;
  setNetParams(actingNets(agent), w.nets);
  held.version = w.version;
  held.step = w.step;
  return true;
}

async function firstWeights(link: ActorLink, agent: Agent, held: { version: number; step: number }, plan: ActorPlan): Promise<boolean> {
  for (let waited = 0; !(await refresh(link, agent, held)); waited++) {
    if (link.stopped || plan.signal?.aborted) return false;
    if (waited === 50) plan.log('actor: waiting for the learner to publish its parameters...');
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function runOffPolicyActor(plan: ActorPlan, link: ActorLink): Promise<ActorResult> {
  const c = plan.config;
  const dqn = plan.entry.name === 'dqn';
  // The actor applies frame skip; reward clipping stays with the learner, so the episode returns it logs are the env's own.
  const wrap = (e: Env<unknown, unknown>) => (dqn ? trainingEnv(e, { frameSkip: (c as unknown as DqnConfig).frameSkip, clipReward: false }) : e);
  const envs = await Promise.all(Array.from({ length: plan.lanes }, async () => wrap(await plan.makeEnv())));
  const agent = actingAgent(plan, envs[0]!, { bufferSize: (c['batchSize'] as number) ?? 1, numEnvs: 1, asyncEnvs: false });
  const held = { version: -1, step: 0 };
  const result: ActorResult = { steps: 0, messages: 0, episodes: 0 };
  try {
    if (!(await firstWeights(link, agent, held, plan))) return result;
    const space = envs[0]!.observationSpace as AnySpace;
    const obsDim = flatdim(space);
    const behaviour = offPolicyBehaviour(agent, plan.lanes, plan.totalSteps, plan.seed);
    const prioritized = dqn && (c as unknown as DqnConfig).prioritized;
    const writer = new TransitionWriter({ obsDim, actDim: behaviour.actDim, lanes: plan.lanes, laneLength: plan.laneLength, priorities: prioritized });
    const obs = envs.map((e, i) => e.reset({ seed: (plan.seed + i) % 2 ** 31 }).obs);
    const ret = new Float64Array(plan.lanes), len = new Float64Array(plan.lanes);
    const flat = new Float32Array(obsDim);
    let sinceWeights = 0;
    for (let seq = 0; !link.stopped && !plan.signal?.aborted; seq += plan.laneLength) {
      for (let t = 0; t < plan.laneLength; t++) {
        for (let lane = 0; lane < plan.lanes; lane++) {
          const row = lane * plan.laneLength + t;
          const a = behaviour.act(obs[lane], held.step + sinceWeights++, lane);
          flatten(space as never, obs[lane], writer.obs, row * obsDim);
          if (typeof a === 'number') writer.actions[row] = a;
          else writer.actions.set(a, row * behaviour.actDim);
          const r = envs[lane]!.step(a);
          writer.rewards[row] = r.reward;
          ret[lane]! += r.reward;
          len[lane]!++;
          const done = r.terminated || r.truncated;
          writer.flags[row] = (r.terminated ? FLAG.terminated : 0) | (r.truncated ? FLAG.truncated : 0);
          if (done || t === plan.laneLength - 1) writer.setNextObs(row, flatten(space as never, r.obs, flat));
          if (done) {
            const rec = (r.info as { episode?: { r: number; l: number } }).episode;
            writer.addEpisode(row, rec?.r ?? ret[lane]!, rec?.l ?? len[lane]!);
            ret[lane] = 0;
            len[lane] = 0;
            result.episodes++;
            behaviour.episodeEnd(lane);
            obs[lane] = envs[lane]!.reset().obs;
          } else {
            obs[lane] = r.obs;
          }
        }
      }
      if (writer.priorities) setPriorities(agent as DqnAgent<unknown>, writer, obsDim);
      await link.send(writer.finish(seq, held.version));
      result.messages++;
      result.steps += plan.lanes * plan.laneLength;
      if (await refresh(link, agent, held)) sinceWeights = 0;
    }
    return result;
  } finally {
    for (const e of envs) e.close();
    agent.dispose();
  }
}

/** PER: the batch's initial priorities from the actor's Q (the observations scaled as the network sees them). */
function setPriorities(agent: DqnAgent<unknown>, writer: TransitionWriter, obsDim: number): void {
  const scale = new ObservationEncoder(agent.env.observationSpace).scale;
  dqnPriorities(agent, writer.rows, obsDim, writer.obs, writer.actions, writer.rewards, writer.flags, writer.nextObs, scale, writer.priorities!);
}

async function runOnPolicyActor(plan: ActorPlan, link: ActorLink): Promise<ActorResult> {
  const env = await plan.makeEnv();
  const c = plan.config as unknown as ReinforceConfig;
  const agent = actingAgent(plan, env, { numEnvs: plan.lanes, asyncEnvs: false });
  const held = { version: -1, step: 0 };
  const result: ActorResult = { steps: 0, messages: 0, episodes: 0 };
  try {
    if (!(await firstWeights(link, agent, held, plan))) return result;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    plan.signal?.addEventListener('abort', onAbort);
    let episodes: EpisodeRecord[] = [];
    await runOnPolicy(gaussianVec(learnerVec(env, plan.lanes, false), env, c), {
      steps: Number.MAX_SAFE_INTEGER,
      policy: (agent as unknown as { onPolicy: Parameters<typeof runOnPolicy>[1]['policy'] }).onPolicy,
      collect: c.rolloutLength !== null ? { rolloutLength: c.rolloutLength } : { episodes: c.episodesPerUpdate },
      seed: plan.seed % 2 ** 31,
      onEpisode: (e) => void episodes.push({ row: 0, ret: e.return, len: e.length, end: (e.terminated ? FLAG.terminated : 0) | (e.truncated ? FLAG.truncated : 0) }),
      signal: stop.signal,
      update: async (rollout) => {
        await link.send(encodeRollout(rollout, held.version, episodes));
        result.messages++;
        result.steps += rollout.size;
        result.episodes += episodes.length;
        episodes = [];
        // On-policy: wait (briefly) for the parameters of the update this rollout feeds, so the next one is fresh.
        for (let i = 0; i < 20 && !(await refresh(link, agent, held)) && !link.stopped; i++) await new Promise((r) => setTimeout(r, 5));
        if (link.stopped) stop.abort();
      },
    });
    plan.signal?.removeEventListener('abort', onAbort);
    return result;
  } finally {
    agent.dispose();
  }
}

/** Box actions: the vector takes the Gaussian samples and steps the env with them clipped or squashed (as REINFORCE's own vector). */
function gaussianVec(vec: VecEnvLike, env: Env<unknown, unknown>, c: ReinforceConfig): VecEnvLike {
  const space = env.actionSpace as AnySpace;
  if (space.kind !== 'box') return vec;
  const d = space.low.length, n = vec.numEnvs;
  const bounds = { low: Float32Array.from(space.low), high: Float32Array.from(space.high) };
  const u = new Float32Array(n * d);
  return {
    numEnvs: n, obsDim: vec.obsDim, actDim: vec.actDim, singleActionSpace: vec.singleActionSpace, actionBuffer: u,
    reset: (args) => vec.reset(args), close: () => vec.close(),
    step: () => vec.step(gaussianToAction(u, n, d, bounds, c.gaussian === 'tanh', vec.actionBuffer as Float32Array)),
  };
}
