/** Rules, options, errors and scenes of the toy-text environments (beyond the recorded trajectories). */
import { describe, expect, it } from 'vitest';
import '../../envs/builtin.js';
import { InvalidAction, InvalidConfig } from '../../core/errors.js';
import { explainInvalidScene, type CircleShape, type RectShape, type Scene, type TextShape } from '../../core/scene.js';
import { contains } from '../../core/spaces.js';
import { make } from '../../envs/registry.js';
import { testEnvConformance } from '../../envs/testing.js';
import {
  BlackjackEnv,
  CLIFF_WALKING_COLORS,
  CliffWalkingEnv,
  FROZEN_LAKE_COLORS,
  FROZEN_LAKE_MAPS,
  FrozenLakeEnv,
  TAXI_COLORS,
  TAXI_LOCS,
  TaxiEnv,
  categoricalSample,
  cellCenter,
  decodeTaxi,
  encodeTaxi,
  generateRandomMap,
  isValidMap,
  type BlackjackObs,
  type TabularEnv,
} from '../../envs/toy-text/index.js';

/** A uniform source that throws, to prove a code path draws nothing. */
const noDraws = (): number => {
  throw new Error('unexpected uniform draw');
};

function circlesAt(scene: Scene, fill: string): CircleShape[] {
  return scene.shapes.filter((s): s is CircleShape => s.type === 'circle' && s.fill === fill);
}

describe('categoricalSample', () => {
  it('picks argmax(cumsum(p) > u), and 0 when no running sum exceeds u (numpy argmax of all-false)', () => {
    expect(categoricalSample([0.5, 0.5], 0.4999)).toBe(0);
    expect(categoricalSample([0.5, 0.5], 0.5)).toBe(1);
    expect(categoricalSample([0.2, 0, 0.8], 0.2)).toBe(2);
    expect(categoricalSample([1 / 3, 1 / 3, 1 / 3], 0.9999999999999999)).toBe(2);
    expect(categoricalSample([0.1, 0.2], 0.5)).toBe(0);
    expect(categoricalSample([0, 0], 0.3)).toBe(0);
  });
});

describe('FrozenLake', () => {
  it('uses Gymnasium maps and starts at state 0', () => {
    const env = new FrozenLakeEnv({ mapName: '8x8' });
    expect(env.desc).toEqual(FROZEN_LAKE_MAPS['8x8']);
    expect(env.observationSpace.n).toBe(64);
    for (let seed = 0; seed < 20; seed++) expect(env.reset({ seed })).toEqual({ obs: 0, info: { prob: 1 } });
  });

  it('applies successRate to the intended move and splits the rest between the perpendicular ones', () => {
    const env = new FrozenLakeEnv({ successRate: 0.5 });
    // From 6 (row 1, col 2) moving down (1): outcomes left (5), down (10), right (7), in that order.
    expect(env.P[6]![1]).toEqual([
      [0.25, 5, 0, true],
      [0.5, 10, 0, false],
      [0.25, 7, 0, true],
    ]);
  });

  it('pays rewardSchedule [goal, hole, frozen], counting the start tile as frozen, and 0 from terminal tiles', () => {
    const env = new FrozenLakeEnv({ isSlippery: false, rewardSchedule: [10, -5, -1] });
    expect(env.P[1]![0]).toEqual([[1, 0, -1, false]]); // into S
    expect(env.P[1]![1]).toEqual([[1, 5, -5, true]]); // into a hole
    expect(env.P[14]![2]).toEqual([[1, 15, 10, true]]); // into the goal
    expect(env.P[15]![2]).toEqual([[1, 15, 0, true]]); // from the goal
  });

  it('accepts a custom desc and starts uniformly on its S tiles', () => {
    const env = new FrozenLakeEnv({ desc: ['SFS', 'FHG'], isSlippery: false });
    expect([env.nrow, env.ncol]).toEqual([2, 3]);
    expect(Array.from(env.initialStateDistrib)).toEqual([0.5, 0, 0.5, 0, 0, 0]);
    const starts = new Set<number>();
    for (let seed = 0; seed < 50; seed++) starts.add(env.reset({ seed }).obs);
    expect([...starts].sort()).toEqual([0, 2]);
  });

  it('draws one uniform per reset and per step, taken from the injectable source', () => {
    const draws = [0.1, 0.1, 0.5, 0.9];
    let i = 0;
    const env = new FrozenLakeEnv({ uniform: () => draws[i++]! });
    expect(env.reset().obs).toBe(0);
    expect(env.step(1).obs).toBe(0); // down from 0, u = 0.1: first outcome (left), blocked by the wall
    expect(env.step(1).obs).toBe(4); // u = 0.5: the intended move
    expect(env.step(2).obs).toBe(0); // right from 4, u = 0.9: third outcome (up)
    expect(i).toBe(4);
  });

  it('reset({ options: { state } }) sets the state without a draw and rejects states outside the map', () => {
    const env = new FrozenLakeEnv({ uniform: noDraws });
    expect(env.reset({ options: { state: 14 } }).obs).toBe(14);
    expect(() => env.reset({ options: { state: 16 } })).toThrow(InvalidConfig);
    expect(() => env.reset({ options: { state: 16 } })).toThrow('Expected reset option state to be an integer in [0, 15] for FrozenLakeEnv, got 16.');
    expect(() => env.reset({ options: { state: 1.5 } })).toThrow('got 1.5');
  });

  it('rejects malformed maps and options with a typed message', () => {
    expect(() => new FrozenLakeEnv({ desc: ['SFF', 'FG'] })).toThrow('Expected every FrozenLake desc row to have 3 tiles, got "FG" at row 1.');
    expect(() => new FrozenLakeEnv({ desc: ['SX', 'FG'] })).toThrow('Expected FrozenLake tiles to be S, F, H or G, got "X" at row 0, column 1.');
    expect(() => new FrozenLakeEnv({ desc: ['FF', 'FG'] })).toThrow('at least one start tile S');
    expect(() => new FrozenLakeEnv({ mapName: '5x5' as '4x4' })).toThrow('Expected FrozenLake mapName "4x4" or "8x8" (or null for a random map), got "5x5".');
    expect(() => new FrozenLakeEnv({ successRate: 1.5 })).toThrow('Expected FrozenLake successRate to be a probability in [0, 1], got 1.5.');
    expect(() => make('FrozenLake-v1', { is_slippery: false })).toThrow('got "is_slippery". Use camelCase: isSlippery.');
    expect(() => new FrozenLakeEnv().step(4)).toThrow(InvalidAction);
  });

  it('draws a valid random 8x8 map when desc and mapName are both null', () => {
    const env = new FrozenLakeEnv({ mapName: null });
    expect(env.desc.length).toBe(8);
    expect(isValidMap(env.desc)).toBe(true);
  });
});

describe('generateRandomMap', () => {
  it('is reproducible per seed, square, valid, with S top-left and G bottom-right', () => {
    const a = generateRandomMap({ size: 6, p: 0.7, seed: 3 });
    expect(generateRandomMap({ size: 6, p: 0.7, seed: 3 })).toEqual(a);
    const maps = Array.from({ length: 20 }, (_, seed) => generateRandomMap({ size: 6, p: 0.7, seed }));
    expect(new Set(maps.map((m) => m.join('/'))).size).toBeGreaterThan(15);
    for (const m of maps) {
      expect(m.length).toBe(6);
      expect(m.every((row) => row.length === 6 && /^[SFHG]+$/.test(row))).toBe(true);
      expect(m[0]![0]).toBe('S');
      expect(m[5]![5]).toBe('G');
      expect(isValidMap(m)).toBe(true);
    }
    expect(generateRandomMap({ size: 3, p: 1, seed: 0 })).toEqual(['SFF', 'FFF', 'FFG']);
  });

  it('holes show up at about 1 - p of the inner tiles', () => {
    let holes = 0;
    let tiles = 0;
    for (let seed = 0; seed < 200; seed++) {
      for (const row of generateRandomMap({ size: 8, p: 0.9, seed })) {
        for (const t of row) {
          tiles++;
          if (t === 'H') holes++;
        }
      }
    }
    // Rejection of invalid boards lowers the rate a little below 0.1.
    expect(holes / tiles).toBeGreaterThan(0.05);
    expect(holes / tiles).toBeLessThan(0.1);
  });

  it('checks paths like Gymnasium is_valid and rejects impossible requests', () => {
    expect(isValidMap(['SH', 'HG'])).toBe(false);
    expect(isValidMap(['SF', 'HG'])).toBe(true);
    expect(isValidMap(['SFH', 'HFH', 'HFG'])).toBe(true);
    expect(isValidMap(['SFH', 'HHF', 'FFG'])).toBe(false);
    expect(() => generateRandomMap({ size: 1 })).toThrow('Expected random map size to be an integer >= 2, got 1.');
    expect(() => generateRandomMap({ p: 0 })).toThrow(InvalidConfig);
    expect(() => generateRandomMap({ size: 8, p: 0.01, seed: 1, maxTries: 5 })).toThrow('Expected a valid random map within 5 tries');
  });
});

describe('CliffWalking', () => {
  it('sends the player back to the start with -100 from the cliff, without terminating', () => {
    const env = make('CliffWalking-v1');
    expect(env.reset({ seed: 1 }).obs).toBe(36);
    expect(env.step(1)).toMatchObject({ obs: 36, reward: -100, terminated: false, truncated: false, info: { prob: 1 } });
    expect(String(env)).not.toContain('TimeLimit');
  });

  it('is slippery with 1/3 per outcome, ordered (a - 1) % 4, a, (a + 1) % 4', () => {
    const env = new CliffWalkingEnv({ isSlippery: true });
    const third = 1 / 3;
    // From 24 (row 2, col 0) moving right (1): up to 12, right to 25, down to 36.
    expect(env.P[24]![1]).toEqual([
      [third, 12, -1, false],
      [third, 25, -1, false],
      [third, 36, -1, false],
    ]);
    // From 35 (row 2, col 11) moving down (2): right stays at 35, down reaches the goal, left to 34.
    expect(env.P[35]![2]).toEqual([
      [third, 35, -1, false],
      [third, 47, -1, true],
      [third, 34, -1, false],
    ]);
  });
});

describe('Taxi', () => {
  it('encodes and decodes all 500 states', () => {
    for (let s = 0; s < 500; s++) {
      const d = decodeTaxi(s);
      expect(encodeTaxi(d.taxiRow, d.taxiCol, d.passengerLoc, d.destination)).toBe(s);
    }
  });

  it('reaches 404 states from the 300 starts', () => {
    const env = new TaxiEnv();
    const starts = [...env.initialStateDistrib.keys()].filter((s) => env.initialStateDistrib[s]! > 0);
    expect(starts.length).toBe(300);
    const reachable = new Set(starts);
    let frontier = starts;
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const s of frontier) {
        for (const outcomes of env.P[s]!) {
          for (const [, ns, , done] of outcomes) {
            if (reachable.has(ns)) continue;
            reachable.add(ns);
            if (!done) next.push(ns);
          }
        }
      }
      frontier = next;
    }
    expect(reachable.size).toBe(404);
  });

  it('draws one uniform per step, dry steps included, as categorical_sample does in Gymnasium', () => {
    const env = new TaxiEnv();
    env.reset({ options: { state: encodeTaxi(2, 2, 0, 1) } });
    let used = 0;
    env.uniform = () => {
      used++;
      return 0.999;
    };
    expect(env.step(0).obs).toBe(encodeTaxi(3, 2, 0, 1));
    expect(env.step(4).reward).toBe(-10);
    expect(used).toBe(2);
  });

  it('is rainy with [p, (1-p)/2, (1-p)/2] for ahead, left and right of the heading', () => {
    const env = new TaxiEnv({ isRainy: true });
    const half = new TaxiEnv({ isRainy: true, rainyProbability: 0.5 });
    for (let s = 0; s < 500; s++) {
      for (let a = 0; a < 6; a++) {
        expect(env.P[s]![a]!.map((o) => o[0])).toEqual(a < 4 ? [0.8, (1 - 0.8) / 2, (1 - 0.8) / 2] : [1]);
        expect(half.P[s]![a]!.map((o) => o[0])).toEqual(a < 4 ? [0.5, 0.25, 0.25] : [1]);
      }
    }
    // Gymnasium's cases: (row, col, action) -> ahead, left, right cells.
    const cases: [number, number, number, [number, number], [number, number], [number, number]][] = [
      [1, 3, 0, [2, 3], [1, 4], [1, 2]],
      [1, 3, 1, [0, 3], [1, 2], [1, 4]],
      [1, 3, 2, [1, 4], [0, 3], [2, 3]],
      [1, 3, 3, [1, 2], [2, 3], [0, 3]],
      [1, 4, 3, [1, 3], [2, 4], [0, 4]],
      [2, 1, 2, [2, 2], [1, 1], [3, 1]],
      [4, 3, 0, [4, 3], [4, 3], [4, 3]],
      [0, 3, 1, [0, 3], [0, 3], [0, 3]],
      [0, 1, 2, [0, 1], [0, 1], [0, 1]],
      [0, 2, 3, [0, 2], [0, 2], [0, 2]],
      [0, 2, 0, [1, 2], [0, 3], [0, 2]],
    ];
    for (const [row, col, action, ...cells] of cases) {
      const got = env.P[encodeTaxi(row, col, 0, 1)]![action]!.map(([, ns]) => {
        const d = decodeTaxi(ns);
        return [d.taxiRow, d.taxiCol];
      });
      expect(got, `(${row}, ${col}) action ${action}`).toEqual(cells);
    }
  });

  it('never crosses a wall, dry or rainy', () => {
    const walls = new Set(['0,1>0,2', '0,2>0,1', '3,0>3,1', '3,1>3,0', '3,2>3,3', '3,3>3,2', '4,0>4,1', '4,1>4,0', '4,2>4,3', '4,3>4,2', '1,1>1,2', '1,2>1,1']);
    for (const env of [new TaxiEnv(), new TaxiEnv({ isRainy: true })]) {
      for (let s = 0; s < 500; s++) {
        const a0 = decodeTaxi(s);
        for (const outcomes of env.P[s]!) {
          for (const [, ns] of outcomes) {
            const b = decodeTaxi(ns);
            expect(walls.has(`${a0.taxiRow},${a0.taxiCol}>${b.taxiRow},${b.taxiCol}`)).toBe(false);
            expect(Math.abs(a0.taxiRow - b.taxiRow) + Math.abs(a0.taxiCol - b.taxiCol)).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });

  it('picks rainy outcomes with one uniform per move and reports their probability', () => {
    const env = new TaxiEnv({ isRainy: true });
    const start = encodeTaxi(1, 3, 0, 1);
    for (const [u, cell, prob] of [
      [0.5, [2, 3], 0.8],
      [0.85, [1, 4], 0.09999999999999998],
      [0.95, [1, 2], 0.09999999999999998],
    ] as const) {
      env.reset({ options: { state: start } });
      let used = 0;
      env.uniform = () => {
        used++;
        return u;
      };
      const { obs, info, reward } = env.step(0);
      expect([decodeTaxi(obs).taxiRow, decodeTaxi(obs).taxiCol]).toEqual(cell);
      expect(info['prob']).toBe(prob);
      expect(reward).toBe(-1);
      expect(used).toBe(1);
    }
  });

  it('makes a fickle passenger change destination once, on the first move after boarding', () => {
    for (const [p, changes] of [
      [1, true],
      [0, false],
    ] as const) {
      const env = new TaxiEnv({ ficklePassenger: true, fickleProbability: p });
      for (let seed = 0; seed < 10; seed++) {
        env.reset({ seed });
        const [row, col] = TAXI_LOCS[0]!;
        env.reset({ options: { state: encodeTaxi(row, col, 0, 3) } });
        expect(env.fickleStep).toBe(changes);
        expect(decodeTaxi(env.step(4).obs)).toEqual({ taxiRow: 0, taxiCol: 0, passengerLoc: 4, destination: 3 });
        const after = decodeTaxi(env.step(0).obs);
        expect(after.taxiRow).toBe(1);
        expect(after.destination !== 3).toBe(changes);
        const dest = after.destination;
        expect(decodeTaxi(env.step(1).obs).destination).toBe(dest);
      }
    }
    const env = new TaxiEnv({ ficklePassenger: true });
    env.reset({ options: { state: encodeTaxi(0, 0, 4, 3), fickleStep: true } });
    expect(decodeTaxi(env.step(3).obs).destination).toBe(3); // blocked by the border: no move, no change
    expect(env.fickleStep).toBe(true);
    expect(() => env.reset({ options: { fickleStep: 1 } })).toThrow('Expected reset option fickleStep to be true or false, got 1.');
  });

  it('rejects unknown options with a camelCase hint', () => {
    expect(() => make('Taxi-v4', { is_rainy: true })).toThrow('Use camelCase: isRainy.');
    expect(() => new TaxiEnv({ rainyProbability: -0.1 })).toThrow('Expected Taxi rainyProbability to be a probability in [0, 1], got -0.1.');
  });
});

describe('Blackjack', () => {
  const dealt = (cards: number[]): (() => number) => {
    let i = 0;
    return () => {
      if (i >= cards.length) throw new Error('dealt more cards than scripted');
      return cards[i++]!;
    };
  };
  const play = (options: ConstructorParameters<typeof BlackjackEnv>[0], player: number[], dealer: number[], cards: number[], actions: number[]) => {
    const env = new BlackjackEnv({ ...options, drawCard: dealt(cards) });
    env.reset({ seed: 0, options: { state: { player, dealer } } });
    let last: ReturnType<BlackjackEnv['step']> | undefined;
    for (const a of actions) last = env.step(a);
    return { env, last: last! };
  };

  it('has Gymnasium spaces and deals two cards each', () => {
    const env = make('Blackjack-v1');
    expect(env.observationSpace).toEqual({
      kind: 'tuple',
      spaces: [
        { kind: 'discrete', n: 32, start: 0 },
        { kind: 'discrete', n: 11, start: 0 },
        { kind: 'discrete', n: 2, start: 0 },
      ],
    });
    for (let seed = 0; seed < 200; seed++) {
      const { obs, info } = env.reset({ seed });
      expect(info).toEqual({});
      expect(contains(env.observationSpace, obs)).toBe(true);
      expect(obs[0]).toBeGreaterThanOrEqual(4);
      expect(obs[0]).toBeLessThanOrEqual(21);
      expect(obs[1]).toBeGreaterThanOrEqual(1);
      expect(obs[1]).toBeLessThanOrEqual(10);
      const base = env.unwrapped as BlackjackEnv;
      expect(base.player.length).toBe(2);
      expect(base.dealer.length).toBe(2);
    }
    expect(env.reset({ seed: 5 }).obs).toEqual(env.reset({ seed: 5 }).obs);
  });

  it('scores stick against the dealer, who draws to 17 and stands on a soft 17', () => {
    expect(play({}, [10, 7], [10, 8], [], [0]).last).toMatchObject({ obs: [17, 10, 0], reward: -1, terminated: true, truncated: false });
    expect(play({}, [10, 8], [1, 6], [], [0]).last.reward).toBe(1); // dealer soft 17 stands
    expect(play({}, [10, 8], [10, 8], [], [0]).last.reward).toBe(0);
    const drawn = play({}, [10, 9], [2, 3], [1, 10, 5], [0]);
    expect(drawn.env.dealer).toEqual([2, 3, 1, 10, 5]); // 16 soft, 16 hard, then 21
    expect(drawn.last.reward).toBe(-1);
    expect(play({}, [10, 2], [10, 6], [10], [0]).last.reward).toBe(1); // dealer busts
  });

  it('hits: counts an ace as 11 while it fits, busts above 21', () => {
    const { env, last } = play({}, [1, 6], [5, 5], [10], [1]);
    expect(last).toMatchObject({ obs: [17, 5, 0], reward: 0, terminated: false });
    expect(env.player).toEqual([1, 6, 10]);
    expect(play({}, [1, 6], [5, 5], [], []).env.obs()).toEqual([17, 5, 1]);
    expect(play({}, [10, 6], [5, 5], [10], [1]).last).toMatchObject({ obs: [26, 5, 0], reward: -1, terminated: true });
    expect(play({}, [1, 1], [5, 5], [], []).env.obs()).toEqual([12, 5, 1]);
  });

  it('pays naturals per natural / sab, as Gymnasium', () => {
    // Player natural vs a dealer 17.
    expect(play({ sab: true }, [1, 10], [10, 7], [], [0]).last.reward).toBe(1);
    expect(play({ natural: true }, [10, 1], [10, 7], [], [0]).last.reward).toBe(1.5);
    expect(play({ natural: false }, [1, 10], [10, 7], [], [0]).last.reward).toBe(1);
    expect(play({ sab: true, natural: true }, [1, 10], [10, 7], [], [0]).last.reward).toBe(1); // sab ignores natural
    // Both naturals draw; a three-card 21 is no natural.
    expect(play({ sab: true }, [1, 10], [1, 10], [], [0]).last.reward).toBe(0);
    expect(play({ natural: true }, [1, 10], [1, 10], [], [0]).last.reward).toBe(0);
    expect(play({ sab: true }, [7, 7, 7], [10, 1], [], [0]).last.reward).toBe(0);
    // With sab a natural beats a dealer 21 made of three cards.
    expect(play({ sab: true }, [1, 10], [7, 7], [7], [0]).last.reward).toBe(1);
    expect(play({ sab: false }, [1, 10], [7, 7], [7], [0]).last.reward).toBe(0);
  });

  it('rejects bad actions, states and options with typed messages', () => {
    const env = new BlackjackEnv();
    env.reset({ seed: 1 });
    expect(() => env.step(2)).toThrow('Expected a Blackjack action 0 (stick) or 1 (hit), got 2.');
    expect(() => env.reset({ options: { state: { player: [11], dealer: [2] } } })).toThrow(InvalidConfig);
    expect(() => env.reset({ options: { state: { player: [2, 3] } } })).toThrow('Expected reset option state to be { player, dealer }');
    expect(() => new BlackjackEnv({ sab: 'yes' as unknown as boolean })).toThrow('Expected Blackjack sab to be true or false, got "yes".');
  });
});

describe('toy-text scenes', () => {
  const valid = (scene: Scene): void => {
    expect(explainInvalidScene(scene)).toBeNull();
    expect(JSON.parse(JSON.stringify(scene))).toEqual(scene);
  };

  it('FrozenLake shows tiles and the elf at its state, a cracked hole when it fell in', () => {
    for (const mapName of ['4x4', '8x8'] as const) {
      const env = make(mapName === '4x4' ? 'FrozenLake-v1' : 'FrozenLake8x8-v1');
      const base = env.unwrapped as FrozenLakeEnv;
      for (let s = 0; s < base.nrow * base.ncol; s++) {
        env.reset({ options: { state: s } });
        const scene = env.scene!();
        valid(scene);
        expect(scene.viewport).toEqual({ xMin: 0, xMax: base.ncol, yMin: 0, yMax: base.nrow });
        const c = cellCenter(Math.floor(s / base.ncol), s % base.ncol, base.nrow);
        if (base.tileAt(s) === 'H') {
          const cracked = scene.shapes.filter((sh): sh is CircleShape => sh.type === 'circle' && sh.stroke === FROZEN_LAKE_COLORS.agent);
          expect(cracked.map((sh) => [sh.x, sh.y])).toEqual([[c.x, c.y]]);
        } else {
          expect(circlesAt(scene, FROZEN_LAKE_COLORS.agent).map((sh) => [sh.x, sh.y])).toEqual([[c.x, c.y]]);
        }
        const holes = circlesAt(scene, FROZEN_LAKE_COLORS.hole).length;
        expect(holes).toBe(base.desc.join('').split('H').length - 1);
      }
    }
  });

  it('CliffWalking shows the grid and the hiker at its state', () => {
    const env = make('CliffWalking-v1');
    for (let s = 0; s < 48; s++) {
      env.reset({ options: { state: s } });
      const scene = env.scene!();
      valid(scene);
      const c = cellCenter(Math.floor(s / 12), s % 12, 4);
      expect(circlesAt(scene, CLIFF_WALKING_COLORS.agent).map((sh) => [sh.x, sh.y])).toEqual([[c.x, c.y]]);
      expect(scene.shapes.filter((sh) => sh.type === 'rect' && sh.fill === CLIFF_WALKING_COLORS.cliff).length).toBe(10);
    }
    env.step(0);
    valid(env.scene!());
  });

  it('Taxi shows the taxi at its cell, the waiting passenger at their stand, and walls', () => {
    const env = make('Taxi-v4');
    for (let s = 0; s < 500; s += 7) {
      env.reset({ options: { state: s } });
      const scene = env.scene!();
      valid(scene);
      const d = decodeTaxi(s);
      const taxiFill = d.passengerLoc === 4 ? TAXI_COLORS.taxiFull : TAXI_COLORS.taxi;
      const taxi = scene.shapes.filter((sh): sh is RectShape => sh.type === 'rect' && sh.fill === taxiFill);
      const c = cellCenter(d.taxiRow, d.taxiCol, 5);
      expect(taxi.map((sh) => [sh.x, sh.y])).toEqual([[c.x, c.y]]);
      const passenger = circlesAt(scene, TAXI_COLORS.passenger);
      if (d.passengerLoc === 4) expect(passenger).toEqual([]);
      else {
        const p = cellCenter(TAXI_LOCS[d.passengerLoc]![0], TAXI_LOCS[d.passengerLoc]![1], 5);
        expect(Math.abs(passenger[0]!.x - p.x) < 0.5 && Math.abs(passenger[0]!.y - p.y) < 0.5).toBe(true);
      }
      expect(scene.shapes.filter((sh) => sh.type === 'line').length).toBe(6);
    }
  });

  it('Blackjack shows the dealer card, the player sum and the usable ace', () => {
    const env = make('Blackjack-v1');
    for (let seed = 0; seed < 30; seed++) {
      const obs = env.reset({ seed }).obs as BlackjackObs;
      const scene = env.scene!();
      valid(scene);
      const texts = scene.shapes.filter((sh): sh is TextShape => sh.type === 'text').map((t) => t.text);
      expect(texts).toContain(`Dealer: ${obs[1]}`);
      expect(texts).toContain(String(obs[0]));
      expect(texts.includes('usable ace')).toBe(obs[2] === 1);
      expect(scene.shapes.filter((sh) => sh.type === 'rect').length).toBeGreaterThanOrEqual(2);
    }
  });

  it('all draw before the first reset without throwing', () => {
    for (const env of [new FrozenLakeEnv(), new CliffWalkingEnv(), new TaxiEnv(), new BlackjackEnv()] as { scene(): Scene }[]) valid(env.scene());
  });
});

describe('toy-text through make()', () => {
  it('validates actions and keeps the uniform source settable on the unwrapped env', () => {
    const env = make('FrozenLake-v1', { isSlippery: true });
    env.reset({ seed: 0 });
    expect(() => env.step(7)).toThrow(InvalidAction);
    const base = env.unwrapped as TabularEnv;
    base.uniform = () => 0.99;
    expect(env.step(2)).toMatchObject({ obs: 0, info: { prob: (1 - 1 / 3) / 2 } });
  });
});

// The library's own conformance suite, on every toy-text id as make() builds it.
for (const id of ['FrozenLake-v1', 'FrozenLake8x8-v1', 'CliffWalking-v1', 'Taxi-v4', 'Blackjack-v1']) testEnvConformance(id, () => make(id));
