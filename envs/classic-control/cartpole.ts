import { BaseEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import type { Scene } from '../../core/scene.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../core/spaces.js';
import { encodeFloats, stateFields as f, stateSchema } from '../snapshot.js';
import type { StepIntoResult, VectorizableEnv } from '../vector-block.js';
import { ClassicReset, ClassicStep, booleanKwarg, checkKwargs, invalidDiscreteAction, resetBounds, stateOption } from './util.js';

/** Keyword arguments of `CartPoleEnv` (Gymnasium's, in camelCase). */
export interface CartPoleOptions {
  /** Reward 0 per step and -1 on termination, as in Sutton and Barto's original (default false: +1 per step). */
  suttonBartoReward?: boolean;
}

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
const LENGTH = 0.5; // half the pole's length
const POLEMASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02; // seconds between state updates
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;
const LAYOUT = ['x', 'x_dot', 'theta', 'theta_dot'] as const;
const SNAPSHOT = stateSchema({
  state: f.floats(4),
  stepsBeyondTerminated: f.int(-1),
  kinematicsIntegrator: f.oneOf('euler', 'semi-implicit euler'),
  rng: f.rng(),
});

/**
 * CartPole-v1: a pole on a cart that moves along a frictionless track; push the cart left or right to keep
 * the pole upright (Barto, Sutton and Anderson 1983; Gymnasium's `CartPoleEnv`).
 *
 * | Obs | Meaning               | Min              | Max             |
 * |-----|-----------------------|------------------|-----------------|
 * | 0   | cart position (m)     | -4.8             | 4.8             |
 * | 1   | cart velocity (m/s)   | -Inf             | Inf             |
 * | 2   | pole angle (rad)      | ~ -0.418 (-24°)  | ~ 0.418 (24°)   |
 * | 3   | pole angular velocity | -Inf             | Inf             |
 *
 * - Actions: `Discrete(2)`; 0 pushes the cart left, 1 right, with a force of 10 N.
 * - Reward: +1 for every step, the terminating one included (`suttonBartoReward`: 0 per step, -1 on termination).
 * - Start: every state component uniform in [-0.05, 0.05] (reset options `low`/`high` change the bounds,
 *   `state` sets it exactly).
 * - End: terminated when |theta| > 12° or |x| > 2.4; truncated by `make()`'s TimeLimit at 500 steps.
 * - Dynamics: explicit Euler with tau = 0.02 s, in float64; the observation is the state cast to float32.
 */
export class CartPoleEnv extends BaseEnv<Float32Array, number> implements VectorizableEnv<number> {
  readonly observationSpace: BoxSpace<'float32'> = box({
    low: [-X_THRESHOLD * 2, -Infinity, -THETA_THRESHOLD * 2, -Infinity],
    high: [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD * 2, Infinity],
  });
  readonly actionSpace: DiscreteSpace = discrete(2);
  override metadata = { renderFps: 50 };
  /** The exact internal state [x, x_dot, theta, theta_dot] (float64); set it with `reset({ options: { state } })`. */
  readonly state = new Float64Array(4);
  /** `'euler'` (Gymnasium's default) or `'semi-implicit euler'`. */
  kinematicsIntegrator: 'euler' | 'semi-implicit euler' = 'euler';
  private readonly suttonBartoReward: boolean;
  /** Gymnasium's `steps_beyond_terminated`: -1 while running, then steps taken after termination. */
  private stepsBeyondTerminated = -1;
  /** Scratch result of `stepInto` for `step()`, reused every step. */
  private readonly outcome: StepIntoResult = { reward: 0, terminated: false, truncated: false, info: undefined };

  /** See `CartPoleOptions`. */
  constructor(options: CartPoleOptions = {}) {
    super();
    const kwargs = options as Record<string, unknown>;
    checkKwargs(kwargs, ['suttonBartoReward'], 'CartPole');
    this.suttonBartoReward = booleanKwarg(kwargs, 'suttonBartoReward', false, 'CartPole');
  }

  /** Draws a new state (or sets `options.state`); returns the float32 observation. */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    const options = args?.options;
    const given = stateOption(options, LAYOUT, 'CartPole');
    const s = this.state;
    if (given !== null) {
      for (let i = 0; i < 4; i++) s[i] = given[i]!;
    } else {
      const bounds = resetBounds(options, -0.05, 0.05, 'CartPole');
      const low = bounds[0]!, high = bounds[1]!;
      for (let i = 0; i < 4; i++) s[i] = this.rng.uniform(low, high);
    }
    this.stepsBeyondTerminated = -1;
    return new ClassicReset(this.observe(), {});
  }

  /** One Euler step of 0.02 s with a push left (0) or right (1). */
  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1) throw invalidDiscreteAction('CartPole', 2, action);
    const obs = new Float32Array(4);
    const outcome = this.outcome;
    this.stepInto(action, obs, 0, outcome);
    return new ClassicStep(obs, outcome.reward, outcome.terminated, false, {});
  }

  /**
   * `step(action)` without allocating, for vector envs (`VectorizableEnv`): writes the float32 observation
   * into `obsOut[offset .. offset + 4)` and the reward and flags into `out`. `step()` runs through it, so
   * the dynamics exist once.
   */
  stepInto(action: number, obsOut: Float32Array, offset: number, out: StepIntoResult): void {
    const s = this.state;
    let x = s[0]!, xDot = s[1]!, theta = s[2]!, thetaDot = s[3]!;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    // Florian (2005), "Correct equations for the dynamics of the cart-pole system"; same operation order as Gymnasium.
    const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - (MASS_POLE * (costheta * costheta)) / TOTAL_MASS));
    const xAcc = temp - (POLEMASS_LENGTH * thetaAcc * costheta) / TOTAL_MASS;
    if (this.kinematicsIntegrator === 'euler') {
      x = x + TAU * xDot;
      xDot = xDot + TAU * xAcc;
      theta = theta + TAU * thetaDot;
      thetaDot = thetaDot + TAU * thetaAcc;
    } else {
      xDot = xDot + TAU * xAcc;
      x = x + TAU * xDot;
      thetaDot = thetaDot + TAU * thetaAcc;
      theta = theta + TAU * thetaDot;
    }
    s[0] = x;
    s[1] = xDot;
    s[2] = theta;
    s[3] = thetaDot;
    const terminated = x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated < 0) {
      // The pole just fell: this step still counts.
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    obsOut[offset] = x;
    obsOut[offset + 1] = xDot;
    obsOut[offset + 2] = theta;
    obsOut[offset + 3] = thetaDot;
    out.reward = reward;
    out.terminated = terminated;
    out.truncated = false;
    out.info = undefined;
  }

  /** `reset(args)` writing the observation into `obsOut[offset ..]` (`VectorizableEnv`); allocation-free without options. */
  resetInto(obsOut: Float32Array, offset: number, args?: ResetArgs): undefined {
    if (args?.options !== undefined) {
      obsOut.set(this.reset(args).obs, offset);
      return undefined;
    }
    this.seedRng(args?.seed);
    const s = this.state;
    this.rng.fillUniform(s, -0.05, 0.05);
    this.stepsBeyondTerminated = -1;
    for (let i = 0; i < 4; i++) obsOut[offset + i] = s[i]!;
    return undefined;
  }

  /** Everything to continue exactly (see `snapshotEnv`): the state, the post-termination count, the integrator, the rng. */
  getState(): JsonValue {
    return this.withRngState({
      state: encodeFloats(this.state),
      stepsBeyondTerminated: this.stepsBeyondTerminated,
      kinematicsIntegrator: this.kinematicsIntegrator,
    });
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, String(this));
    this.state.set(s.state);
    this.stepsBeyondTerminated = s.stepsBeyondTerminated;
    this.kinematicsIntegrator = s.kinematicsIntegrator;
    this.restoreRngState(s.rng);
  }

  private observe(): Float32Array {
    const obs = new Float32Array(4);
    obs.set(this.state);
    return obs;
  }

  /** Track, cart and pole as Gymnasium's 600x400 frame draws them; world units are metres, the track at y = 0. */
  scene(): Scene {
    const scale = 600 / (X_THRESHOLD * 2); // pixels per metre
    const x = this.state[0]!, theta = this.state[2]!;
    const poleWidth = 10 / scale, poleLen = 2 * LENGTH, axle = 7.5 / scale;
    // The pole starts half a width below the axle and points along (sin theta, cos theta).
    const mid = poleLen / 2 - poleWidth / 2;
    return {
      width: 600,
      height: 400,
      viewport: { xMin: -X_THRESHOLD, xMax: X_THRESHOLD, yMin: -100 / scale, yMax: 300 / scale },
      background: '#ffffff',
      shapes: [
        { type: 'line', points: [-X_THRESHOLD, 0, X_THRESHOLD, 0], stroke: '#000000' },
        { type: 'rect', x, y: 0, width: 50 / scale, height: 30 / scale, fill: '#000000' },
        {
          type: 'rect',
          x: x + Math.sin(theta) * mid,
          y: axle + Math.cos(theta) * mid,
          width: poleWidth,
          height: poleLen,
          rotation: -theta,
          fill: '#ca9865',
        },
        { type: 'circle', x, y: axle, radius: poleWidth / 2, fill: '#8184cb' },
      ],
    };
  }
}
