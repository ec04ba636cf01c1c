/**
 * CliffWalking, as Gymnasium 1.4's `CliffWalkingEnv` (CliffWalking-v1): a 4 x 12 grid with a cliff along the
 * bottom row, optionally slippery.
 */
import type { Scene, Shape } from '../../core/scene.js';
import { agentShapes } from './frozen-lake.js';
import { TabularEnv, boolOption, cellCenter, checkKwargKeys, uniformOption, type Outcome, type TabularOptions } from './tabular.js';

/** Actions: 0 up, 1 right, 2 down, 3 left. */
export const CLIFF_UP = 0;
export const CLIFF_RIGHT = 1;
export const CLIFF_DOWN = 2;
export const CLIFF_LEFT = 3;

const NROW = 4;
const NCOL = 12;
const START = 36;
const GOAL = 47;
/** [drow, dcol] of each action. */
const DELTAS: readonly (readonly [number, number])[] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

/** Constructor options (Gymnasium's kwargs in camelCase). */
export interface CliffWalkingOptions extends TabularOptions {
  /** Each move goes in the intended or either perpendicular direction with probability 1/3 each. Default false. */
  isSlippery?: boolean;
}

const isCliff = (row: number, col: number): boolean => row === NROW - 1 && col >= 1 && col <= NCOL - 2;

/**
 * CliffWalking: walk from the bottom-left corner [3, 0] to the bottom-right corner [3, 11] without stepping
 * off the cliff that runs along [3, 1..10].
 *
 * - Observation: Discrete(48), the position `row * 12 + col` (start 36, goal 47).
 * - Action: Discrete(4), 0 up, 1 right, 2 down, 3 left; moves into the border are clipped.
 * - Transition: deterministic, or with `isSlippery` the outcomes (a - 1) % 4, a, (a + 1) % 4 with 1/3 each.
 * - Reward: -1 per step; stepping into the cliff gives -100 and sends the player back to 36 (not terminal).
 * - Start: state 36. End: terminated on entering 47. CliffWalking-v1 has no time limit.
 * - Info: `{ prob }`, the probability of the transition taken (1 on reset).
 */
export class CliffWalkingEnv extends TabularEnv {
  readonly nrow = NROW;
  readonly ncol = NCOL;
  readonly isSlippery: boolean;

  constructor(options: CliffWalkingOptions = {}) {
    checkKwargKeys('CliffWalking', options, ['isSlippery', 'uniform']);
    const isSlippery = boolOption('CliffWalking isSlippery', options.isSlippery, false);
    const uniform = uniformOption('CliffWalking uniform', options.uniform);
    const isd = new Float64Array(NROW * NCOL);
    isd[START] = 1;
    super(buildTable(isSlippery), isd, uniform);
    this.isSlippery = isSlippery;
  }

  /**
   * What Gymnasium's human render shows: a checkerboard of mountain tiles, the cliff, the ledge above it, the
   * start stool, the goal cookie and the hiker facing its last move (down after reset). One unit per tile.
   */
  scene(): Scene {
    const shapes: Shape[] = [];
    for (let s = 0; s < NROW * NCOL; s++) {
      const row = Math.floor(s / NCOL);
      const col = s % NCOL;
      const { x, y } = cellCenter(row, col, NROW);
      const check = (row % 2) ^ (col % 2);
      shapes.push({ type: 'rect', x, y, width: 1, height: 1, fill: check ? CLIFF_WALKING_COLORS.mountain2 : CLIFF_WALKING_COLORS.mountain1 });
      if (isCliff(row, col)) shapes.push({ type: 'rect', x, y, width: 1, height: 1, fill: CLIFF_WALKING_COLORS.cliff });
      if (row < NROW - 1 && isCliff(row + 1, col)) {
        shapes.push({ type: 'rect', x, y: y - 0.42, width: 1, height: 0.16, fill: CLIFF_WALKING_COLORS.ledge });
      }
      if (s === START) {
        shapes.push({ type: 'rect', x, y: y - 0.15, width: 0.5, height: 0.15, fill: CLIFF_WALKING_COLORS.start });
        shapes.push({ type: 'rect', x: x - 0.18, y: y - 0.32, width: 0.08, height: 0.2, fill: CLIFF_WALKING_COLORS.start });
        shapes.push({ type: 'rect', x: x + 0.18, y: y - 0.32, width: 0.08, height: 0.2, fill: CLIFF_WALKING_COLORS.start });
      }
      if (s === GOAL) shapes.push({ type: 'circle', x, y, radius: 0.3, fill: CLIFF_WALKING_COLORS.goal, stroke: '#6b3e12', lineWidth: 2 });
    }
    const row = Math.floor(this.s / NCOL);
    const col = this.s % NCOL;
    const { x, y } = cellCenter(row, col, NROW);
    // Our agent triangle uses FrozenLake's action numbering (left, down, right, up); map CliffWalking's onto it.
    const facing = [3, 2, 1, 0][this.lastAction ?? CLIFF_DOWN]!;
    shapes.push(...agentShapes(x, y, facing, CLIFF_WALKING_COLORS.agent));
    return { width: 720, height: 240, viewport: { xMin: 0, xMax: NCOL, yMin: 0, yMax: NROW }, background: CLIFF_WALKING_COLORS.mountain1, shapes };
  }
}

/** Colours of CliffWalking's scene; `agent` is the hiker's body (a circle at its tile's centre). */
export const CLIFF_WALKING_COLORS = {
  mountain1: '#9fbf7f',
  mountain2: '#8fb070',
  cliff: '#3b3b3b',
  ledge: '#6d6d6d',
  start: '#8b5a2b',
  goal: '#c68642',
  agent: '#1d4ed8',
} as const;

function buildTable(isSlippery: boolean): Outcome[][][] {
  const P: Outcome[][][] = [];
  for (let s = 0; s < NROW * NCOL; s++) {
    const row = Math.floor(s / NCOL);
    const col = s % NCOL;
    P[s] = [0, 1, 2, 3].map((move) => {
      const moves = isSlippery ? [(move + 3) % 4, move, (move + 1) % 4] : [move];
      const prob = 1 / moves.length;
      return moves.map((m): Outcome => {
        const r = Math.min(Math.max(row + DELTAS[m]![0], 0), NROW - 1);
        const c = Math.min(Math.max(col + DELTAS[m]![1], 0), NCOL - 1);
        if (isCliff(r, c)) return [prob, START, -100, false];
        const next = r * NCOL + c;
        return [prob, next, -1, next === GOAL];
      });
    });
  }
  return P;
}
