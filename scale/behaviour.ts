/**
 * What an actor needs of each algorithm: which networks it acts with (the learner publishes only those), and
 * the off-policy behaviour policies as the agents' own `explore` runs them in process, on the agent's public
 * networks: DQN's uniform warm-up then epsilon-greedy on the linear schedule; DDPG/TD3's uniform warm-up then the
 * actor's action plus Gaussian or Ornstein-Uhlenbeck noise (one process per env), clipped. The global step the
 * schedules read is the learner's, as last published, plus the actor's own steps since.
 * With PER, `dqnPriorities` gives the initial priorities Ape-X's actors compute: |r + gamma^k (1 - d) max Q(s') - Q(s, a)|.
 */
import { InvalidConfig } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { linearSchedule, type Schedule } from '../core/schedules.js';
import type { AnySpace, BoxSpace } from '../core/spaces.js';
import type { Agent } from '../agents/agent.js';
import { ObservationEncoder } from '../agents/common.js';
import type { DdpgAgent, DdpgConfig } from '../agents/ddpg.js';
import type { DqnAgent, DqnConfig } from '../agents/dqn.js';
import { gaussianNoise, ornsteinUhlenbeckNoise, type ActionNoise } from '../agents/noise.js';
import type { ReinforceAgent } from '../agents/reinforce.js';
import { duelingCombine } from '../nn/heads.js';
import type { Net } from '../nn/types.js';
import { FLAG } from './wire.js';

/** The networks an actor of `algo` acts with, by the names the agent's checkpoints use. */
export function actingNets(agent: Agent): Record<string, Net> {
  switch (agent.algo) {
    case 'dqn':
      return { q: (agent as DqnAgent).q };
    case 'ddpg':
    case 'td3':
      return { actor: (agent as DdpgAgent).actor };
    case 'reinforce': {
      const r = agent as ReinforceAgent;
      return Object.fromEntries(Object.entries({ policy: r.policy, logStd: r.logStd, value: r.value }).filter((e): e is [string, Net] => e[1] !== null));
    }
    default:
      throw new InvalidConfig(`Expected an algorithm with actors (dqn, ddpg, td3, reinforce), got '${agent.algo}'.`);
  }
}

/** An off-policy behaviour policy over `lanes` envs: `act` writes lane `lane`'s action (actDim floats) into `out`. */
export interface Behaviour<O> {
  readonly actDim: number;
  /** The action for `obs` at global step `step`, as the env takes it. */
  act(obs: O, step: number, lane: number): number | Float32Array;
  /** An episode of lane `lane` ended (noise processes restart). */
  episodeEnd(lane: number): void;
}

/** The behaviour policy of an off-policy agent built for acting (its nets get the learner's parameters). */
export function offPolicyBehaviour<O>(agent: Agent<O, unknown>, lanes: number, totalSteps: number, seed: number): Behaviour<O> {
  const rng = new Rng(seed);
  if (agent.algo === 'dqn') return dqnBehaviour(agent as unknown as DqnAgent<O>, totalSteps, rng);
  if (agent.algo === 'ddpg' || agent.algo === 'td3') return ddpgBehaviour(agent as unknown as DdpgAgent<O>, lanes, rng);
  throw new InvalidConfig(`Expected an off-policy algorithm (dqn, ddpg, td3), got '${agent.algo}'.`);
}

function dqnBehaviour<O>(agent: DqnAgent<O>, totalSteps: number, rng: Rng): Behaviour<O> {
  const c = agent.config as DqnConfig;
  const space = agent.env.actionSpace as unknown as { n: number; start: number };
  const epsilon: Schedule = linearSchedule(c.explorationInitialEps, c.explorationFinalEps, c.explorationFraction * totalSteps);
  return {
    actDim: 1,
    act: (obs, step) => (step < c.learningStarts || rng.float() < epsilon(step) ? rng.int(space.n) + space.start : agent.act(obs)),
    episodeEnd: () => {},
  };
}

function ddpgBehaviour<O>(agent: DdpgAgent<O>, lanes: number, rng: Rng): Behaviour<O> {
  const c = agent.config as DdpgConfig;
  const space = agent.env.actionSpace as unknown as BoxSpace;
  const d = space.low.length;
  const low = Float32Array.from(space.low), high = Float32Array.from(space.high);
  const encoder = new ObservationEncoder(agent.env.observationSpace);
  const u = new Float32Array(d), eps = new Float32Array(d);
  const noises: (ActionNoise | null)[] = Array.from({ length: lanes }, () =>
    c.actionNoise === 'gaussian' ? gaussianNoise(d, c.noiseStd, rng) : c.actionNoise === 'ornstein-uhlenbeck' ? ornsteinUhlenbeckNoise(d, { std: c.noiseStd }, rng) : null);
  return {
    actDim: d,
    act: (obs, step, lane) => {
      const a = new Float32Array(d);
      if (step < c.learningStarts) {
        for (let j = 0; j < d; j++) a[j] = low[j]! + rng.float() * (high[j]! - low[j]!);
        return a;
      }
      agent.actor.predict(encoder.encode(obs), 1, u);
      const noise = noises[lane];
      if (noise) {
        noise.sample(eps);
        for (let j = 0; j < d; j++) u[j] = Math.min(1, Math.max(-1, u[j]! + eps[j]!));
      }
      for (let j = 0; j < d; j++) a[j] = low[j]! + (u[j]! + 1) * ((high[j]! - low[j]!) / 2);
      return a;
    },
    episodeEnd: (lane) => noises[lane]?.reset(),
  };
}

/**
 * Initial priorities of a transitions batch (rows x obsDim in `obs`, the explicit next observations in `nextObs`)
 * from the actor's copy of Q: |r + gamma (1 - terminated) max_a Q(s', a) - Q(s, a)| into `out`. `scale` is the
 * observation scaling (1/255 for pixels). Allocates its scratch once per size.
 */
export function dqnPriorities(
  agent: DqnAgent<unknown>, rows: number, obsDim: number, obs: Float32Array, actions: Float32Array, rewards: Float32Array, flags: Uint8Array,
  nextObs: Float32Array, scale: number, out: Float32Array,
): Float32Array {
  const c = agent.config as DqnConfig;
  const n = (agent.env.actionSpace as AnySpace & { n: number; start: number }).n;
  const start = (agent.env.actionSpace as AnySpace & { start: number }).start;
  const x = new Float32Array(rows * obsDim), xNext = new Float32Array(rows * obsDim);
  for (let r = 0, next = 0; r < rows; r++) {
    for (let k = 0; k < obsDim; k++) x[r * obsDim + k] = obs[r * obsDim + k]! * scale;
    const src = (flags[r]! & FLAG.nextObs) !== 0 ? nextObs.subarray(next++ * obsDim) : obs.subarray((r + 1) * obsDim);
    for (let k = 0; k < obsDim; k++) xNext[r * obsDim + k] = src[k]! * scale;
  }
  const q = qOf(agent, x, rows, n, c.dueling);
  const qNext = qOf(agent, xNext, rows, n, c.dueling);
  for (let r = 0; r < rows; r++) {
    let best = -Infinity;
    for (let a = 0; a < n; a++) best = Math.max(best, qNext[r * n + a]!);
    const target = rewards[r]! + ((flags[r]! & FLAG.terminated) !== 0 ? 0 : c.gamma * best);
    out[r] = Math.abs(target - q[r * n + (actions[r]! - start)]!);
  }
  return out;
}

function qOf(agent: DqnAgent<unknown>, x: Float32Array, rows: number, n: number, dueling: boolean): Float32Array {
  const raw = agent.q.predict(x, rows, new Float32Array(rows * agent.q.outputSize));
  return dueling ? duelingCombine(raw, rows, n, new Float32Array(rows * n)) : raw;
}
