/**
 * DeepSea, as bsuite's `deep_sea.DeepSea` (Osband et al. 2017, "Deep Exploration via Randomized Value Functions"):
 * the exploration chain drawn as a falling block. An agent that dithers (epsilon-greedy) needs about 2^N episodes
 * to find the treasure once; one that explores deeply needs a number polynomial in N.
 */
import { BaseEnv, type Info, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidAction, InvalidConfig, describeValue } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Scene, Shape } from '../../core/scene.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../core/spaces.js';
import { stateFields as f, stateSchema } from '../snapshot.js';
import { boolOption, checkKwargKeys } from '../toy-text/tabular.js';

/** Constructor options (bsuite's kwargs in camelCase). */
export interface DeepSeaOptions {
  /** N: the grid is N x N and an episode is N steps. An integer from 1 to 1000; default 10. */
  size?: number;
  /** Deterministic dynamics (default true); false: 'right' fails with probability 1/N and the two end cells add N(0, 1) to the reward. */
  deterministic?: boolean;
  /** The cost of moving right, times N (each right move costs unscaledMoveCost / N); default 0.01, so the optimal return is 0.99. */
  unscaledMoveCost?: number;
  /** Draw which action means 'right' in each cell (default true); false makes action 1 'right' everywhere (bsuite's debug mode). */
  randomizeActions?: boolean;
  /** Seed of the action mapping (bsuite's `mapping_seed`), fixed for the env's life; a non-negative integer, default 0. */
  mappingSeed?: number;
}

const SNAPSHOT = stateSchema({ row: f.int(0), column: f.int(0), badEpisode: f.bool(), totalBadEpisodes: f.int(0), denoisedReturn: f.float(), rng: f.rng() });

/**
 * DeepSea: an N x N grid; the agent starts in the top-left cell and falls one row per step, moving one column left
 * or right (clipped at the walls).
 *
 * - Observation: Box [N, N] float32, one-hot at (row, column); all zeros after the last step (bsuite's null observation).
 * - Action: Discrete(2). Which of 0 and 1 moves right is drawn per cell from `mappingSeed` (`actionMapping[row * N + col]`
 *   is the action that moves right there), so an agent cannot learn "always press 1".
 * - Reward: -0.01 / N for each move right (whether or not a stochastic move succeeds), +1 for moving right in the
 *   bottom-right cell. The optimal return is 1 - 0.01 = 0.99; always moving left returns 0.
 * - End: terminated after N steps; no time limit is needed.
 * - Info: `{ badEpisode, totalBadEpisodes, denoisedReturn }` (bsuite's `bsuite_info`): an episode is bad once the
 *   agent leaves the diagonal (moves left while row == column); the counters run over the env's life.
 */
export class DeepSeaEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: BoxSpace<'float32'>;
  readonly actionSpace: DiscreteSpace = discrete(2);
  readonly size: number;
  readonly deterministic: boolean;
  readonly unscaledMoveCost: number;
  /** N x N, row-major: the action that moves right in each cell. */
  readonly actionMapping: Uint8Array;
  /** The return of always moving right: 1 (times (1 - 1/N)^(N-1) when stochastic) minus the move cost. */
  readonly optimalReturn: number;
  row = 0;
  column = 0;
  /** This episode left the diagonal. */
  badEpisode = false;
  /** Bad episodes finished so far (bsuite's `total_bad_episodes`, the regret count its analysis reads). */
  totalBadEpisodes = 0;
  /** Treasure rewards collected so far, without the noise (bsuite's `denoised_return`). */
  denoisedReturn = 0;

  constructor(options: DeepSeaOptions = {}) {
    super();
    checkKwargKeys('DeepSea', options, ['size', 'deterministic', 'unscaledMoveCost', 'randomizeActions', 'mappingSeed']);
    const { size = 10, unscaledMoveCost = 0.01, mappingSeed = 0 } = options;
    if (!Number.isInteger(size) || size < 1 || size > 1000) throw new InvalidConfig(`Expected DeepSea size to be an integer from 1 to 1000, got ${describeValue(size)}.`);
    if (typeof unscaledMoveCost !== 'number' || !Number.isFinite(unscaledMoveCost) || unscaledMoveCost < 0) {
      throw new InvalidConfig(`Expected DeepSea unscaledMoveCost to be a finite number >= 0, got ${describeValue(unscaledMoveCost)}.`);
    }
    if (!Number.isSafeInteger(mappingSeed) || mappingSeed < 0) throw new InvalidConfig(`Expected DeepSea mappingSeed to be a non-negative integer, got ${describeValue(mappingSeed)}.`);
    this.size = size;
    this.deterministic = boolOption('DeepSea deterministic', options.deterministic, true);
    this.unscaledMoveCost = unscaledMoveCost;
    this.actionMapping = new Uint8Array(size * size).fill(1);
    if (boolOption('DeepSea randomizeActions', options.randomizeActions, true)) {
      const mapping = new Rng(mappingSeed);
      for (let i = 0; i < size * size; i++) this.actionMapping[i] = mapping.float() < 0.5 ? 1 : 0; // bsuite: binomial(1, 0.5)
    }
    this.optimalReturn = (this.deterministic ? 1 : (1 - 1 / size) ** (size - 1)) - unscaledMoveCost;
    this.observationSpace = box({ low: 0, high: 1, shape: [size, size] });
    this.metadata = { renderFps: 4 };
  }

  /** The observation of the current cell: a new array each time, as a transition keeps both obs and nextObs. */
  private observation(): Float32Array {
    const obs = new Float32Array(this.size * this.size);
    if (this.row < this.size) obs[this.row * this.size + this.column] = 1;
    return obs;
  }

  private info(): Info {
    return { badEpisode: this.badEpisode, totalBadEpisodes: this.totalBadEpisodes, denoisedReturn: this.denoisedReturn };
  }

  /** Back to the top-left cell. The seed reseeds the stochastic version's draws; the action mapping never changes. */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    this.row = 0;
    this.column = 0;
    this.badEpisode = false;
    return { obs: this.observation(), info: this.info() };
  }

  /** One row down, one column right or left. */
  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1) throw new InvalidAction(`Expected an action 0 or 1 for DeepSea, got ${describeValue(action)}.`);
    if (this.row >= this.size) throw new InvalidAction('Expected reset() before stepping DeepSea again, got a step after the episode ended.');
    const n = this.size;
    const right = action === this.actionMapping[this.row * n + this.column];
    let reward = 0;
    if (this.column === n - 1 && right) {
      reward += 1;
      this.denoisedReturn += 1;
    }
    if (!this.deterministic && this.row === n - 1 && (this.column === 0 || this.column === n - 1)) reward += this.rng.normal();
    if (right) {
      if (this.deterministic || this.rng.float() > 1 / n) this.column = Math.min(this.column + 1, n - 1);
      reward -= this.unscaledMoveCost / n;
    } else {
      if (this.row === this.column) this.badEpisode = true; // on the optimal path and went wrong
      this.column = Math.max(this.column - 1, 0);
    }
    this.row += 1;
    const terminated = this.row === n;
    if (terminated && this.badEpisode) this.totalBadEpisodes += 1;
    return { obs: this.observation(), reward, terminated, truncated: false, info: this.info() };
  }

  /** The grid as a diver sees it: deeper rows darker, the treasure in the bottom-right cell, the block where it is. */
  scene(): Scene {
    const n = this.size;
    const shapes: Shape[] = [];
    for (let r = 0; r < n; r++) {
      const shade = Math.round(200 - (150 * r) / Math.max(1, n - 1));
      const fill = `#${hex(20)}${hex(Math.round(shade * 0.7))}${hex(shade)}`;
      shapes.push({ type: 'rect', x: n / 2, y: n - r - 0.5, width: n, height: 1, fill });
    }
    for (let r = 0; r < n; r++) shapes.push({ type: 'rect', x: r + 0.5, y: n - r - 0.5, width: 1, height: 1, stroke: '#ffffff40', lineWidth: 1 });
    shapes.push({ type: 'circle', x: n - 0.5, y: 0.5, radius: 0.35, fill: '#f5c518', stroke: '#8a6d00', lineWidth: 2 });
    if (this.row < n) {
      shapes.push({ type: 'rect', x: this.column + 0.5, y: n - this.row - 0.5, width: 0.8, height: 0.8, fill: this.badEpisode ? '#d73027' : '#ffffff' });
    }
    return { width: 480, height: 480, viewport: { xMin: 0, xMax: n, yMin: 0, yMax: n }, background: '#0b1e3a', shapes };
  }

  /** Everything to continue exactly (see `snapshotEnv`); the action mapping is rebuilt from the kwargs. */
  getState(): JsonValue {
    const { row, column, badEpisode, totalBadEpisodes, denoisedReturn } = this;
    return this.withRngState({ row, column, badEpisode, totalBadEpisodes, denoisedReturn });
  }

  /** Restores `getState()` output; checks every field before changing anything. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, String(this));
    if (s.row > this.size || s.column >= this.size || s.column > s.row) {
      throw new InvalidConfig(`${String(this)}: Expected a state with column <= row <= size (${this.size}) and column < size, got row ${s.row}, column ${s.column}.`);
    }
    Object.assign(this, { row: s.row, column: s.column, badEpisode: s.badEpisode, totalBadEpisodes: s.totalBadEpisodes, denoisedReturn: s.denoisedReturn });
    this.restoreRngState(s.rng);
  }
}

const hex = (v: number): string => Math.max(0, Math.min(255, v)).toString(16).padStart(2, '0');
