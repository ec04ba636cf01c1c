import { describe, expect, it } from 'vitest';
import { CheckpointSchedule, defaultCheckpointEvery } from '../../../agents/runs/schedule.js';

describe('defaultCheckpointEvery', () => {
  it('is a tenth of the run rounded to one significant digit, capped by a speed guess at five minutes', () => {
    expect(defaultCheckpointEvery(50_000)).toBe(5000);
    expect(defaultCheckpointEvery(12_345)).toBe(1000);
    expect(defaultCheckpointEvery(1_000_000)).toBe(100_000);
    expect(defaultCheckpointEvery(7)).toBe(1);
    // 10 steps/s for 300 s = 3000 < 100_000.
    expect(defaultCheckpointEvery(1_000_000, 10)).toBe(3000);
    expect(defaultCheckpointEvery(1_000_000, 1e6)).toBe(100_000);
    expect(() => defaultCheckpointEvery(0)).toThrow('Expected the total steps of a run to be a positive integer, got 0.');
  });
});

describe('CheckpointSchedule', () => {
  it('fires at multiples of the step interval, also when a vector env jumps past one, and after a resume', () => {
    const s = new CheckpointSchedule({ everySteps: 100, startTime: 0 });
    expect([99, 100].map((step) => s.shouldCheckpoint(step, 0))).toEqual([false, true]);
    s.markDone(104, 0);
    expect(s.nextStep).toBe(200);
    expect([199, 203].map((step) => s.shouldCheckpoint(step, 0))).toEqual([false, true]);
    const resumed = new CheckpointSchedule({ everySteps: 100, startStep: 250, startTime: 0 });
    expect([resumed.shouldCheckpoint(299, 0), resumed.shouldCheckpoint(300, 0)]).toEqual([false, true]);
  });

  it('fires on wall time when there are new steps, and restarts the clock after each checkpoint', () => {
    const s = new CheckpointSchedule({ everySteps: null, everySeconds: 60, startStep: 10, startTime: 1000 });
    expect(s.nextStep).toBeNull();
    expect(s.shouldCheckpoint(11, 60_999)).toBe(false);
    expect(s.shouldCheckpoint(11, 61_000)).toBe(true);
    expect(s.shouldCheckpoint(10, 500_000)).toBe(false);
    s.markDone(11, 61_000);
    expect(s.shouldCheckpoint(50, 120_000)).toBe(false);
    expect(s.shouldCheckpoint(50, 121_000)).toBe(true);
  });

  it('rejects bad intervals', () => {
    expect(() => new CheckpointSchedule({ everySteps: 0 })).toThrow('Expected the checkpoint interval in steps to be a positive integer or null, got 0.');
    expect(() => new CheckpointSchedule({ everySteps: 5, everySeconds: -1 })).toThrow('Expected the checkpoint interval in seconds to be a positive number or null, got -1.');
  });
});
