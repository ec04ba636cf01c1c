import { afterAll, describe, expect, it } from 'vitest';

describe('a suite whose tear-down throws', () => {
  afterAll(() => {
    throw new Error('tear-down failed');
  });
  it('passes', () => expect(1).toBe(1));
});
