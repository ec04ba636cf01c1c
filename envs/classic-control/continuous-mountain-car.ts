import { BaseEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import type { Scene } from '../../core/scene.js';
import { box, type BoxSpace } from '../../core/spaces.js';
import { encodeFloats, stateFields as f, stateSchema } from '../snapshot.js';
import { mountainScene } from './mountain-car.js';
import { ClassicReset, ClassicStep, checkKwargs, numberKwarg, resetBounds, stateOption } from './util.js';

/** Keyword arguments of `ContinuousMountainCarEnv`. */
export interface ContinuousMountainCarOptions {
  /** The velocity the car must have (besides position >= 0.45) to finish (default 0). */
  goalVelocity?: number;
}

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const POWER = 0.0015;
// numpy 2 compares a float32 scalar with a Python float in float32 (NEP 50).
const MIN_POSITION_F32 = Math.fround(MIN_POSITION);
const MAX_POSITION_F32 = Math.fround(MAX_POSITION);
const MAX_SPEED_F32 = Math.fround(MAX_SPEED);
const GOAL_POSITION_F32 = Math.fround(GOAL_POSITION);
const POWER_F32 = Math.fround(POWER);
const LAYOUT = ['position', 'velocity'] as const;
const SNAPSHOT = stateSchema({ state: f.floats(2), stateDtype: f.oneOf('float32', 'float64'), rng: f.rng() });

/**
 * MountainCarContinuous-v0: the mountain car with a continuous engine force; reaching the flag pays 100,
 * fuel costs 0.1 a^2 per step (Gymnasium's `Continuous_MountainCarEnv`).
 *
 * | Obs | Meaning            | Min   | Max  |
 * |-----|--------------------|-------|------|
 * | 0   | car position (m)   | -1.2  | 0.6  |
 * | 1   | car velocity (m/s) | -0.07 | 0.07 |
 *
 * - Actions: `Box(-1, 1, [1], float32)`, the engine force; values outside are clipped for the dynamics.
 * - Dynamics: v += clip(a) * 0.0015 - 0.0025 cos(3 p), clipped to +-0.07; p += v, clipped to [-1.2, 0.6];
 *   at the left wall a negative velocity becomes 0. As in Gymnasium with numpy 2, the state is stored as
 *   float32 after every step and the arithmetic on float32 operands is float32 (the first step after reset,
 *   whose state is float64, stays float64); `stateDtype` says which holds now.
 * - Reward: -0.1 a^2 with the unclipped action, +100 on the step that reaches the goal.
 * - Start: position uniform in [-0.6, -0.4] (reset options `low`/`high`), velocity 0. `state` sets both; pass
 *   a `Float32Array` to mean a float32 state (as after a step), anything else means float64.
 * - End: terminated when position >= 0.45 and velocity >= `goalVelocity`; truncated at 999 steps by `make()`.
 */
export class ContinuousMountainCarEnv extends BaseEnv<Float32Array, Float32Array> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: [MIN_POSITION, -MAX_SPEED], high: [MAX_POSITION, MAX_SPEED] });
  readonly actionSpace: BoxSpace<'float32'> = box({ low: MIN_ACTION, high: MAX_ACTION, shape: [1] });
  override metadata = { renderFps: 30 };
  /** The exact internal state [position, velocity]; float32 values after a step (see `stateDtype`). */
  readonly state = new Float64Array(2);
  /** `'float64'` right after a drawn reset, `'float32'` after any step (numpy's dtype of the state array). */
  stateDtype: 'float32' | 'float64' = 'float64';
  readonly goalVelocity: number;

  /** See `ContinuousMountainCarOptions`. */
  constructor(options: ContinuousMountainCarOptions = {}) {
    super();
    const kwargs = options as Record<string, unknown>;
    checkKwargs(kwargs, ['goalVelocity'], 'MountainCarContinuous');
    this.goalVelocity = numberKwarg(kwargs, 'goalVelocity', 0, 'MountainCarContinuous');
  }

  /** Draws a start position (or sets `options.state`); returns the float32 observation. */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    const options = args?.options;
    const given = stateOption(options, LAYOUT, 'MountainCarContinuous');
    if (given !== null) {
      this.state[0] = given[0]!;
      this.state[1] = given[1]!;
      this.stateDtype = given instanceof Float32Array ? 'float32' : 'float64';
    } else {
      const bounds = resetBounds(options, -0.6, -0.4, 'MountainCarContinuous');
      const low = bounds[0]!, high = bounds[1]!;
      this.state[0] = this.rng.uniform(low, high);
      this.state[1] = 0;
      this.stateDtype = 'float64';
    }
    const obs = new Float32Array(2);
    obs[0] = this.state[0]!;
    obs[1] = this.state[1]!;
    return new ClassicReset(obs, {});
  }

  /** One step with engine force `action[0]` (a float32; clipped to [-1, 1] for the dynamics only). */
  step(action: Float32Array): StepResult<Float32Array> {
    const s = this.state;
    const a = Math.fround(action[0]!);
    // Python's min(max(a, -1.0), 1.0) returns the float64 constant when it clips, the float32 action otherwise.
    const clipped = a < MIN_ACTION || a > MAX_ACTION;
    const force = a < MIN_ACTION ? MIN_ACTION : a > MAX_ACTION ? MAX_ACTION : a;
    let position: number, velocity: number;
    if (this.stateDtype === 'float64') {
      position = s[0]!;
      velocity = s[1]!;
      const gravityTerm = 0.0025 * Math.cos(3 * position);
      velocity += clipped ? force * POWER - gravityTerm : Math.fround(Math.fround(force * POWER_F32) - Math.fround(gravityTerm));
      if (velocity > MAX_SPEED) velocity = MAX_SPEED;
      if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
      position += velocity;
      if (position > MAX_POSITION) position = MAX_POSITION;
      if (position < MIN_POSITION) position = MIN_POSITION;
      if (position === MIN_POSITION && velocity < 0) velocity = 0;
    } else {
      position = s[0]!;
      velocity = s[1]!;
      const gravityTerm = 0.0025 * Math.cos(Math.fround(3 * position));
      const dv = clipped ? force * POWER - gravityTerm : Math.fround(Math.fround(force * POWER_F32) - Math.fround(gravityTerm));
      velocity = Math.fround(velocity + Math.fround(dv));
      // The clips assign Python floats; every later operation with the float32 position casts them to float32.
      if (velocity > MAX_SPEED_F32) velocity = MAX_SPEED;
      if (velocity < -MAX_SPEED_F32) velocity = -MAX_SPEED;
      position = Math.fround(position + Math.fround(velocity));
      if (position > MAX_POSITION_F32) position = MAX_POSITION;
      if (position < MIN_POSITION_F32) position = MIN_POSITION;
      if ((position === MIN_POSITION || position === MIN_POSITION_F32) && velocity < 0) velocity = 0;
    }
    // Gymnasium compares before storing: a clipped position is the float64 constant, otherwise float32.
    const atGoal = position === MAX_POSITION || this.stateDtype === 'float64' ? position >= GOAL_POSITION : position >= GOAL_POSITION_F32;
    const goalVelocity = this.goalVelocity;
    const fastEnough = velocity === MAX_SPEED || velocity === -MAX_SPEED || velocity === 0 || this.stateDtype === 'float64' ? velocity >= goalVelocity : velocity >= Math.fround(goalVelocity);
    const terminated = atGoal && fastEnough;
    let reward = terminated ? 100.0 : 0;
    reward -= a * a * 0.1;
    s[0] = Math.fround(position);
    s[1] = Math.fround(velocity);
    this.stateDtype = 'float32';
    const obs = new Float32Array(2);
    obs[0] = position;
    obs[1] = velocity;
    return new ClassicStep(obs, reward, terminated, false, {});
  }

  /** Everything to continue exactly (see `snapshotEnv`): the state, its dtype (which arithmetic the next step uses) and the rng. */
  getState(): JsonValue {
    return this.withRngState({ state: encodeFloats(this.state), stateDtype: this.stateDtype });
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, String(this));
    this.state.set(s.state);
    this.stateDtype = s.stateDtype;
    this.restoreRngState(s.rng);
  }

  /** The valley curve, the car with its wheels and the flag (at 0.45), as Gymnasium's 600x400 frame draws them. */
  scene(): Scene {
    return mountainScene(this.state[0]!, GOAL_POSITION);
  }
}
