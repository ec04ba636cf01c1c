import { describe, expect, it } from 'vitest';
import { runLabel } from '../../../agents/runs/run-folder.js';

describe('runLabel', () => {
  it('names run folders after the env id, or the export or file of a module target', () => {
    expect(runLabel('CartPole-v1')).toBe('CartPole-v1');
    expect(runLabel('./examples/corridor.ts:Corridor')).toBe('Corridor');
    expect(runLabel('/home/me/envs/my-env.ts')).toBe('my-env');
    expect(runLabel('acme/Grid World-v0')).toBe('acme_Grid_World-v0');
  });
});
