import { afterAll, beforeAll, expect, it } from 'vitest';

// A file-level set-up that throws: none of the file's tests can run.
beforeAll(() => {
  throw new Error('file set-up failed');
});
afterAll(() => undefined);
it('would pass', () => expect(1).toBe(1));
