/**
 * Taxi, as Gymnasium 1.4's `TaxiEnv` (Taxi-v4): Dietterich's 5 x 5 taxi world with walls, four stands and
 * an action mask in every info, plus v4's rainy moves and fickle passenger.
 */
import type { Info, JsonValue } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
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

/** The map: `|` is a wall between two cells, `:` an open side. Cell (row, col) is character (1 + row, 1 + 2 col). */
export const TAXI_MAP: readonly string[] = ['+---------+', '|R: | : :G|', '| : | : : |', '| : : : : |', '| | : | : |', '|Y| : |B: |', '+---------+'];
/** The four stands (row, col), in index order Red, Green, Yellow, Blue. */
export const TAXI_LOCS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, 4],
  [4, 0],
  [4, 3],
];
/** Passenger location index meaning "in the taxi". */
export const IN_TAXI = 4;

const NUM_STATES = 500;
const SOUTH = 0;
const NORTH = 1;
const EAST = 2;
const WEST = 3;
const PICKUP = 4;
const DROPOFF = 5;
/** The lateral directions of each move, relative to its heading (south: left = east, right = west; ...). */
const LEFT_OF = [EAST, WEST, NORTH, SOUTH] as const;
const RIGHT_OF = [WEST, EAST, SOUTH, NORTH] as const;

/** Taxi's state, decoded. */
export interface TaxiState {
  taxiRow: number;
  taxiCol: number;
  /** 0-3 a stand (R, G, Y, B), 4 in the taxi. */
  passengerLoc: number;
  /** 0-3 a stand (R, G, Y, B). */
  destination: number;
}

/** `((taxiRow * 5 + taxiCol) * 5 + passengerLoc) * 4 + destination`. */
export function encodeTaxi(taxiRow: number, taxiCol: number, passengerLoc: number, destination: number): number {
  return ((taxiRow * 5 + taxiCol) * 5 + passengerLoc) * 4 + destination;
}

/** The inverse of `encodeTaxi`. */
export function decodeTaxi(s: number): TaxiState {
  const destination = s % 4;
  let i = Math.floor(s / 4);
  const passengerLoc = i % 5;
  i = Math.floor(i / 5);
  return { taxiRow: Math.floor(i / 5), taxiCol: i % 5, passengerLoc, destination };
}

/** Where a move from (row, col) lands, walls and borders included (the same cell when blocked). */
function moveTarget(row: number, col: number, dir: number): [number, number] {
  switch (dir) {
    case SOUTH:
      return TAXI_MAP[row + 2]![2 * col + 1] !== '-' ? [row + 1, col] : [row, col];
    case NORTH:
      return TAXI_MAP[row]![2 * col + 1] !== '-' ? [row - 1, col] : [row, col];
    case EAST:
      return TAXI_MAP[row + 1]![2 * col + 2] !== '|' ? [row, col + 1] : [row, col];
    default:
      return TAXI_MAP[row + 1]![2 * col] !== '|' ? [row, col - 1] : [row, col];
  }
}

function locIndex(row: number, col: number): number {
  return TAXI_LOCS.findIndex(([r, c]) => r === row && c === col);
}

/** Constructor options (Gymnasium's kwargs in camelCase). */
export interface TaxiOptions extends TabularOptions {
  /** Moves go ahead with `rainyProbability`, else to the left or right of the heading ((1 - p) / 2 each). Default false. */
  isRainy?: boolean;
  /** Probability of the intended move when rainy (default 0.8). */
  rainyProbability?: number;
  /** The passenger may change destination once, on the first move after boarding. Default false. */
  ficklePassenger?: boolean;
  /** Probability, drawn at reset, that the passenger is fickle this episode (default 0.3). */
  fickleProbability?: number;
}

/**
 * Taxi: drive to the passenger, pick them up, drive to their destination and drop them off.
 *
 * - Observation: Discrete(500), `((taxiRow * 5 + taxiCol) * 5 + passengerLoc) * 4 + destination`, passenger
 *   0-3 at stand R, G, Y, B or 4 in the taxi; destination 0-3.
 * - Action: Discrete(6), 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff.
 * - Reward: -1 per step; +20 for delivering; -10 for an illegal pickup or dropoff. Dropping the passenger at
 *   another stand puts them there (-1, not terminal).
 * - Start: uniform over the 300 states with the passenger at a stand other than the destination.
 * - End: terminated on delivery; truncated by TimeLimit after 200 steps.
 * - Info: `{ prob, action_mask }`, the transition probability and an Int8Array(6) of the actions that change
 *   the state.
 * - `isRainy`: moves go ahead with `rainyProbability` and veer left/right of the heading otherwise (only when
 *   the move ahead is open; a lateral into a wall stays put). `ficklePassenger`: with `fickleProbability`
 *   (drawn at reset) the passenger picks a new destination on the first move after boarding.
 */
export class TaxiEnv extends TabularEnv {
  readonly isRainy: boolean;
  readonly rainyProbability: number;
  readonly ficklePassenger: boolean;
  readonly fickleProbability: number;
  /** True while the passenger may still change destination this episode (Gymnasium's `fickle_step`). */
  fickleStep = false;
  /** `actionMask(s)` for every state, 6 entries each. */
  private readonly masks: Int8Array;

  constructor(options: TaxiOptions = {}) {
    checkKwargKeys('Taxi', options, ['isRainy', 'rainyProbability', 'ficklePassenger', 'fickleProbability', 'uniform']);
    const isRainy = boolOption('Taxi isRainy', options.isRainy, false);
    const rainyProbability = probabilityOption('Taxi rainyProbability', options.rainyProbability, 0.8);
    const ficklePassenger = boolOption('Taxi ficklePassenger', options.ficklePassenger, false);
    const fickleProbability = probabilityOption('Taxi fickleProbability', options.fickleProbability, 0.3);
    const uniform = uniformOption('Taxi uniform', options.uniform);
    const isd = new Float64Array(NUM_STATES);
    let count = 0;
    for (let s = 0; s < NUM_STATES; s++) {
      const { passengerLoc, destination } = decodeTaxi(s);
      if (passengerLoc < 4 && passengerLoc !== destination) {
        isd[s] = 1;
        count++;
      }
    }
    for (let s = 0; s < NUM_STATES; s++) isd[s] = isd[s]! / count;
    super(buildTable(isRainy, rainyProbability), isd, uniform);
    this.isRainy = isRainy;
    this.rainyProbability = rainyProbability;
    this.ficklePassenger = ficklePassenger;
    this.fickleProbability = fickleProbability;
    this.masks = new Int8Array(NUM_STATES * 6);
    for (let s = 0; s < NUM_STATES; s++) this.masks.set(computeMask(s), s * 6);
  }

  /** Everything to continue exactly (see `snapshotEnv`): the tabular state, the fickle flag and the rng. */
  override getState(): JsonValue {
    return this.withRngState({ ...this.tabularState(), fickleStep: this.fickleStep });
  }

  /** Restores `getState()` output. */
  override setState(state: JsonValue): void {
    const s = stateSchema({ ...this.tabularFields(), fickleStep: f.bool(), rng: f.rng() }).parse(state, String(this));
    this.applyTabularState(s);
    this.fickleStep = s.fickleStep;
    this.restoreRngState(s.rng);
  }

  /** Which actions change the state in `s` (1) and which are no-ops or illegal (0): an Int8Array(6). */
  actionMask(s: number): Int8Array {
    return this.masks.slice(s * 6, s * 6 + 6);
  }

  /** `encodeTaxi` (Gymnasium's `env.encode`). */
  encode(taxiRow: number, taxiCol: number, passengerLoc: number, destination: number): number {
    return encodeTaxi(taxiRow, taxiCol, passengerLoc, destination);
  }

  /** `decodeTaxi` (Gymnasium's `env.decode`). */
  decode(s: number): TaxiState {
    return decodeTaxi(s);
  }

  protected override makeInfo(prob: number, state: number): Info {
    return { prob, action_mask: this.actionMask(state) };
  }

  /**
   * Decides whether the passenger is fickle this episode (one uniform draw when `ficklePassenger`), unless
   * `options.fickleStep` (a boolean) sets it exactly.
   */
  protected override onReset(options: Record<string, unknown> | undefined): void {
    const given = options?.['fickleStep'];
    if (given !== undefined) {
      if (typeof given !== 'boolean') throw new InvalidConfig(`Expected reset option fickleStep to be true or false, got ${describeValue(given)}.`);
      this.fickleStep = given;
    } else {
      this.fickleStep = this.ficklePassenger && this.uniform() < this.fickleProbability;
    }
  }

  /** The fickle passenger: on the first move that changes the taxi's cell with them aboard, a new destination. */
  protected override afterTransition(prev: number, next: number): number {
    if (!this.fickleStep) return next;
    const before = decodeTaxi(prev);
    const after = decodeTaxi(next);
    if (before.passengerLoc !== IN_TAXI || (after.taxiRow === before.taxiRow && after.taxiCol === before.taxiCol)) return next;
    this.fickleStep = false;
    const others = [0, 1, 2, 3].filter((d) => d !== before.destination);
    return encodeTaxi(after.taxiRow, after.taxiCol, after.passengerLoc, others[this.rng.int(others.length)]!);
  }

  /**
   * What Gymnasium's human render shows: the 5 x 5 road with its walls, the four stands R, G, Y, B, the
   * destination (a house outline in its stand's colour), the waiting passenger and the taxi (yellow when empty,
   * green with the passenger aboard). One world unit per cell.
   */
  scene(): Scene {
    const shapes: Shape[] = [];
    shapes.push({ type: 'rect', x: 2.5, y: 2.5, width: 5, height: 5, fill: TAXI_COLORS.road, stroke: TAXI_COLORS.wall, lineWidth: 6 });
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 5; col++) {
        const { x, y } = cellCenter(row, col, 5);
        shapes.push({ type: 'rect', x, y, width: 1, height: 1, stroke: TAXI_COLORS.grid, lineWidth: 1, fill: TAXI_COLORS.road });
      }
    }
    TAXI_LOCS.forEach(([row, col], i) => {
      const { x, y } = cellCenter(row, col, 5);
      shapes.push({ type: 'rect', x, y, width: 1, height: 1, fill: TAXI_COLORS.stands[i]! });
      shapes.push({ type: 'text', x: x - 0.3, y: y + 0.3, text: 'RGYB'[i]!, size: 14, color: '#000000', align: 'center' });
    });
    // Interior walls: a '|' between columns col and col + 1 of a row.
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 4; col++) {
        if (TAXI_MAP[row + 1]![2 * col + 2] === '|') {
          shapes.push({ type: 'line', points: [col + 1, 5 - row, col + 1, 4 - row], stroke: TAXI_COLORS.wall, lineWidth: 6 });
        }
      }
    }
    const { taxiRow, taxiCol, passengerLoc, destination } = decodeTaxi(this.s);
    const [dr, dc] = TAXI_LOCS[destination]!;
    const dest = cellCenter(dr, dc, 5);
    shapes.push({
      type: 'polygon',
      points: [dest.x - 0.3, dest.y - 0.35, dest.x + 0.3, dest.y - 0.35, dest.x + 0.3, dest.y + 0.05, dest.x, dest.y + 0.35, dest.x - 0.3, dest.y + 0.05],
      stroke: TAXI_COLORS.destination,
      lineWidth: 3,
    });
    if (passengerLoc !== IN_TAXI) {
      const [pr, pc] = TAXI_LOCS[passengerLoc]!;
      const p = cellCenter(pr, pc, 5);
      shapes.push({ type: 'circle', x: p.x + 0.2, y: p.y + 0.15, radius: 0.13, fill: TAXI_COLORS.passenger });
      shapes.push({ type: 'rect', x: p.x + 0.2, y: p.y - 0.12, width: 0.16, height: 0.3, fill: TAXI_COLORS.passenger });
    }
    const t = cellCenter(taxiRow, taxiCol, 5);
    const full = passengerLoc === IN_TAXI;
    const horizontal = this.lastAction === EAST || this.lastAction === WEST;
    shapes.push({
      type: 'rect',
      x: t.x,
      y: t.y,
      width: horizontal ? 0.7 : 0.45,
      height: horizontal ? 0.45 : 0.7,
      fill: full ? TAXI_COLORS.taxiFull : TAXI_COLORS.taxi,
      stroke: '#000000',
      lineWidth: 2,
    });
    return { width: 350, height: 350, viewport: { xMin: -0.1, xMax: 5.1, yMin: -0.1, yMax: 5.1 }, background: TAXI_COLORS.wall, shapes };
  }
}

/** Colours of Taxi's scene; `taxi`/`taxiFull` fill the taxi's rectangle at its cell's centre. */
export const TAXI_COLORS = {
  road: '#e8e8e8',
  grid: '#cccccc',
  wall: '#4a4a4a',
  stands: ['#ff000080', '#00ff0080', '#ffff0080', '#0000ff80'],
  destination: '#7a1fa2',
  passenger: '#1565c0',
  taxi: '#f7c815',
  taxiFull: '#2e9e44',
} as const;

function computeMask(s: number): Int8Array {
  const mask = new Int8Array(6);
  const { taxiRow, taxiCol, passengerLoc, destination } = decodeTaxi(s);
  for (let dir = 0; dir < 4; dir++) {
    const [r, c] = moveTarget(taxiRow, taxiCol, dir);
    mask[dir] = r !== taxiRow || c !== taxiCol ? 1 : 0;
  }
  const [pr, pc] = passengerLoc < 4 ? TAXI_LOCS[passengerLoc]! : [-1, -1];
  if (passengerLoc < 4 && taxiRow === pr && taxiCol === pc) mask[PICKUP] = 1;
  const [dr, dc] = TAXI_LOCS[destination]!;
  if (passengerLoc === IN_TAXI && ((taxiRow === dr && taxiCol === dc) || locIndex(taxiRow, taxiCol) >= 0)) mask[DROPOFF] = 1;
  return mask;
}

function buildTable(isRainy: boolean, rainyProbability: number): Outcome[][][] {
  const lateral = (1 - rainyProbability) / 2;
  const P: Outcome[][][] = [];
  for (let s = 0; s < NUM_STATES; s++) {
    const { taxiRow: row, taxiCol: col, passengerLoc: pass, destination: dest } = decodeTaxi(s);
    const perAction: Outcome[][] = [];
    for (let action = 0; action < 6; action++) {
      if (action < 4) {
        const [nr, nc] = moveTarget(row, col, action);
        const ahead = encodeTaxi(nr, nc, pass, dest);
        if (!isRainy) {
          perAction.push([[1.0, ahead, -1, false]]);
          continue;
        }
        // Veering happens only when the move ahead is open; a blocked move stays put in all three outcomes.
        const moved = nr !== row || nc !== col;
        const [lr, lc] = moved ? moveTarget(row, col, LEFT_OF[action]!) : [row, col];
        const [rr, rc] = moved ? moveTarget(row, col, RIGHT_OF[action]!) : [row, col];
        perAction.push([
          [rainyProbability, ahead, -1, false],
          [lateral, encodeTaxi(lr, lc, pass, dest), -1, false],
          [lateral, encodeTaxi(rr, rc, pass, dest), -1, false],
        ]);
      } else if (action === PICKUP) {
        const [pr, pc] = pass < 4 ? TAXI_LOCS[pass]! : [-1, -1];
        if (pass < 4 && row === pr && col === pc) perAction.push([[1.0, encodeTaxi(row, col, IN_TAXI, dest), -1, false]]);
        else perAction.push([[1.0, s, -10, false]]);
      } else {
        const [dr, dc] = TAXI_LOCS[dest]!;
        const here = locIndex(row, col);
        if (pass === IN_TAXI && row === dr && col === dc) perAction.push([[1.0, encodeTaxi(row, col, dest, dest), 20, true]]);
        else if (pass === IN_TAXI && here >= 0) perAction.push([[1.0, encodeTaxi(row, col, here, dest), -1, false]]);
        else perAction.push([[1.0, s, -10, false]]);
      }
    }
    P[s] = perAction;
  }
  return P;
}
