import { BaseEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import type { Scene, Shape } from '../../core/scene.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../core/spaces.js';
import { encodeFloat, encodeFloats, stateFields as f, stateSchema } from '../snapshot.js';
import { ClassicReset, ClassicStep, checkKwargs, invalidDiscreteAction, resetBounds, stateOption } from './util.js';

const PI = Math.PI;
const DT = 0.2;
const LINK_LENGTH_1 = 1.0; // m
const LINK_LENGTH_2 = 1.0; // m
const LINK_MASS_1 = 1.0; // kg
const LINK_MASS_2 = 1.0; // kg
const LINK_COM_POS_1 = 0.5; // m, centre of mass of link 1
const LINK_COM_POS_2 = 0.5; // m, centre of mass of link 2
const LINK_MOI = 1.0; // moment of inertia of both links
const G = 9.8;
const MAX_VEL_1 = 4 * PI;
const MAX_VEL_2 = 9 * PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1.0] as const;
const LAYOUT = ['theta1', 'theta2', 'dtheta1', 'dtheta2'] as const;
const SNAPSHOT = stateSchema({ state: f.floats(4), torqueNoiseMax: f.float(), bookOrNips: f.oneOf('book', 'nips'), rng: f.rng() });

// Constant sub-expressions of Gymnasium's `_dsdt`, grouped exactly as Python evaluates them left to right.
const M1_LC1_SQ = LINK_MASS_1 * LINK_COM_POS_1 ** 2;
const L1_SQ_PLUS_LC2_SQ = LINK_LENGTH_1 ** 2 + LINK_COM_POS_2 ** 2;
const TWO_L1_LC2 = 2 * LINK_LENGTH_1 * LINK_COM_POS_2;
const LC2_SQ = LINK_COM_POS_2 ** 2;
const L1_LC2 = LINK_LENGTH_1 * LINK_COM_POS_2;
const M2_LC2_G = LINK_MASS_2 * LINK_COM_POS_2 * G;
const NEG_M2_L1_LC2 = -LINK_MASS_2 * LINK_LENGTH_1 * LINK_COM_POS_2;
const TWO_M2_L1_LC2 = 2 * LINK_MASS_2 * LINK_LENGTH_1 * LINK_COM_POS_2;
const M1LC1_M2L1_G = (LINK_MASS_1 * LINK_COM_POS_1 + LINK_MASS_2 * LINK_LENGTH_1) * G;
const M2_L1_LC2 = LINK_MASS_2 * LINK_LENGTH_1 * LINK_COM_POS_2;
const M2_LC2_SQ_I2 = LINK_MASS_2 * LINK_COM_POS_2 ** 2 + LINK_MOI;
// Divisions hoisted out of the step (same values: a division is exactly rounded); module constants are not
// folded by the JIT, so `PI / 2` in the loop would divide every time.
const HALF_PI = PI / 2.0;
const HALF_DT = DT / 2.0;
const SIXTH_DT = DT / 6.0;

/**
 * Acrobot-v1: two links hanging from a fixed pivot, torque on the middle joint only; swing the tip above the
 * line one link length over the pivot (Sutton 1996 and Sutton & Barto's book; Gymnasium's `AcrobotEnv`).
 *
 * | Obs | Meaning              | Min             | Max           |
 * |-----|----------------------|-----------------|---------------|
 * | 0   | cos(theta1)          | -1              | 1             |
 * | 1   | sin(theta1)          | -1              | 1             |
 * | 2   | cos(theta2)          | -1              | 1             |
 * | 3   | sin(theta2)          | -1              | 1             |
 * | 4   | dtheta1 (rad/s)      | ~ -12.567 (-4π) | ~ 12.567 (4π) |
 * | 5   | dtheta2 (rad/s)      | ~ -28.274 (-9π) | ~ 28.274 (9π) |
 *
 * theta1 is 0 with the first link pointing down; theta2 is relative to the first link.
 * - Actions: `Discrete(3)`: torque -1, 0 or +1 N m on the middle joint.
 * - Dynamics: one RK4 step of 0.2 s on the book's equations; angles wrapped to [-pi, pi], velocities bounded to
 *   +-4 pi and +-9 pi (float64; the drawn start state is float32, as in Gymnasium).
 * - Reward: -1 per step, 0 on the step that reaches the goal.
 * - Start: all four state components uniform in [-0.1, 0.1], cast to float32 (reset options `low`/`high`;
 *   `state` sets [theta1, theta2, dtheta1, dtheta2] exactly).
 * - End: terminated when -cos(theta1) - cos(theta1 + theta2) > 1; truncated at 500 steps by `make()`.
 */
export class AcrobotEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: BoxSpace<'float32'> = box({
    low: [-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2],
    high: [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2],
  });
  readonly actionSpace: DiscreteSpace = discrete(3);
  override metadata = { renderFps: 15 };
  /** The exact internal state [theta1, theta2, dtheta1, dtheta2] (float64). */
  readonly state = new Float64Array(4);
  /** Uniform noise in [-torqueNoiseMax, torqueNoiseMax] added to the torque (Gymnasium's default 0: none). */
  torqueNoiseMax = 0.0;
  /** `'book'` (default, Gymnasium's) or `'nips'`: the paper's equations, missing a term. */
  bookOrNips: 'book' | 'nips' = 'book';
  // cos and sin of theta2 as last observed, keyed by the exact angle (NaN: none), reused by the next step.
  private trigAngle = NaN;
  private trigCos = 0;
  private trigSin = 0;

  /** Acrobot takes no keyword arguments (besides `renderMode`). */
  constructor(options: Record<string, unknown> = {}) {
    super();
    checkKwargs(options, [], 'Acrobot');
  }

  /** Draws a state (or sets `options.state`); returns the float32 observation. */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    const options = args?.options;
    const given = stateOption(options, LAYOUT, 'Acrobot');
    const s = this.state;
    if (given !== null) {
      for (let i = 0; i < 4; i++) s[i] = given[i]!;
    } else {
      const bounds = resetBounds(options, -0.1, 0.1, 'Acrobot');
      const low = bounds[0]!, high = bounds[1]!;
      for (let i = 0; i < 4; i++) s[i] = Math.fround(this.rng.uniform(low, high));
    }
    return new ClassicReset(this.observe(), {});
  }

  /** One RK4 step of 0.2 s with torque -1 (action 0), 0 (1) or +1 (2). */
  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1 && action !== 2) throw invalidDiscreteAction('Acrobot', 3, action);
    const s = this.state;
    let torque: number = AVAIL_TORQUE[action]!;
    if (this.torqueNoiseMax > 0) torque += this.rng.uniform(-this.torqueNoiseMax, this.torqueNoiseMax);
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    const book = this.bookOrNips === 'book';
    // Gymnasium's rk4 over t = [0, dt]; the torque rides along as a fifth component with derivative 0. The four
    // derivative evaluations are inlined in one loop: a call per evaluation would box its float arguments.
    let k1a = 0, k1b = 0, k1c = 0, k1d = 0, k2a = 0, k2b = 0, k2c = 0, k2d = 0, k3a = 0, k3b = 0, k3c = 0, k3d = 0;
    let da = 0, db = 0, dc = 0, dd = 0; // the latest derivative
    for (let stage = 0; stage < 4; stage++) {
      const h = stage === 0 ? 0 : stage === 3 ? DT : HALF_DT;
      const theta1 = stage === 0 ? s0 : s0 + h * da;
      const theta2 = stage === 0 ? s1 : s1 + h * db;
      const dtheta1 = stage === 0 ? s2 : s2 + h * dc;
      const dtheta2 = stage === 0 ? s3 : s3 + h * dd;
      // Gymnasium's `_dsdt`, grouped exactly as Python evaluates it. At stage 0, theta2 is the state's, whose
      // cosine and sine the previous observation already computed (kept with the exact angle they belong to; not
      // for 0, whose sine keeps the sign of a -0).
      let cos2: number, sin2: number;
      if (stage === 0 && theta2 === this.trigAngle && theta2 !== 0) {
        cos2 = this.trigCos;
        sin2 = this.trigSin;
      } else {
        cos2 = Math.cos(theta2);
        sin2 = Math.sin(theta2);
      }
      const d1 = M1_LC1_SQ + LINK_MASS_2 * (L1_SQ_PLUS_LC2_SQ + TWO_L1_LC2 * cos2) + LINK_MOI + LINK_MOI;
      const d2 = LINK_MASS_2 * (LC2_SQ + L1_LC2 * cos2) + LINK_MOI;
      const phi2 = M2_LC2_G * Math.cos(theta1 + theta2 - HALF_PI);
      const phi1 =
        NEG_M2_L1_LC2 * (dtheta2 * dtheta2) * sin2 - TWO_M2_L1_LC2 * dtheta2 * dtheta1 * sin2 + M1LC1_M2L1_G * Math.cos(theta1 - HALF_PI) + phi2;
      const ddtheta2 = book
        ? (torque + (d2 / d1) * phi1 - M2_L1_LC2 * (dtheta1 * dtheta1) * sin2 - phi2) / (M2_LC2_SQ_I2 - (d2 * d2) / d1)
        : (torque + (d2 / d1) * phi1 - phi2) / (M2_LC2_SQ_I2 - (d2 * d2) / d1);
      da = dtheta1;
      db = dtheta2;
      dc = -(d2 * ddtheta2 + phi1) / d1;
      dd = ddtheta2;
      if (stage === 0) {
        k1a = da; k1b = db; k1c = dc; k1d = dd;
      } else if (stage === 1) {
        k2a = da; k2b = db; k2c = dc; k2d = dd;
      } else if (stage === 2) {
        k3a = da; k3b = db; k3c = dc; k3d = dd;
      }
    }
    const w = SIXTH_DT;
    let n0 = s0 + w * (k1a + 2 * k2a + 2 * k3a + da);
    let n1 = s1 + w * (k1b + 2 * k2b + 2 * k3b + db);
    let n2 = s2 + w * (k1c + 2 * k2c + 2 * k3c + dc);
    let n3 = s3 + w * (k1d + 2 * k2d + 2 * k3d + dd);
    const twoPi = PI - -PI;
    while (n0 > PI) n0 = n0 - twoPi;
    while (n0 < -PI) n0 = n0 + twoPi;
    while (n1 > PI) n1 = n1 - twoPi;
    while (n1 < -PI) n1 = n1 + twoPi;
    n2 = n2 < -MAX_VEL_1 ? -MAX_VEL_1 : n2 > MAX_VEL_1 ? MAX_VEL_1 : n2;
    n3 = n3 < -MAX_VEL_2 ? -MAX_VEL_2 : n3 > MAX_VEL_2 ? MAX_VEL_2 : n3;
    s[0] = n0;
    s[1] = n1;
    s[2] = n2;
    s[3] = n3;
    const c0 = Math.cos(n0);
    const terminated = -c0 - Math.cos(n1 + n0) > 1.0;
    const obs = new Float32Array(6);
    const c1 = Math.cos(n1), s1n = Math.sin(n1);
    this.trigAngle = n1;
    this.trigCos = c1;
    this.trigSin = s1n;
    obs[0] = c0;
    obs[1] = Math.sin(n0);
    obs[2] = c1;
    obs[3] = s1n;
    obs[4] = n2;
    obs[5] = n3;
    return new ClassicStep(obs, terminated ? 0.0 : -1.0, terminated, false, {});
  }

  /** Everything to continue exactly (see `snapshotEnv`): the state, the torque noise and equations, and the rng. */
  getState(): JsonValue {
    return this.withRngState({ state: encodeFloats(this.state), torqueNoiseMax: encodeFloat(this.torqueNoiseMax), bookOrNips: this.bookOrNips });
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, String(this));
    this.state.set(s.state);
    this.torqueNoiseMax = s.torqueNoiseMax;
    this.bookOrNips = s.bookOrNips;
    // The cached cos/sin belong to the old theta2; the next step computes them afresh (same values either way).
    this.trigAngle = NaN;
    this.restoreRngState(s.rng);
  }

  private observe(): Float32Array {
    const s = this.state;
    const obs = new Float32Array(6);
    obs[0] = Math.cos(s[0]!);
    obs[1] = Math.sin(s[0]!);
    obs[2] = Math.cos(s[1]!);
    obs[3] = Math.sin(s[1]!);
    obs[4] = s[2]!;
    obs[5] = s[3]!;
    return obs;
  }

  /** The two links, their joints and the goal line, as Gymnasium's 500x500 frame draws them (metres, y up). */
  scene(): Scene {
    const s0 = this.state[0]!, s1 = this.state[1]!;
    const p1x = LINK_LENGTH_1 * Math.sin(s0), p1y = -LINK_LENGTH_1 * Math.cos(s0);
    const p2x = p1x + LINK_LENGTH_2 * Math.sin(s0 + s1), p2y = p1y - LINK_LENGTH_2 * Math.cos(s0 + s1);
    const bound = LINK_LENGTH_1 + LINK_LENGTH_2 + 0.2;
    const link = (x: number, y: number, th: number, len: number): Shape => ({
      type: 'rect',
      x: x + (Math.cos(th) * len) / 2,
      y: y + (Math.sin(th) * len) / 2,
      width: len,
      height: 0.2,
      rotation: th,
      fill: '#00cccc',
    });
    return {
      width: 500,
      height: 500,
      viewport: { xMin: -bound, xMax: bound, yMin: -bound, yMax: bound },
      background: '#ffffff',
      shapes: [
        { type: 'line', points: [-2.2, 1, 2.2, 1], stroke: '#000000' },
        link(0, 0, s0 - PI / 2, LINK_LENGTH_1),
        { type: 'circle', x: 0, y: 0, radius: 0.1, fill: '#cccc00' },
        link(p1x, p1y, s0 + s1 - PI / 2, LINK_LENGTH_2),
        { type: 'circle', x: p1x, y: p1y, radius: 0.1, fill: '#cccc00' },
        { type: 'circle', x: p2x, y: p2y, radius: 0.1, fill: '#cccc00' },
      ],
    };
  }
}
