import { BaseEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import type { Scene, Shape } from '../../core/scene.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../core/spaces.js';
import { encodeFloats, stateFields as f, stateSchema } from '../snapshot.js';
import { ClassicReset, ClassicStep, checkKwargs, invalidDiscreteAction, numberKwarg, resetBounds, stateOption } from './util.js';

/** Keyword arguments of `MountainCarEnv`. */
export interface MountainCarOptions {
  /** The velocity the car must have (besides position >= 0.5) to finish (default 0). */
  goalVelocity?: number;
}

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;
const LAYOUT = ['position', 'velocity'] as const;
const SNAPSHOT = stateSchema({ state: f.floats(2), rng: f.rng() });

/**
 * MountainCar-v0: an under-powered car in a valley must rock back and forth to reach the flag on the right
 * hill (Moore 1990; Gymnasium's `MountainCarEnv`).
 *
 * | Obs | Meaning            | Min   | Max  |
 * |-----|--------------------|-------|------|
 * | 0   | car position (m)   | -1.2  | 0.6  |
 * | 1   | car velocity (m/s) | -0.07 | 0.07 |
 *
 * - Actions: `Discrete(3)`; 0 accelerates left, 1 does nothing, 2 accelerates right.
 * - Dynamics: v += (a - 1) * 0.001 - 0.0025 cos(3 p), clipped to +-0.07; p += v, clipped to [-1.2, 0.6];
 *   at the left wall a negative velocity becomes 0 (float64, as Gymnasium).
 * - Reward: -1 per step.
 * - Start: position uniform in [-0.6, -0.4] (reset options `low`/`high`), velocity 0; `state` sets both.
 * - End: terminated when position >= 0.5 and velocity >= `goalVelocity`; truncated at 200 steps by `make()`.
 */
export class MountainCarEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: [MIN_POSITION, -MAX_SPEED], high: [MAX_POSITION, MAX_SPEED] });
  readonly actionSpace: DiscreteSpace = discrete(3);
  override metadata = { renderFps: 30 };
  /** The exact internal state [position, velocity] (float64); set it with `reset({ options: { state } })`. */
  readonly state = new Float64Array(2);
  readonly goalVelocity: number;

  /** See `MountainCarOptions`. */
  constructor(options: MountainCarOptions = {}) {
    super();
    const kwargs = options as Record<string, unknown>;
    checkKwargs(kwargs, ['goalVelocity'], 'MountainCar');
    this.goalVelocity = numberKwarg(kwargs, 'goalVelocity', 0, 'MountainCar');
  }

  /** Draws a start position (or sets `options.state`); returns the float32 observation. */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    const options = args?.options;
    const given = stateOption(options, LAYOUT, 'MountainCar');
    if (given !== null) {
      this.state[0] = given[0]!;
      this.state[1] = given[1]!;
    } else {
      const bounds = resetBounds(options, -0.6, -0.4, 'MountainCar');
      const low = bounds[0]!, high = bounds[1]!;
      this.state[0] = this.rng.uniform(low, high);
      this.state[1] = 0;
    }
    const obs = new Float32Array(2);
    obs[0] = this.state[0]!;
    obs[1] = this.state[1]!;
    return new ClassicReset(obs, {});
  }

  /** One step with acceleration left (0), none (1) or right (2). */
  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1 && action !== 2) throw invalidDiscreteAction('MountainCar', 3, action);
    const s = this.state;
    let position = s[0]!, velocity = s[1]!;
    velocity += (action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY;
    velocity = velocity < -MAX_SPEED ? -MAX_SPEED : velocity > MAX_SPEED ? MAX_SPEED : velocity;
    position += velocity;
    position = position < MIN_POSITION ? MIN_POSITION : position > MAX_POSITION ? MAX_POSITION : position;
    // Inelastic collision with the left wall.
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    s[0] = position;
    s[1] = velocity;
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    const obs = new Float32Array(2);
    obs[0] = position;
    obs[1] = velocity;
    return new ClassicStep(obs, -1.0, terminated, false, {});
  }

  /** Everything to continue exactly (see `snapshotEnv`): the state and the rng. */
  getState(): JsonValue {
    return this.withRngState({ state: encodeFloats(this.state) });
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, String(this));
    this.state.set(s.state);
    this.restoreRngState(s.rng);
  }

  /** The valley curve, the car with its wheels and the flag, as Gymnasium's 600x400 frame draws them. */
  scene(): Scene {
    return mountainScene(this.state[0]!, GOAL_POSITION);
  }
}

/** Height of the valley at position `x` (Gymnasium's `_height`). */
export function mountainHeight(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

/** The mountain-car frame (shared by the discrete and continuous versions); world units are positions. */
export function mountainScene(position: number, goalPosition: number): Scene {
  const scale = 600 / (MAX_POSITION - MIN_POSITION); // pixels per world unit
  const curve: number[] = [];
  for (let i = 0; i < 100; i++) {
    const x = MIN_POSITION + ((MAX_POSITION - MIN_POSITION) * i) / 99;
    curve.push(x, mountainHeight(x));
  }
  const carWidth = 40 / scale, carHeight = 20 / scale, clearance = 10 / scale;
  // The car is tilted by cos(3 p) radians (Gymnasium's choice) around its bottom-centre point.
  const angle = Math.cos(3 * position);
  const c = Math.cos(angle), s = Math.sin(angle);
  const baseX = position, baseY = clearance + mountainHeight(position);
  const at = (dx: number, dy: number): [number, number] => [baseX + dx * c - dy * s, baseY + dx * s + dy * c];
  const [cx, cy] = at(0, carHeight / 2);
  const shapes: Shape[] = [
    { type: 'line', points: curve, stroke: '#000000' },
    { type: 'rect', x: cx, y: cy, width: carWidth, height: carHeight, rotation: angle, fill: '#000000' },
  ];
  for (const dx of [carWidth / 4, -carWidth / 4]) {
    const [wx, wy] = at(dx, 0);
    shapes.push({ type: 'circle', x: wx, y: wy, radius: 8 / scale, fill: '#808080' });
  }
  const flagY1 = mountainHeight(goalPosition), flagY2 = flagY1 + 50 / scale;
  shapes.push(
    { type: 'line', points: [goalPosition, flagY1, goalPosition, flagY2], stroke: '#000000' },
    { type: 'polygon', points: [goalPosition, flagY2, goalPosition, flagY2 - 10 / scale, goalPosition + 25 / scale, flagY2 - 5 / scale], fill: '#cccc00' },
  );
  return {
    width: 600,
    height: 400,
    viewport: { xMin: MIN_POSITION, xMax: MAX_POSITION, yMin: 0, yMax: 400 / scale },
    background: '#ffffff',
    shapes,
  };
}
