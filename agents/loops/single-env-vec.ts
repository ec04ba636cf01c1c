/** A single `Env` as a vector of one, so the on-policy loop has one path for one env and N envs. */
import type { Env } from '../../core/env.js';
import { flatdim, flatten, unflatten, type AnySpace, type Space } from '../../core/spaces.js';
import type { VecStepResult } from '../../envs/vector.js';
import type { VecEnvLike } from './on-policy.js';

/** A single `Env` seen as a vector of one, with the same same-step autoreset (`finalObs`) as `SyncVectorEnv`. */
export class SingleEnvVec<O, A> implements VecEnvLike {
  readonly numEnvs = 1;
  readonly obsDim: number;
  readonly actDim: number;
  readonly singleActionSpace: AnySpace;
  readonly actionBuffer: Int32Array | Float32Array;
  private readonly obsSpace: Space<O>;
  private readonly result: { obs: Float32Array; rewards: Float64Array; terminated: Uint8Array; truncated: Uint8Array; done: Uint8Array; finalObs: Float32Array; infos: never[]; finalInfo: null[] };

  constructor(private readonly env: Env<O, A>) {
    this.obsSpace = env.observationSpace;
    this.singleActionSpace = env.actionSpace as AnySpace;
    this.obsDim = flatdim(this.obsSpace);
    const s = this.singleActionSpace;
    this.actDim = s.kind === 'box' ? flatdim(s) : s.kind === 'multi-discrete' ? s.nvec.length : 1;
    this.actionBuffer = s.kind === 'box' ? new Float32Array(this.actDim) : new Int32Array(this.actDim);
    this.result = {
      obs: new Float32Array(this.obsDim), rewards: new Float64Array(1), terminated: new Uint8Array(1), truncated: new Uint8Array(1),
      done: new Uint8Array(1), finalObs: new Float32Array(this.obsDim), infos: [], finalInfo: [null],
    };
  }

  reset(args?: { seed?: number }): { readonly obs: Float32Array } {
    flatten(this.obsSpace, this.env.reset(args).obs, this.result.obs);
    return this.result;
  }

  step(actions: Int32Array | Float32Array): VecStepResult {
    const s = this.singleActionSpace;
    // A Discrete action is its number; a float32 Box takes the buffer itself (the env must not keep it).
    // MultiDiscrete and float32 Box envs take the typed array as it is; other Box dtypes get their own array.
    const direct = (s.kind === 'box' && s.dtype === 'float32') || s.kind === 'multi-discrete';
    const action = (s.kind === 'discrete' ? actions[0] : direct ? actions : unflatten(s as Space<unknown>, actions)) as A;
    const r = this.env.step(action);
    const res = this.result;
    res.rewards[0] = r.reward;
    res.terminated[0] = r.terminated ? 1 : 0;
    res.truncated[0] = r.truncated ? 1 : 0;
    const done = r.terminated || r.truncated;
    res.done[0] = done ? 1 : 0;
    if (done) {
      flatten(this.obsSpace, r.obs, res.finalObs);
      flatten(this.obsSpace, this.env.reset().obs, res.obs);
    } else {
      flatten(this.obsSpace, r.obs, res.obs);
    }
    return res;
  }

  close(): void {
    this.env.close();
  }
}
