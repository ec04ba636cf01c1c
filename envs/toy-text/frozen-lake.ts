/**
 * FrozenLake, as Gymnasium 1.4's `FrozenLakeEnv` (FrozenLake-v1, FrozenLake8x8-v1): the same maps, transition
 * table, rewards, info and sampling, plus Gymnasium's random map generator (seeded with rxgym's Rng).
 */
import type { JsonValue } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Scene, Shape } from '../../core/scene.js';
import { stateFields as f, stateSchema } from '../snapshot.js';
import {
  TabularEnv,
  boolOption,
  cellCenter,
  checkKwargKeys,
  probabilityOption,
  uniformOption,
  type Outcome,
  type TabularOptions,
} from './tabular.js';

/** Actions: 0 left, 1 down, 2 right, 3 up. */
export const LEFT = 0;
export const DOWN = 1;
export const RIGHT = 2;
export const UP = 3;

/** Gymnasium's preloaded maps. S start, F frozen, H hole, G goal; row 0 is the top row. */
export const FROZEN_LAKE_MAPS: Readonly<Record<'4x4' | '8x8', readonly string[]>> = {
  '4x4': ['SFFF', 'FHFH', 'FFFH', 'HFFG'],
  '8x8': ['SFFFFFFF', 'FFFFFFFF', 'FFFHFFFF', 'FFFFFHFF', 'FFFHFFFF', 'FHHFFFHF', 'FHFFHFHF', 'FFFHFFFG'],
};

/**
 * Gymnasium's `is_valid`: true when a depth-first walk over non-hole tiles from the top-left tile reaches a
 * `G` tile (4-neighbour moves). `board` is a list of equal-length row strings.
 */
export function isValidMap(board: readonly string[]): boolean {
  const nrow = board.length;
  const ncol = nrow > 0 ? board[0]!.length : 0;
  const frontier: [number, number][] = [[0, 0]];
  const discovered = new Set<number>();
  const directions = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ] as const;
  while (frontier.length > 0) {
    const [r, c] = frontier.pop()!;
    if (discovered.has(r * ncol + c)) continue;
    discovered.add(r * ncol + c);
    for (const [dr, dc] of directions) {
      const rn = r + dr;
      const cn = c + dc;
      if (rn < 0 || rn >= nrow || cn < 0 || cn >= ncol) continue;
      const tile = board[rn]![cn];
      if (tile === 'G') return true;
      if (tile !== 'H') frontier.push([rn, cn]);
    }
  }
  return false;
}

/** Options of `generateRandomMap`. */
export interface RandomMapOptions {
  /** Side of the square map, in tiles (default 8, at least 2). */
  size?: number;
  /** Probability that a tile is frozen (default 0.8; values above 1 count as 1, must be > 0). */
  p?: number;
  /** Seed of the draws (default: an entropy seed); the same seed gives the same map. */
  seed?: number;
  /** Give up with `InvalidConfig` after this many invalid boards (default 100000). */
  maxTries?: number;
}

/**
 * Gymnasium's `generate_random_map`: draws each tile frozen with probability `p` (else a hole), sets the
 * top-left tile to S and the bottom-right to G, and redraws until `isValidMap`. Returns `size` row strings.
 * The draws use rxgym's Rng, so maps differ from numpy's for the same seed.
 */
export function generateRandomMap(options: RandomMapOptions = {}): string[] {
  const size = options.size ?? 8;
  if (!Number.isSafeInteger(size) || size < 2) {
    throw new InvalidConfig(`Expected random map size to be an integer >= 2, got ${describeValue(size)}.`);
  }
  const p0 = options.p ?? 0.8;
  if (typeof p0 !== 'number' || !(p0 > 0)) {
    throw new InvalidConfig(`Expected random map p (probability of a frozen tile) to be > 0, got ${describeValue(p0)}: with no frozen tile no map is valid.`);
  }
  const p = Math.min(1, p0);
  const maxTries = options.maxTries ?? 100_000;
  const rng = new Rng(options.seed);
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const board: string[] = [];
    for (let r = 0; r < size; r++) {
      let row = '';
      for (let c = 0; c < size; c++) row += rng.float() < p ? 'F' : 'H';
      board.push(row);
    }
    board[0] = `S${board[0]!.slice(1)}`;
    board[size - 1] = `${board[size - 1]!.slice(0, -1)}G`;
    if (isValidMap(board)) return board;
  }
  throw new InvalidConfig(`Expected a valid random map within ${maxTries} tries, got none: raise p (${p}) or maxTries.`);
}

/** Constructor options (Gymnasium's kwargs in camelCase). */
export interface FrozenLakeOptions extends TabularOptions {
  /** A custom map: equal-length row strings of S, F, H, G (at least one S). Overrides `mapName`. */
  desc?: readonly string[] | null;
  /** A preloaded map, '4x4' (default) or '8x8'; with `desc` and `mapName` both null a random 8x8 map is drawn. */
  mapName?: '4x4' | '8x8' | null;
  /** Slippery ice: the intended move with `successRate`, each perpendicular move with (1 - successRate) / 2. Default true. */
  isSlippery?: boolean;
  /** Probability of the intended move when slippery (default 1/3). */
  successRate?: number;
  /** Rewards for entering [goal, hole, frozen] (default [1, 0, 0]); start tiles count as frozen. */
  rewardSchedule?: readonly [number, number, number];
}

const OPTION_KEYS = ['desc', 'mapName', 'isSlippery', 'successRate', 'rewardSchedule', 'uniform'] as const;

function checkDesc(desc: unknown): string[] {
  if (!Array.isArray(desc) || desc.length === 0 || desc.some((row) => typeof row !== 'string')) {
    throw new InvalidConfig(`Expected FrozenLake desc to be a non-empty array of row strings, got ${describeValue(desc)}.`);
  }
  const rows = desc as string[];
  const ncol = rows[0]!.length;
  for (let r = 0; r < rows.length; r++) {
    if (rows[r]!.length !== ncol || ncol === 0) {
      throw new InvalidConfig(`Expected every FrozenLake desc row to have ${ncol || 'at least 1'} tiles, got ${JSON.stringify(rows[r])} at row ${r}.`);
    }
    const bad = /[^SFHG]/.exec(rows[r]!);
    if (bad) throw new InvalidConfig(`Expected FrozenLake tiles to be S, F, H or G, got ${JSON.stringify(bad[0])} at row ${r}, column ${bad.index}.`);
  }
  if (!rows.some((row) => row.includes('S'))) throw new InvalidConfig(`Expected a FrozenLake desc with at least one start tile S, got ${describeValue(rows)}.`);
  return [...rows];
}

/**
 * FrozenLake: cross a frozen lake from the start S to the goal G without falling into a hole H.
 *
 * - Observation: Discrete(nrow * ncol), the position `row * ncol + col` (goal of 4x4 = 15).
 * - Action: Discrete(4), 0 left, 1 down, 2 right, 3 up. Moves into the border leave the position unchanged.
 * - Transition: slippery (default) moves in the intended direction with `successRate` (1/3) and in each
 *   perpendicular direction with (1 - successRate) / 2, outcomes ordered (a - 1) % 4, a, (a + 1) % 4.
 * - Reward: `rewardSchedule` for entering goal / hole / frozen, default 1 / 0 / 0.
 * - Start: a uniformly drawn S tile (state 0 on the preloaded maps). End: terminated on entering H or G;
 *   truncated by TimeLimit after 100 steps (4x4) or 200 (FrozenLake8x8-v1).
 * - Info: `{ prob }`, the probability of the transition taken (1 on reset).
 */
export class FrozenLakeEnv extends TabularEnv {
  /** The map as row strings (row 0 at the top). */
  readonly desc: readonly string[];
  readonly nrow: number;
  readonly ncol: number;
  readonly isSlippery: boolean;
  readonly successRate: number;
  readonly rewardSchedule: readonly [number, number, number];

  constructor(options: FrozenLakeOptions = {}) {
    checkKwargKeys('FrozenLake', options, OPTION_KEYS);
    let desc: string[];
    if (options.desc !== undefined && options.desc !== null) desc = checkDesc(options.desc);
    else if (options.mapName === null) desc = generateRandomMap();
    else {
      const name = options.mapName ?? '4x4';
      const map = (FROZEN_LAKE_MAPS as Record<string, readonly string[]>)[name];
      if (!map) throw new InvalidConfig(`Expected FrozenLake mapName "4x4" or "8x8" (or null for a random map), got ${describeValue(name)}.`);
      desc = [...map];
    }
    const isSlippery = boolOption('FrozenLake isSlippery', options.isSlippery, true);
    const successRate = probabilityOption('FrozenLake successRate', options.successRate, 1 / 3);
    const schedule = options.rewardSchedule ?? [1, 0, 0];
    if (!Array.isArray(schedule) || schedule.length !== 3 || !schedule.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new InvalidConfig(`Expected FrozenLake rewardSchedule to be 3 finite numbers [goal, hole, frozen], got ${describeValue(schedule)}.`);
    }
    const uniform = uniformOption('FrozenLake uniform', options.uniform);

    const nrow = desc.length;
    const ncol = desc[0]!.length;
    super(buildTable(desc, isSlippery, successRate, schedule), startDistribution(desc), uniform);
    this.desc = desc;
    this.nrow = nrow;
    this.ncol = ncol;
    this.isSlippery = isSlippery;
    this.successRate = successRate;
    this.rewardSchedule = [schedule[0], schedule[1], schedule[2]];
  }

  /** Everything to continue exactly (see `snapshotEnv`): the tabular state, the map (a random one differs per env) and the rng. */
  override getState(): JsonValue {
    return this.withRngState({ ...this.tabularState(), desc: [...this.desc] });
  }

  /** Restores `getState()` output; a different map of the same size replaces this one (table and start tiles). */
  override setState(state: JsonValue): void {
    const s = stateSchema({ ...this.tabularFields(), desc: f.strings(this.nrow), rng: f.rng() }).parse(state, String(this));
    const desc = checkDesc(s.desc);
    if (desc[0]!.length !== this.ncol) {
      throw new InvalidConfig(`${String(this)}: Expected a state desc of ${this.nrow} rows of ${this.ncol} tiles, got rows of ${desc[0]!.length}.`);
    }
    if (desc.some((row, r) => row !== this.desc[r])) {
      this.replaceTable(buildTable(desc, this.isSlippery, this.successRate, this.rewardSchedule), startDistribution(desc));
      (this as { desc: readonly string[] }).desc = desc;
    }
    this.applyTabularState(s);
    this.restoreRngState(s.rng);
  }

  /** The tile letter under state `s`. */
  tileAt(s: number): string {
    return this.desc[Math.floor(s / this.ncol)]![s % this.ncol]!;
  }

  /**
   * What Gymnasium's human render shows: ice tiles with grid lines, holes, the start stool, the goal, and the
   * elf facing its last move (down after reset), or a cracked hole when it fell in. One world unit per tile.
   */
  scene(): Scene {
    const { nrow, ncol } = this;
    const shapes: Shape[] = [];
    for (let row = 0; row < nrow; row++) {
      for (let col = 0; col < ncol; col++) {
        const { x, y } = cellCenter(row, col, nrow);
        shapes.push({ type: 'rect', x, y, width: 1, height: 1, fill: FROZEN_LAKE_COLORS.ice, stroke: FROZEN_LAKE_COLORS.grid, lineWidth: 1 });
        const tile = this.desc[row]![col];
        if (tile === 'H') shapes.push({ type: 'circle', x, y, radius: 0.38, fill: FROZEN_LAKE_COLORS.hole });
        else if (tile === 'G') {
          shapes.push({ type: 'rect', x, y, width: 0.6, height: 0.6, fill: FROZEN_LAKE_COLORS.goal, stroke: '#7a5c00', lineWidth: 2 });
          shapes.push({ type: 'text', x, y, text: 'G', size: 16, color: '#ffffff', align: 'center' });
        } else if (tile === 'S') {
          shapes.push({ type: 'rect', x, y: y - 0.15, width: 0.5, height: 0.15, fill: FROZEN_LAKE_COLORS.start });
          shapes.push({ type: 'rect', x: x - 0.18, y: y - 0.32, width: 0.08, height: 0.2, fill: FROZEN_LAKE_COLORS.start });
          shapes.push({ type: 'rect', x: x + 0.18, y: y - 0.32, width: 0.08, height: 0.2, fill: FROZEN_LAKE_COLORS.start });
        }
      }
    }
    const row = Math.floor(this.s / ncol);
    const col = this.s % ncol;
    const { x, y } = cellCenter(row, col, nrow);
    if (this.desc[row]![col] === 'H') {
      shapes.push({ type: 'circle', x, y, radius: 0.38, fill: FROZEN_LAKE_COLORS.crackedHole, stroke: FROZEN_LAKE_COLORS.agent, lineWidth: 3 });
      shapes.push({ type: 'line', points: [x - 0.25, y + 0.25, x + 0.25, y - 0.25], stroke: FROZEN_LAKE_COLORS.agent, lineWidth: 3 });
      shapes.push({ type: 'line', points: [x - 0.25, y - 0.25, x + 0.25, y + 0.25], stroke: FROZEN_LAKE_COLORS.agent, lineWidth: 3 });
    } else {
      shapes.push(...agentShapes(x, y, this.lastAction ?? DOWN, FROZEN_LAKE_COLORS.agent));
    }
    const width = Math.min(64 * ncol, 512);
    const height = Math.min(64 * nrow, 512);
    return { width, height, viewport: { xMin: 0, xMax: ncol, yMin: 0, yMax: nrow }, background: FROZEN_LAKE_COLORS.ice, shapes };
  }
}

/** Colours of FrozenLake's scene; `agent` is the elf's body (drawn as a circle at its tile's centre). */
export const FROZEN_LAKE_COLORS = {
  ice: '#dff1fb',
  grid: '#b4c8e6',
  hole: '#1d3557',
  crackedHole: '#0b1d33',
  goal: '#e0a800',
  start: '#8b5a2b',
  agent: '#d62828',
} as const;

/** Unit vectors (x right, y up) of the grid moves, indexed by FrozenLake's actions. */
const FACING: readonly (readonly [number, number])[] = [
  [-1, 0],
  [0, -1],
  [1, 0],
  [0, 1],
];

/** The agent as a body circle plus a small triangle pointing along `action` (FrozenLake action numbering). */
export function agentShapes(x: number, y: number, action: number, color: string): Shape[] {
  const [dx, dy] = FACING[action] ?? FACING[DOWN]!;
  const tip = 0.42;
  const base = 0.22;
  const half = 0.12;
  return [
    { type: 'circle', x, y, radius: 0.25, fill: color, stroke: '#ffffff', lineWidth: 2 },
    {
      type: 'polygon',
      points: [x + dx * tip, y + dy * tip, x + dx * base - dy * half, y + dy * base + dx * half, x + dx * base + dy * half, y + dy * base - dx * half],
      fill: '#ffffff',
    },
  ];
}

/** Uniform over the start tiles S. */
function startDistribution(desc: readonly string[]): Float64Array {
  const ncol = desc[0]!.length;
  const isd = new Float64Array(desc.length * ncol);
  let starts = 0;
  for (let s = 0; s < isd.length; s++) if (desc[Math.floor(s / ncol)]![s % ncol] === 'S') starts++;
  for (let s = 0; s < isd.length; s++) if (desc[Math.floor(s / ncol)]![s % ncol] === 'S') isd[s] = 1 / starts;
  return isd;
}

function buildTable(desc: readonly string[], isSlippery: boolean, successRate: number, schedule: readonly number[]): Outcome[][][] {
  const nrow = desc.length;
  const ncol = desc[0]!.length;
  const failRate = (1 - successRate) / 2;
  const move = (row: number, col: number, a: number): Outcome => {
    let r = row;
    let c = col;
    if (a === LEFT) c = Math.max(c - 1, 0);
    else if (a === DOWN) r = Math.min(r + 1, nrow - 1);
    else if (a === RIGHT) c = Math.min(c + 1, ncol - 1);
    else r = Math.max(r - 1, 0);
    const letter = desc[r]![c]!;
    const terminated = letter === 'G' || letter === 'H';
    // Gymnasium indexes the schedule by "GHF" and counts any other letter (S) as frozen.
    const reward = schedule[letter === 'G' ? 0 : letter === 'H' ? 1 : 2]!;
    return [0, r * ncol + c, reward, terminated];
  };
  const P: Outcome[][][] = [];
  for (let row = 0; row < nrow; row++) {
    for (let col = 0; col < ncol; col++) {
      const s = row * ncol + col;
      const letter = desc[row]![col];
      const perAction: Outcome[][] = [];
      for (let a = 0; a < 4; a++) {
        if (letter === 'G' || letter === 'H') perAction.push([[1.0, s, 0, true]]);
        else if (isSlippery) {
          perAction.push([(a + 3) % 4, a, (a + 1) % 4].map((b) => {
            const [, ns, r, t] = move(row, col, b);
            return [b === a ? successRate : failRate, ns, r, t] as Outcome;
          }));
        } else {
          const [, ns, r, t] = move(row, col, a);
          perAction.push([[1.0, ns, r, t]]);
        }
      }
      P[s] = perAction;
    }
  }
  return P;
}
