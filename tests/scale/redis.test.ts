/**
 * The learner and two actors as separate processes over a real redis-server (started here on a free loopback port):
 * an actor killed mid-run, the learner killed and restarted mid-run, and Redis itself killed and restarted mid-run.
 * The learner must finish every time with exact metrics; with an actor killed, its agent still solves CartPole.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rxgym, startRedis, tempRuns, type Command, type RedisServer } from './redis-helpers.js';

const running: Command[] = [];
let redis: RedisServer | null = null;
afterEach(async () => {
  for (const c of running.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await redis?.stop();
  redis = null;
});

function start(args: string[]): Command {
  const c = rxgym(args);
  running.push(c);
  return c;
}

/** The episode rows of a run's metrics.jsonl. */
function episodeRows(runDir: string): { step: number; episode: number; length: number }[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['kind'] === 'episode') as unknown as { step: number; episode: number; length: number }[];
}

/**
 * Every episode once, in order, and (unless Redis lost experience, when an actor's episode length counts rows that
 * never arrived) no more steps in episodes than the run took: no transition counted twice.
 */
function expectExactMetrics(runDir: string, steps: number, lost = false): void {
  const rows = episodeRows(runDir);
  expect(rows.length).toBeGreaterThan(10);
  expect(rows.map((r) => r.episode)).toEqual(rows.map((_, i) => i));
  for (let i = 1; i < rows.length; i++) expect(rows[i]!.step).toBeGreaterThanOrEqual(rows[i - 1]!.step);
  if (!lost) expect(rows.reduce((s, r) => s + r.length, 0)).toBeLessThanOrEqual(steps);
  expect(rows.at(-1)!.step).toBeLessThanOrEqual(steps);
}

/** Resolves once the run's metrics hold an episode past `step`. */
async function reach(runDir: string, step: number, learner: Command): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (existsSync(join(runDir, 'metrics.jsonl')) && episodeRows(runDir).some((r) => r.step > step)) return;
    if (learner.child.exitCode !== null) throw new Error(`the learner exited early:\n${learner.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the learner did not reach step ${step}:\n${learner.output()}`);
}

// Small messages, parameters published after every update and a best-model selection every 500 steps: DQN over Redis
// learns worse as the actors' policy lags the learner's (docs/scale.md), and with 32-step messages published every
// 10 updates, 3 of 10 runs ended below 475.
const learnerArgs = (url: string, out: string, extra: string[] = []) => [
  'learner', 'dqn', 'CartPole-v1', '--redis', url, '--run', 't', '--out', out, '--batch-steps', '8', '--publish-every', '1', ...extra,
];
const actorArgs = (url: string) => ['actor', '--redis', url, '--run', 't'];

describe('rxgym learner and rxgym actor over Redis', () => {
  it('keeps learning when an actor dies, and its agent solves CartPole', async () => {
    redis = await startRedis();
    const out = tempRuns();
    const learner = start(learnerArgs(redis.url, out, ['--eval-every', '500', '--eval-episodes', '10']));
    const a = start(actorArgs(redis.url));
    const b = start(actorArgs(redis.url));
    await reach(join(out, 't'), 25_000, learner);
    a.child.kill('SIGKILL');
    expect(await learner.exited).toBe(0);
    const mean = Number(/Greedy evaluation: ([-\d.]+)/.exec(learner.output())?.[1]);
    expect(mean, learner.output()).toBeGreaterThanOrEqual(475);
    expect(await b.exited).toBe(0); // the survivor exits once the learner is done
    expectExactMetrics(join(out, 't'), 50_000);
  }, 120_000);

  it('resumes a killed learner from its checkpoint and the stream, counting no transition twice', async () => {
    redis = await startRedis();
    const out = tempRuns();
    const args = learnerArgs(redis.url, out, ['--steps', '12000', '--checkpoint-every', '3000', '--eval-episodes', '0', '--eval-every', '0']);
    const first = start(args);
    start(actorArgs(redis.url));
    start(actorArgs(redis.url));
    const checkpoints = join(out, 't', 'checkpoints');
    for (let i = 0; i < 600 && !(existsSync(checkpoints) && readdirSync(checkpoints).some((n) => /^\d+$/.test(n) && Number(n) >= 6000)); i++) await new Promise((r) => setTimeout(r, 100));
    first.child.kill('SIGKILL');
    await first.exited;
    const second = start(args);
    await second.waitFor(/Resuming t from step \d+/);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toMatch(/Trained steps \d+-12000/);
    expectExactMetrics(join(out, 't'), 12_000);
  }, 120_000);

  it('waits out a Redis restart: actors buffer and retry, the learner checkpoints, waits and finishes', async () => {
    redis = await startRedis();
    const out = tempRuns();
    const learner = start(learnerArgs(redis.url, out, ['--steps', '12000', '--eval-episodes', '0', '--eval-every', '0']));
    const a = start(actorArgs(redis.url));
    start(actorArgs(redis.url));
    await reach(join(out, 't'), 4_000, learner);
    await redis.stop();
    await learner.waitFor(/the link is down; saving a checkpoint/);
    await a.waitFor(/cannot reach Redis/);
    await redis.start();
    expect(await learner.exited, learner.output()).toBe(0);
    expect(learner.output()).toMatch(/Trained 12000 steps/);
    expect(a.output()).toMatch(/Redis is reachable again/);
    expectExactMetrics(join(out, 't'), 12_000, true);
  }, 120_000);
});
