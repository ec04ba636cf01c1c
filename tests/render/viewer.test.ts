import { describe, expect, it } from 'vitest';
import { Player, SPEEDS } from '../../render/viewer/src/player.js';
import { extent, formatNumber, nearestIndex, niceTicks, smoothEma } from '../../render/viewer/src/plot-math.js';

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
