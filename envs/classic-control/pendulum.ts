import { BaseEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import type { Scene, Shape } from '../../core/scene.js';
import { box, type BoxSpace } from '../../core/spaces.js';
import { encodeFloat, encodeFloats, stateFields as f, stateSchema } from '../snapshot.js';
import { ClassicReset, ClassicStep, checkKwargs, floorMod, numberKwarg, stateOption, toNumber } from './util.js';

/** Keyword arguments of `PendulumEnv`. */
export interface PendulumOptions {
  /** Gravitational acceleration in m/s^2 (default 10). */
  g?: number;
}

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const M = 1.0;
const L = 1.0;
const F32_0_001 = Math.fround(0.001);
const TORQUE_GAIN = 3.0 / (M * L ** 2); // Gymnasium's 3.0 / (m * l**2)
const LAYOUT = ['theta', 'theta_dot'] as const;
const SNAPSHOT = stateSchema({ state: f.floats(2), lastU: f.float(), rng: f.rng() });

/** Gymnasium's `angle_normalize`: x wrapped to [-pi, pi) with numpy's floored modulo. */
export function angleNormalize(x: number): number {
  return floorMod(x + Math.PI, 2 * Math.PI) - Math.PI;
}

/**
 * Pendulum-v1: swing a pendulum up and keep it upright with a limited torque (Gymnasium's `PendulumEnv`).
 *
 * | Obs | Meaning                   | Min  | Max |
 * |-----|---------------------------|------|-----|
 * | 0   | x = cos(theta)            | -1   | 1   |
 * | 1   | y = sin(theta)            | -1   | 1   |
 * | 2   | angular velocity (rad/s)  | -8   | 8   |
 *
 * theta is 0 upright and grows counter-clockwise; the state keeps theta unwrapped.
 * - Actions: `Box(-2, 2, [1], float32)`, the torque in N m (clipped to [-2, 2], kept in float32).
 * - Dynamics: theta_dot += (3 g / (2 l) sin(theta) + 3 / (m l^2) u) dt, clipped to +-8; theta += theta_dot dt,
 *   dt = 0.05 s.
 * - Reward: -(angle_normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2), from about -16.27 up to 0.
 * - Start: theta uniform in [-pi, pi], theta_dot in [-1, 1] (reset options `x_init`/`y_init` change the bounds
 *   to +-x_init and +-y_init; `state` sets [theta, theta_dot] exactly).
 * - End: never terminates; truncated at 200 steps by `make()`.
 */
export class PendulumEnv extends BaseEnv<Float32Array, Float32Array> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: [-1, -1, -MAX_SPEED], high: [1, 1, MAX_SPEED] });
  readonly actionSpace: BoxSpace<'float32'> = box({ low: -MAX_TORQUE, high: MAX_TORQUE, shape: [1] });
  override metadata = { renderFps: 30 };
  /** The exact internal state [theta, theta_dot] (float64, theta not wrapped). */
  readonly state = new Float64Array(2);
  /** Gravitational acceleration (m/s^2). */
  readonly g: number;
  // Gymnasium's 3 * g / (2 * l), computed once.
  private readonly gravityGain: number;
  /** The last clipped torque, for drawing; NaN after reset. */
  lastU = NaN;

  /** See `PendulumOptions`. */
  constructor(options: PendulumOptions = {}) {
    super();
    const kwargs = options as Record<string, unknown>;
    checkKwargs(kwargs, ['g'], 'Pendulum');
    this.g = numberKwarg(kwargs, 'g', 10.0, 'Pendulum');
    this.gravityGain = (3 * this.g) / (2 * L);
  }

  /** Draws a state (or sets `options.state`); returns [cos, sin, theta_dot] as float32. */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    const options = args?.options;
    const given = stateOption(options, LAYOUT, 'Pendulum');
    if (given !== null) {
      this.state[0] = given[0]!;
      this.state[1] = given[1]!;
    } else {
      let x = Math.PI, y = 1.0;
      if (options !== undefined && options !== null) {
        if (options['x_init'] !== undefined) x = toNumber(options['x_init'], 'x_init', 'Pendulum');
        if (options['y_init'] !== undefined) y = toNumber(options['y_init'], 'y_init', 'Pendulum');
      }
      // Symmetric bounds [-high, high], drawn per component as numpy's uniform(low, high).
      this.state[0] = this.rng.uniform(-x, x);
      this.state[1] = this.rng.uniform(-y, y);
    }
    this.lastU = NaN;
    return new ClassicReset(this.observe(), {});
  }

  /** One step of 0.05 s with torque `action[0]` (N m). */
  step(action: Float32Array): StepResult<Float32Array> {
    const s = this.state;
    const th = s[0]!, thdot = s[1]!;
    const a = Math.fround(action[0]!);
    const u = a < -MAX_TORQUE ? -MAX_TORQUE : a > MAX_TORQUE ? MAX_TORQUE : a;
    this.lastU = u;
    const an = angleNormalize(th);
    // u is a numpy float32: u**2 and 0.001 * u**2 and 3.0 * u are float32 operations.
    const costs = an * an + 0.1 * (thdot * thdot) + Math.fround(F32_0_001 * Math.fround(u * u));
    let newthdot = thdot + (this.gravityGain * Math.sin(th) + Math.fround(TORQUE_GAIN * u)) * DT;
    newthdot = newthdot < -MAX_SPEED ? -MAX_SPEED : newthdot > MAX_SPEED ? MAX_SPEED : newthdot;
    s[0] = th + newthdot * DT;
    s[1] = newthdot;
    return new ClassicStep(this.observe(), -costs, false, false, {});
  }

  /** Everything to continue exactly (see `snapshotEnv`): the state, the last torque (drawn by `scene()`) and the rng. */
  getState(): JsonValue {
    return this.withRngState({ state: encodeFloats(this.state), lastU: encodeFloat(this.lastU) });
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, String(this));
    this.state.set(s.state);
    this.lastU = s.lastU;
    this.restoreRngState(s.rng);
  }

  private observe(): Float32Array {
    const th = this.state[0]!;
    const obs = new Float32Array(3);
    obs[0] = Math.cos(th);
    obs[1] = Math.sin(th);
    obs[2] = this.state[1]!;
    return obs;
  }

  /** The rod, its axle and a torque arc, as Gymnasium's 500x500 frame draws them; world units are metres. */
  scene(): Scene {
    const th = this.state[0]!;
    // The rod points along theta + pi/2 from the pivot: straight up at theta = 0.
    const dx = -Math.sin(th), dy = Math.cos(th);
    const shapes: Shape[] = [
      { type: 'rect', x: dx * 0.5 * L, y: dy * 0.5 * L, width: L, height: 0.2, rotation: th + Math.PI / 2, fill: '#cc4d4d' },
      { type: 'circle', x: 0, y: 0, radius: 0.1, fill: '#cc4d4d' },
      { type: 'circle', x: dx * L, y: dy * L, radius: 0.1, fill: '#cc4d4d' },
    ];
    const u = this.lastU;
    if (Number.isFinite(u) && u !== 0) {
      // Gymnasium blits an arrow image of size |u|/2 (in rod lengths); here an arc of that radius with a head,
      // turning counter-clockwise for a positive torque.
      const r = Math.abs(u) / 4 + 0.05;
      const sweep = 1.5 * Math.PI * Math.sign(u);
      const start = -Math.PI / 2 - sweep / 2;
      const points: number[] = [];
      for (let i = 0; i <= 24; i++) {
        const t = start + (sweep * i) / 24;
        points.push(r * Math.cos(t), r * Math.sin(t));
      }
      shapes.push({ type: 'line', points, stroke: '#000000', lineWidth: 3 });
      const end = start + sweep;
      const ex = r * Math.cos(end), ey = r * Math.sin(end);
      // Tangent direction at the end of the arc, and the normal, for a small triangular head.
      const tx = -Math.sin(end) * Math.sign(u), ty = Math.cos(end) * Math.sign(u);
      const h = 0.06 + Math.abs(u) * 0.03;
      shapes.push({
        type: 'polygon',
        points: [ex + tx * h, ey + ty * h, ex - ty * h * 0.6, ey + tx * h * 0.6, ex + ty * h * 0.6, ey - tx * h * 0.6],
        fill: '#000000',
      });
    }
    shapes.push({ type: 'circle', x: 0, y: 0, radius: 0.05, fill: '#000000' });
    return { width: 500, height: 500, viewport: { xMin: -2.2, xMax: 2.2, yMin: -2.2, yMax: 2.2 }, background: '#ffffff', shapes };
  }
}
