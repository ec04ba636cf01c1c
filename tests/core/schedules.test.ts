import { describe, expect, it } from 'vitest';
import { constantSchedule, linearSchedule } from '../../core/schedules.js';

describe('linearSchedule', () => {
  it('anneals linearly and then holds the end value', () => {
    const beta = linearSchedule(0.4, 1, 100);
    expect(beta(0)).toBe(0.4);
    expect(beta(50)).toBeCloseTo(0.7, 12);
    expect(beta(100)).toBe(1);
    expect(beta(1e9)).toBe(1);
    expect(() => linearSchedule(0.4, 1, -1)).toThrow('Expected linearSchedule duration to be a number of steps >= 0, got -1.');
  });
});

describe('constantSchedule', () => {
  it('holds one value', () => {
    expect(constantSchedule(0.3)(0)).toBe(0.3);
    expect(constantSchedule(0.3)(1e6)).toBe(0.3);
    expect(linearSchedule(1, 0.05, 0)(0)).toBe(0.05);
  });
});
