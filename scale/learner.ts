/**
 * The learner: an agent whose experience comes from actors through a `LearnerLink`, driven by the same session
 * as `rxgym train` (run folder, metrics, checkpoints, best-model selection, signals).
 *
 * Off-policy (DQN, DDPG, TD3): the agent trains with its own `learn()` on an `ExperienceEnv`: its loop stores the
 * actors' transitions, trains, updates targets and reports episodes exactly as in process; its behaviour policy is
 * replaced by the actors' recorded actions, and a step-boundary hook waits while the next transition has not
 * arrived. With PER, each stored row gets the priority its actor computed. Parameters are published every
 * `publishEvery` updates. On-policy (REINFORCE): whole rollouts, each tagged with its policy version; a rollout more
 * than one version old is dropped and counted; the parameters are published after every update.
 */
import { tap, type OperatorFunction } from 'rxjs';
import type { Transition } from '../core/env.js';
import { InvalidConfig, RxgymError } from '../core/errors.js';
import type { Agent, LearnOptions, LearnResult, PeriodicHook } from '../agents/agent.js';
import { describeEngine, learnSpan, netParams, RunCounters } from '../agents/common.js';
import { RolloutBuffer } from '../agents/loops/rollout.js';
import { PrioritizedReplayBuffer } from '../replay/prioritized.js';
import { actingNets } from './behaviour.js';
import { ExperienceSource, type Cursor, type ExperienceEnv } from './experience.js';
import { decodeMessage, FLAG, encodeWeights, type RolloutBatch } from './wire.js';

/** What a link calls on its learner. */
export interface LinkHandlers {
  /** One message from `actor`; `token` is what `acknowledge` takes back once it is learned from. */
  onMessage(actor: string, message: ArrayBuffer | Uint8Array, token: string | null): void;
  /** `actor` is gone: its last rows may be served, its episode in flight closed. */
  onDead(actor: string): void;
  /** True while the learner holds enough unread experience: a link stops reading (its actors then slow down). */
  busy(): boolean;
}

/** How a learner talks to its actors. */
export interface LearnerLink {
  /** Starts delivering experience: `onMessage` per message (with a token to acknowledge), `onDead` per actor gone. */
  start(handlers: LinkHandlers): Promise<void>;
  /** Publishes a weights message to every actor; never waits for them. */
  publish(weights: ArrayBuffer, version: number): Promise<void>;
  /** Tokens of messages whose transitions are all in the learner's state. */
  acknowledge(tokens: string[]): Promise<void>;
  /** True when acknowledgements wait for a checkpoint (Redis: a restarted learner replays what was not saved). */
  readonly ackOnSave: boolean;
  /** Called about every 250 ms while the learner waits: liveness and connection checks; returns a line to log, if any. */
  poll(waitingOn: string | null): Promise<string | null>;
  /** True while the link cannot reach its actors (Redis down): the learner then checkpoints once and waits. */
  readonly down: boolean;
  /** Tells the actors the run is over and closes the link. */
  close(): Promise<void>;
}

/** Options of a learner. */
export interface LearnerOptions {
  /** Updates between published parameters (off-policy). */
  publishEvery: number;
  log: (line: string) => void;
  /** Called with the cursor just before each checkpoint is written, so that a restart serves no row twice. */
  saveCursor?: (step: number, cursor: Cursor) => Promise<void>;
}

/** What a learner counted. */
export interface LearnerStats {
  malformed: number;
  dropped: number;
  published: number;
  messages: number;
}

/** An agent that learns from actors; `setSaver` gives it the session's checkpoint function (used when the link is down). */
export interface DistributedAgent extends Agent {
  readonly stats: LearnerStats;
  readonly source: ExperienceSource | null;
  setSaver(save: (step: number) => Promise<unknown>): void;
}

/** A hook step modulo which is never 0 for a positive step: the wait hook is due only when it must wait. */
const NEVER_DUE = Number.MAX_SAFE_INTEGER;
/**
 * Unread experience at which a link pauses reading, rows (off-policy) and rollouts (on-policy): small, so that what
 * the learner ingests was acted by recent parameters (the actors wait through the link's own backpressure).
 */
const BUSY_ROWS = 1024;
const BUSY_ROLLOUTS = 2;

/** Wraps `agent` (built on `env`, an ExperienceEnv, for off-policy algorithms) into a learner fed by `link`. */
export function distributedLearner(agent: Agent, env: ExperienceEnv<unknown, unknown> | null, link: LearnerLink, o: LearnerOptions): DistributedAgent {
  const stats: LearnerStats = { malformed: 0, dropped: 0, published: 0, messages: 0 };
  const rollouts: { batch: RolloutBatch; token: string | null }[] = [];
  const source = env?.source ?? null;
  let saver: ((step: number) => Promise<unknown>) | null = null;
  let wake: (() => void) | null = null;
  let started = false;

  const onMessage = (actor: string, message: ArrayBuffer | Uint8Array, token: string | null): void => {
    stats.messages++;
    try {
      const m = decodeMessage(message, `a message from actor ${actor}`);
      if (source !== null && m.kind === 'transitions') source.push(actor, m, token);
      else if (source === null && m.kind === 'rollout') (rollouts.push({ batch: m, token }), wake?.());
      else throw new InvalidConfig(`Expected ${source ? 'transitions' : 'rollouts'} from actor ${actor}, got ${m.kind}.`);
    } catch (err) {
      if (!(err instanceof RxgymError)) throw err;
      stats.malformed++;
      if (stats.malformed <= 3 || stats.malformed % 100 === 0) o.log(`learner: skipped malformed message ${stats.malformed} (${err.message})`);
      if (token !== null) void link.acknowledge([token]);
    }
  };
  const publish = (): void => {
    stats.published++;
    void link.publish(encodeWeights(netParams(actingNets(agent)), agent.updates, agent.step), agent.updates);
  };
  const release = (tokens: string[]): void => {
    if (tokens.length > 0 && !link.ackOnSave) void link.acknowledge(tokens.splice(0));
  };
  const pending: string[] = []; // on-policy tokens, released like the source's

  /** Waits until `ready()` (or an abort), polling the link; checkpoints once while the link is down. */
  const waitFor = async (ready: () => boolean, signal: AbortSignal | undefined): Promise<void> => {
    let savedWhileDown = false;
    while (!ready() && !signal?.aborted) {
      const note = await link.poll(source?.waitingOn ?? null);
      if (note !== null) o.log(note);
      if (link.down && !savedWhileDown && saver !== null) {
        savedWhileDown = true;
        o.log(`learner: the link is down; saving a checkpoint at step ${agent.step} and waiting for experience.`);
        await saver(agent.step);
      }
      if (!link.down) savedWhileDown = false;
      if (ready() || signal?.aborted) break;
      await (source ? source.changed(250) : new Promise<void>((r) => ((wake = r), setTimeout(r, 250))));
    }
  };

  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    // Never busy while waiting: the row the learner waits for may be in the next message (no deadlock on a full queue).
    const busy = () => (source ? source.queued > BUSY_ROWS && source.ready() : rollouts.length > BUSY_ROLLOUTS);
    await link.start({ onMessage, onDead: (actor) => source?.markDead(actor), busy });
  };

  const learnOffPolicy = async (options: LearnOptions): Promise<LearnResult> => {
    const e = env!;
    await start();
    // The loop's behaviour policy (one row: the learner has one env) is the actors' recorded action of the row in flight.
    const behaviour = (_x: Float32Array, _n: number, _s: number, out: Int32Array | Float32Array): void => {
      const a = e.action();
      if (typeof a === 'number') out[0] = a;
      else out.set(a as Float32Array);
    };
    publish();
    await waitFor(() => source!.ready(), options.signal);
    const waitHook: PeriodicHook = { get every() { return source!.ready() ? NEVER_DUE : 1; }, run: () => waitFor(() => source!.ready(), options.signal) };
    const replay = (agent as { replay?: unknown }).replay;
    const per = replay instanceof PrioritizedReplayBuffer ? replay : null;
    const priorities: number[] = [];
    const row = new Int32Array(1), td = new Float32Array(1);
    let position = per?.position ?? 0;
    let lastPublished = agent.updates;
    let served = 0;
    const afterStored = (): void => {
      if (per !== null) {
        priorities.push(e.lastPriority);
        const cap = per.capacity, now = per.position;
        for (let i = (now - position + cap) % cap; i > 0; i--) {
          const p = priorities.shift();
          if (p === undefined || !Number.isFinite(p)) continue;
          row[0] = (now - i + cap) % cap;
          td[0] = p;
          per.updatePriorities(row, td);
        }
        position = now;
      }
      if (agent.updates - lastPublished >= o.publishEvery) {
        lastPublished = agent.updates;
        publish();
      }
      // Every 64 rows: the link may take more (thread credits) and forget what is learned from.
      if (!link.ackOnSave && (++served & 63) === 0) void link.acknowledge(source!.released.splice(0));
    };
    const consumer: OperatorFunction<Transition<unknown, unknown>, unknown> = (t$) => t$.pipe(tap(afterStored));
    const result = await agent.learn({ ...options, behaviour, periodic: [waitHook, ...(options.periodic ?? [])], consumers: [...(options.consumers ?? []), consumer] });
    const x = source!.stats;
    o.log(`learner: ${x.transitions} transitions from ${x.messages} messages; ${x.skipped} rows skipped as learned from before a restart, ` +
      `${x.abandoned} episodes closed for actors that died, ${x.gaps} for lost experience, ${stats.malformed} malformed messages skipped.`);
    return result;
  };

  const learnOnPolicy = async (options: LearnOptions): Promise<LearnResult> => {
    const k = countersOf(agent);
    const { startStep, steps, totalSteps } = learnSpan(options, k.step);
    k.totalSteps = totalSteps;
    const log = options.log ?? o.log;
    const engine = await describeEngine(actingNets(agent)['policy']!);
    log(`${agent.algo}: engine ${engine} (learner of remote actors)`);
    await start();
    publish();
    const began = performance.now();
    let stopped: 'done' | 'aborted' = 'done';
    let sums = [0, 0, 0, 0];
    while (k.step - startStep < steps) {
      await waitFor(() => rollouts.length > 0, options.signal);
      if (options.signal?.aborted) {
        stopped = 'aborted';
        break;
      }
      const { batch, token } = rollouts.shift()!;
      if (token !== null) pending.push(token);
      if (batch.version < agent.updates - 1) {
        stats.dropped++;
        if (stats.dropped <= 3 || stats.dropped % 100 === 0) log(`learner: dropped rollout ${stats.dropped} (policy version ${batch.version}, now ${agent.updates}: more than one version old)`);
        release(pending);
        continue;
      }
      const before = k.step;
      const loss = (agent as unknown as { update(r: RolloutBuffer): number }).update(toRolloutBuffer(batch));
      k.step += batch.rewards.length;
      k.updates = agent.updates;
      publish();
      release(pending);
      const metrics = metricsOf(agent, loss);
      for (let i = 0; i < batch.episodes.count; i++) {
        const episode = k.episodes;
        k.addEpisode(episode, batch.episodes.returns[i]!);
        const end = batch.episodes.ends[i]!;
        options.onEpisode?.({ episode, return: batch.episodes.returns[i]!, length: batch.episodes.lengths[i]!, terminated: (end & FLAG.terminated) !== 0, truncated: (end & FLAG.truncated) !== 0, step: k.step - 1, globalStep: k.step, seconds: 0, metrics: { entropy: metrics['entropy']! } });
      }
      const fps = ((k.step - startStep) * 1000) / Math.max(1, performance.now() - began);
      const report = (m: Record<string, number>) => ({ step: k.step, totalSteps, startStep, episodes: k.episodes, fps, meanReturn: k.meanReturn, updates: k.updates, metrics: m });
      options.onProgress?.(report(metrics));
      sums = [sums[0]! + metrics['entropy']!, sums[1]! + metrics['policyLoss']!, sums[2]! + metrics['valueLoss']!, sums[3]! + 1];
      const every = (agent.config as { logInterval?: number }).logInterval ?? 1000;
      if (Math.floor(k.step / every) > Math.floor(before / every)) {
        options.onLog?.(report({ entropy: sums[0]! / sums[3]!, policyLoss: sums[1]! / sums[3]!, valueLoss: sums[2]! / sums[3]! }));
        sums = [0, 0, 0, 0];
      }
      for (const h of options.periodic ?? []) if (Math.floor(k.step / h.every) > Math.floor(before / h.every) && k.step - startStep < steps) await h.run(k.step);
    }
    const seconds = (performance.now() - began) / 1000;
    o.log(`learner: ${stats.messages} rollouts received; ${stats.dropped} dropped as more than one version old, ${stats.malformed} malformed skipped.`);
    return { step: k.step, episodes: k.episodes, updates: k.updates, seconds, fps: (k.step - startStep) / Math.max(seconds, 1e-9), stopped, engine };
  };

  return {
    get algo() { return agent.algo; },
    get config() { return agent.config; },
    get env() { return agent.env; },
    get step() { return agent.step; },
    get episodes() { return agent.episodes; },
    get updates() { return agent.updates; },
    stats,
    source,
    setSaver: (save) => void (saver = save),
    act: (obs) => agent.act(obs),
    values: (obs) => agent.values(obs),
    learn: (options) => (source !== null ? learnOffPolicy(options) : learnOnPolicy(options)),
    evaluate: (options) => agent.evaluate(options),
    save: async (dir, options) => {
      if (source !== null) await o.saveCursor?.(agent.step, source.cursorNow());
      await agent.save(dir, options);
      // Everything served is in the checkpoint now: the link may forget it.
      if (link.ackOnSave) await link.acknowledge([...(source?.released.splice(0) ?? []), ...pending.splice(0)]);
    },
    snapshot: () => agent.snapshot(),
    restoreSnapshot: (nets) => agent.restoreSnapshot(nets),
    dispose: () => agent.dispose(),
  };
}

/** The run counters every agent keeps (a `RunCounters` field), checked at run time. */
function countersOf(agent: Agent): RunCounters {
  const k = (agent as { counters?: unknown }).counters;
  if (!(k instanceof RunCounters)) throw new InvalidConfig(`Expected the ${agent.algo} agent to keep RunCounters in .counters, got none.`);
  return k;
}

/** An on-policy agent's last update figures (REINFORCE keeps them in .metrics), with the loss as the fallback. */
function metricsOf(agent: Agent, loss: number): Record<string, number> {
  const m = (agent as { metrics?: Record<string, number> }).metrics;
  return { entropy: m?.['entropy'] ?? NaN, policyLoss: m?.['policyLoss'] ?? loss, valueLoss: m?.['valueLoss'] ?? NaN };
}

/** A rollout message as the `RolloutBuffer` an on-policy update takes (lanes become envs; actions as floats, which REINFORCE reads either way). */
export function toRolloutBuffer(b: RolloutBatch): RolloutBuffer {
  const capacity = Math.max(1, ...b.lengths);
  const r = new RolloutBuffer({ numEnvs: b.lanes, capacity, obsDim: b.obsDim, actionKind: 'continuous', actionDim: b.actDim });
  for (let i = 0, k = 0; i < b.lanes; i++) {
    const len = b.lengths[i]!, to = i * capacity;
    r.obs.set(b.obs.subarray(k * b.obsDim, (k + len) * b.obsDim), to * b.obsDim);
    for (let j = 0; j < len * b.actDim; j++) r.actions[to * b.actDim + j] = b.actions[k * b.actDim + j]!;
    r.rewards.set(b.rewards.subarray(k, k + len), to);
    r.values.set(b.values.subarray(k, k + len), to);
    r.logProbs.set(b.logProbs.subarray(k, k + len), to);
    r.nextValues.set(b.nextValues.subarray(k, k + len), to);
    for (let t = 0; t < len; t++) {
      r.terminated[to + t] = b.flags[k + t]! & FLAG.terminated ? 1 : 0;
      r.truncated[to + t] = b.flags[k + t]! & FLAG.truncated ? 1 : 0;
    }
    r.lengths[i] = len;
    k += len;
  }
  return r;
}
