import { describe, expect, it } from 'vitest';
import { Player, SPEEDS } from '../../render/viewer/src/player.js';
import { columnEnvelope, extent, finiteRange, formatNumber, nearestIndex, niceTicks, scaleToUnit, smoothEma } from '../../render/viewer/src/plot-math.js';

describe('viewer plot math', () => {
  it('niceTicks steps by 1, 2 or 5 times a power of ten and covers the range', () => {
    expect(niceTicks(0, 500, 5)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(-0.13, 0.92, 4)).toEqual([0, 0.5]);
    expect(niceTicks(0.05, 1, 5)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 3, 4)).toEqual([2.8, 3, 3.2]);
    expect(niceTicks(0, 27_000, 4)).toEqual([0, 10_000, 20_000]);
    expect(niceTicks(NaN, 1)).toEqual([]);
  });

  it('smoothEma is debiased: a constant stays constant, weight 0 keeps the data, NaN passes through', () => {
    expect(smoothEma([5, 5, 5], 0.9)).toEqual([5, 5, 5].map(() => expect.closeTo(5, 12)));
    expect(smoothEma([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smoothEma([0, 10], 0.5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo((0.5 * 0.5 * 0 + 0.5 * 10) / (1 - 0.25), 12); // (w(1-w)*0 + (1-w)*10) / (1 - w^2)
    expect(smoothEma([1, NaN, 3], 0.5).map((v) => Number.isNaN(v))).toEqual([false, true, false]);
  });

  it('extent pads the finite range and formatNumber keeps labels short', () => {
    expect(extent([0, 10, NaN, Infinity], 0.1)).toEqual([-1, 11]);
    expect(extent([], 0.1)).toEqual([0, 1]);
    expect(extent([2, 2])).toEqual([1.8, 2.2]);
    expect([0, 400, 1.5, 0.25, 12_500, 2_500_000, 0.00012, -300].map(formatNumber)).toEqual(['0', '400', '1.5', '0.25', '12.5k', '2.5M', '1.2e-4', '-300']);
  });

  it('nearestIndex finds the closest x by binary search', () => {
    expect(nearestIndex([0, 10, 20, 30], 14)).toBe(1);
    expect(nearestIndex([0, 10, 20, 30], 16)).toBe(2);
    expect(nearestIndex([0, 10], -5)).toBe(0);
    expect(nearestIndex([0, 10], 99)).toBe(1);
    expect(nearestIndex([], 1)).toBe(-1);
  });
});

describe('viewer curves of many episodes and of runs of different scales', () => {
  it('columnEnvelope gives each pixel column the min, max and mean of its points', () => {
    // Columns of width 2 over [0, 8]: x 0..1 in column 0, 2..3 in column 1, column 2 empty, 6..8 in column 3.
    const env = columnEnvelope([0, 1, 2, 3, 6, 7, 8], [5, -1, 2, 4, 10, NaN, 20], 0, 8, 4);
    expect(env).toEqual({ xs: [1, 3, 7], lo: [-1, 2, 10], hi: [5, 4, 20], mean: [2, 3, 15] });
  });

  it('columnEnvelope turns 5000 episodes into at most one point per column, keeping the extremes', () => {
    const xs = Array.from({ length: 5000 }, (_, i) => i);
    const ys = xs.map((i) => (i % 2 === 0 ? 100 + i / 50 : -100)); // a zig-zag a line would draw as a solid band
    const env = columnEnvelope(xs, ys, 0, 4999, 300);
    expect(env.xs.length).toBe(300);
    expect(Math.min(...env.lo)).toBe(-100);
    expect(Math.max(...env.hi)).toBe(ys[4998]);
    // Every column mixes both halves of the zig-zag: its mean sits between them.
    for (let c = 0; c < env.xs.length; c++) expect(env.mean[c]!).toBeGreaterThan(-100);
    expect(env.xs.every((x, c) => c === 0 || x > env.xs[c - 1]!)).toBe(true);
  });

  it('scaleToUnit maps each run to [0, 1] so a -200..-100 run and a 0..500 run share an axis', () => {
    const mountainCar = [-200, -150, -100];
    const cartPole = [0, 250, 500];
    expect(scaleToUnit(mountainCar, ...finiteRange(mountainCar)!)).toEqual([0, 0.5, 1]);
    expect(scaleToUnit(cartPole, ...finiteRange(cartPole)!)).toEqual([0, 0.5, 1]);
    expect(scaleToUnit([3, 3], 3, 3)).toEqual([0.5, 0.5]);
    expect(scaleToUnit([1, NaN], 0, 2).map(Number.isNaN)).toEqual([false, true]);
    expect(finiteRange([NaN, Infinity])).toBeNull();
    expect(finiteRange([2, -1, NaN, 7])).toEqual([-1, 7]);
  });
});

describe('viewer playback', () => {
  it('advances frames from wall time at fps x speed and stops at the last frame', () => {
    const p = new Player(10, 50);
    expect(p.advance(1000)).toBe(false); // paused
    p.toggle();
    expect(p.advance(10)).toBe(false); // half a frame
    expect(p.advance(10)).toBe(true); // the other half
    expect(p.index).toBe(1);
    p.speed = 4;
    p.advance(20); // 4 frames
    expect(p.index).toBe(5);
    p.advance(1000);
    expect(p.index).toBe(9);
    expect(p.playing).toBe(false);
    p.toggle(); // from the end it starts over
    expect(p.index).toBe(0);
    expect(p.playing).toBe(true);
  });

  it('steps pause playback and clamp; loop wraps; speeds step through SPEEDS', () => {
    const p = new Player(5, 30);
    p.toggle();
    p.step(1);
    expect(p.playing).toBe(false);
    expect(p.index).toBe(1);
    p.step(-10);
    expect(p.index).toBe(0);
    p.step(Infinity);
    expect(p.index).toBe(4);
    p.loop = true;
    p.seek(3);
    p.toggle();
    p.advance(100); // 3 frames at 30 fps: 3 -> 6 wraps to 1
    expect(p.index).toBe(1);
    p.speed = 1;
    p.nudgeSpeed(1);
    expect(p.speed).toBe(2);
    for (let i = 0; i < 10; i++) p.nudgeSpeed(-1);
    expect(p.speed).toBe(SPEEDS[0]);
    p.load(0, 0);
    expect(p.fps).toBe(30);
    p.toggle();
    expect(p.playing).toBe(false); // nothing to play
  });
});
