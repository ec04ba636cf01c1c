/** Real transitions of a built-in env under uniformly random actions, as `TransitionRows`, for the world-model tests. */
import '../../../envs/builtin.js';
import type { AnyEnv } from '../../../core/env.js';
import { Rng } from '../../../core/rng.js';
import { sample, type AnySpace, type Space } from '../../../core/spaces.js';
import { make } from '../../../envs/registry.js';
import { actionWidth, worldShapeOf, type WorldAction } from '../../../models/world/contract.js';
import type { TransitionRows } from '../../../models/world/dynamics.js';

/** n random-action transitions of env `id` from reset seed `seed`, plus the env's world shape and its start states. */
export function randomTransitions(id: string, n: number, seed: number): { data: TransitionRows; stateDim: number; action: WorldAction; starts: Float32Array; startCount: number } {
  const env = make(id) as AnyEnv;
  const shape = worldShapeOf(env.observationSpace as AnySpace, env.actionSpace as AnySpace);
  const d = shape.stateDim, aw = actionWidth(shape.action);
  const rng = new Rng(seed);
  const data: TransitionRows = { n, states: new Float32Array(n * d), actions: new Float32Array(n * aw), rewards: new Float32Array(n), nextStates: new Float32Array(n * d), terminated: new Uint8Array(n) };
  const starts: number[] = [];
  let obs = env.reset({ seed }).obs as Float32Array;
  starts.push(...obs);
  for (let i = 0; i < n; i++) {
    const a = sample(env.actionSpace as Space<unknown>, rng) as number | Float32Array;
    const r = env.step(a);
    data.states.set(obs, i * d);
    if (typeof a === 'number') (data.actions as Float32Array)[i] = a;
    else (data.actions as Float32Array).set(a, i * aw);
    data.rewards[i] = r.reward;
    data.nextStates.set(r.obs as Float32Array, i * d);
    data.terminated[i] = r.terminated ? 1 : 0;
    obs = r.obs as Float32Array;
    if (r.terminated || r.truncated) {
      obs = env.reset().obs as Float32Array;
      starts.push(...obs);
    }
  }
  env.close();
  return { data, ...shape, starts: Float32Array.from(starts), startCount: starts.length / d };
}

/** Per-dimension RMSE of predicted next states against the real ones, and the std of the real change of state. */
export function oneStepErrors(data: TransitionRows, predicted: Float32Array, d: number): { rmse: number[]; changeStd: number[] } {
  const rmse: number[] = [], changeStd: number[] = [];
  for (let j = 0; j < d; j++) {
    let e = 0, mean = 0, v = 0;
    for (let i = 0; i < data.n; i++) {
      e += (predicted[i * d + j]! - data.nextStates[i * d + j]!) ** 2;
      mean += (data.nextStates[i * d + j]! - data.states[i * d + j]!) / data.n;
    }
    for (let i = 0; i < data.n; i++) v += (data.nextStates[i * d + j]! - data.states[i * d + j]! - mean) ** 2;
    rmse.push(Math.sqrt(e / data.n));
    changeStd.push(Math.sqrt(v / data.n));
  }
  return { rmse, changeStd };
}
