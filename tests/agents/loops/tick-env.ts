/**
 * A deterministic env for rollout tests: obs [t, id] (t = steps into the episode, id = which env), reward
 * t after the step (1, 2, 3, ...), the episode ends after `length` steps by termination or, with
 * `truncate`, by truncation. Counts resets and closes.
 */
import { BaseEnv, type ResetArgs, type ResetResult, type StepResult } from '../../../core/env.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../../core/spaces.js';

export class TickEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: 0, high: 1000, shape: [2] });
  readonly actionSpace: DiscreteSpace = discrete(3);
  readonly actions: number[] = [];
  resets = 0;
  closes = 0;
  private t = 0;

  constructor(readonly options: { length: number; id?: number; truncate?: boolean; throwAtStep?: number }) {
    super();
  }

  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    this.resets++;
    this.t = 0;
    return { obs: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (this.actions.length === this.options.throwAtStep) throw new Error(`tick env failed at step ${this.actions.length}`);
    this.actions.push(action);
    this.t++;
    const end = this.t >= this.options.length;
    const truncate = this.options.truncate ?? false;
    return { obs: this.observe(), reward: this.t, terminated: end && !truncate, truncated: end && truncate, info: {} };
  }

  override close(): void {
    this.closes++;
  }

  private observe(): Float32Array {
    return Float32Array.of(this.t, this.options.id ?? 0);
  }
}

/** The test critic: V([t, id]) = 10 t + 100 id, so every bootstrapped value says where it came from. */
export function tickValue(obs: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 10 * obs[2 * i]! + 100 * obs[2 * i + 1]!;
}
