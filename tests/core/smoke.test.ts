import { describe, expect, it } from 'vitest';
import { box, discrete, sample, contains, Rng } from '../../core/index.js';

describe('core smoke', () => {
  it('samples inside a box', () => {
    const rng = new Rng(1);
    const space = box({ low: -1, high: 1, shape: [3] });
    const x = sample(space, rng);
    expect(x).toBeInstanceOf(Float32Array);
    expect(contains(space, x)).toBe(true);
    expect(contains(discrete(2), 2)).toBe(false);
  });
});
