/**
 * What the browser bundle test runs on both sides: the same code bundled for headless chromium and imported in
 * Node, so the page's numbers must equal Node's. Imports only the browser-safe entries, as a web app would.
 */
import { Rng } from 'rxgym/core';
import { make } from 'rxgym/envs';
import { createNet, kernelInfo } from 'rxgym/nn';
import { replayBufferFor } from 'rxgym/replay';

/** JSON-safe results of one run of the scenario. */
export interface ScenarioResult {
  /** CartPole-v1 observations after reset(seed 42) and after each of 30 fixed actions. */
  observations: number[][];
  rewards: number[];
  stored: number;
  batchSize: number;
  batchIndices: number[];
  batchObs: number[];
  /** A 4-16-2 plain-engine net's outputs for the first 5 observations. */
  netOutput: number[];
  netEngine: string;
  /** Which matrix kernel the plain engine ran: 'simd' (WebAssembly) or 'js'. */
  kernel: string;
}

/** Steps CartPole, fills a ReplayBuffer and samples it, and runs a seeded net on the plain engine. */
export function runScenario(): ScenarioResult {
  const env = make('CartPole-v1');
  const replay = replayBufferFor(env.observationSpace, env.actionSpace, 64);
  let { obs } = env.reset({ seed: 42 });
  const observations = [Array.from(obs)];
  const rewards: number[] = [];
  for (let t = 0; t < 30; t++) {
    const action = (t * 7) % 3 === 0 ? 1 : 0;
    const step = env.step(action);
    replay.add(obs, action, step.reward, step.obs, step.terminated, step.truncated);
    observations.push(Array.from(step.obs));
    rewards.push(step.reward);
    obs = step.obs;
    if (step.terminated || step.truncated) obs = env.reset().obs;
  }
  env.close();
  const batch = replay.sample(8, new Rng(3));
  const net = createNet({ input: 4, layers: [{ kind: 'dense', units: 16, activation: 'relu' }, { kind: 'dense', units: 2 }], seed: 0 }, { engine: 'plain' });
  const x = new Float32Array(observations.slice(0, 5).flat());
  return {
    observations,
    rewards,
    stored: replay.size,
    batchSize: batch.batchSize,
    batchIndices: Array.from(batch.indices),
    batchObs: Array.from(batch.obs),
    netOutput: Array.from(net.predict(x, 5)),
    netEngine: net.engine,
    kernel: kernelInfo().kernel,
  };
}
