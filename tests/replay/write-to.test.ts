import { describe, expect, it } from 'vitest';
import { firstValueFrom, from, toArray } from 'rxjs';
import type { Transition } from '../../core/env.js';
import { InvalidTransition, ReplayBuffer, writeTo } from '../../replay/index.js';
import { step } from './helpers.js';

describe('writeTo', () => {
  it('adds every transition to the buffer and passes it on unchanged', async () => {
    const buffer = new ReplayBuffer<'discrete', Float32Array>({ capacity: 10, obsDim: 2, actionKind: 'discrete' });
    const steps = [step(0), step(1), step(2, { terminated: true })];
    const out = await firstValueFrom(from(steps).pipe(writeTo(buffer), toArray()));
    expect(out).toEqual(steps);
    expect(out[1]).toBe(steps[1]);
    expect(buffer.size).toBe(3);
    expect(Array.from(buffer.rewards.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('errors the stream (not the caller) when the buffer rejects a transition', async () => {
    const buffer = new ReplayBuffer<'discrete', Float32Array>({ capacity: 10, obsDim: 2, actionKind: 'discrete' });
    const bad: Transition<Float32Array, number> = { ...step(1), reward: NaN };
    const seen: number[] = [];
    const error = await new Promise<unknown>((resolve) => {
      from([step(0), bad, step(2)])
        .pipe(writeTo(buffer))
        .subscribe({ next: (t) => seen.push(t.t), error: resolve, complete: () => resolve(null) });
    });
    expect(error).toBeInstanceOf(InvalidTransition);
    expect((error as Error).message).toBe('Expected reward to be a finite number, got NaN.');
    expect(seen).toEqual([0]);
    expect(buffer.size).toBe(1);
  });
});
