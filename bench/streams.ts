/**
 * Steps per second of a trivial env run through `steps$` against a plain loop, to show what the stream
 * costs per step. `npm run bench -- streams [--steps N]` (default 2,000,000 steps, best of 3 runs each).
 */
import { bufferCount, lastValueFrom, share, type OperatorFunction } from 'rxjs';
import type { Transition } from '../core/env.js';
import type { Env, Info, ResetResult, StepResult } from '../core/env.js';
import { batch, episodeStats } from '../core/operators/index.js';
import { discrete } from '../core/spaces.js';
import { steps$ } from '../core/streams.js';

const NO_INFO: Info = {};

/** A counter that ends its episode every 200 steps: nothing to measure but the loop around it. */
class TrivialEnv implements Env<number, number> {
  readonly observationSpace = discrete(1000);
  readonly actionSpace = discrete(2);
  readonly metadata = { renderFps: 30 };
  spec = undefined;
  private t = 0;
  get unwrapped(): this {
    return this;
  }
  reset(): ResetResult<number> {
    this.t = 0;
    return { obs: 0, info: NO_INFO };
  }
  step(action: number): StepResult<number> {
    this.t++;
    const end = this.t >= 200;
    return { obs: this.t, reward: action, terminated: end, truncated: false, info: NO_INFO };
  }
  close(): void {}
}

const actor = (obs: number): number => obs & 1;

async function plainLoop(n: number): Promise<number> {
  const env = new TrivialEnv();
  let obs = env.reset().obs;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = env.step(actor(obs));
    sum += r.reward;
    obs = r.terminated || r.truncated ? env.reset().obs : r.obs;
  }
  return sum;
}


async function stepsOnce(n: number, chunk?: number): Promise<number> {
  let sum = 0;
  const options = chunk === undefined ? { maxSteps: n } : { maxSteps: n, chunk };
  await new Promise<void>((resolve) =>
    steps$(new TrivialEnv(), actor, options).subscribe({ next: (x) => (sum += x.reward), complete: resolve }),
  );
  return sum;
}

/** The same loop building the Transition object that steps$ emits, and handing it to a callback. */
async function plainLoopTransitions(n: number): Promise<number> {
  const env = new TrivialEnv();
  let obs = env.reset().obs;
  let sum = 0;
  let episode = 0;
  let t = 0;
  const consume = (x: Transition<number, number>): void => {
    sum += x.reward;
  };
  for (let i = 0; i < n; i++) {
    const action = actor(obs);
    const r = env.step(action);
    const x = { obs, action, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info, episode, t, step: i };
    consume(x);
    if (r.terminated || r.truncated) {
      obs = env.reset().obs;
      episode++;
      t = 0;
    } else {
      obs = r.obs;
      t++;
    }
  }
  return sum;
}

type Batcher = OperatorFunction<Transition<number, number>, Transition<number, number>[]>;

async function stepsBatched(n: number, op: Batcher): Promise<number> {
  let sum = 0;
  await new Promise<void>((resolve) =>
    steps$(new TrivialEnv(), actor, { maxSteps: n })
      .pipe(op)
      .subscribe({ next: (b) => (sum += b.length), complete: resolve }),
  );
  return sum;
}

async function stepsShared(n: number): Promise<number> {
  let sum = 0;
  let episodes = 0;
  const run$ = steps$(new TrivialEnv(), actor, { maxSteps: n }).pipe(share());
  run$.subscribe((x) => (sum += x.reward));
  run$.pipe(episodeStats()).subscribe(() => episodes++);
  await lastValueFrom(run$.pipe(batch(1000)));
  return sum + episodes;
}

async function stepsAsync(n: number): Promise<number> {
  let sum = 0;
  const asyncActor = async (obs: number): Promise<number> => obs & 1;
  await new Promise<void>((resolve) =>
    steps$(new TrivialEnv(), asyncActor, { maxSteps: n }).subscribe({ next: (x) => (sum += x.reward), complete: resolve }),
  );
  return sum;
}

async function best(name: string, n: number, fn: (n: number) => Promise<number>): Promise<void> {
  let bestMs = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const start = performance.now();
    await fn(n);
    bestMs = Math.min(bestMs, performance.now() - start);
  }
  const perSec = (n / bestMs) * 1000;
  console.log(`${name.padEnd(44)} ${(perSec / 1e6).toFixed(2).padStart(7)} M steps/s  ${((bestMs * 1e6) / n).toFixed(0).padStart(5)} ns/step`);
}

/** Prints steps/s of each way of running the trivial env. */
export async function main(args: string[]): Promise<void> {
  const at = args.indexOf('--steps');
  const n = at >= 0 ? Number(args[at + 1]) : 2_000_000;
  console.log(`trivial env, ${n} steps, best of 3 (Node ${process.version})`);
  await best('plain loop (no Transition objects)', n, plainLoop);
  await best('plain loop building Transitions', n, plainLoopTransitions);
  await best('steps$ sync actor, chunk 1000', n, (k) => stepsOnce(k));
  await best('steps$ sync actor, chunk 100', n, (k) => stepsOnce(k, 100));
  await best('steps$ | batch(1000)', n, (k) => stepsBatched(k, batch(1000)));
  await best('steps$ | bufferCount(1000) (rxjs)', n, (k) => stepsBatched(k, bufferCount(1000)));
  await best('steps$ | share() -> sum, episodeStats, batch', n, stepsShared);
  await best('steps$ async actor (resolves at once)', Math.min(n, 500_000), stepsAsync);
}
