/** Progress-line formatting: mean +- std to the same decimals, plural nouns, and resumed runs. */
import { describe, expect, it } from 'vitest';
import { describeProgress, fmtMeanStd, plural, progressBar, progressLine } from '../../cli/progress.js';
import { sink } from './helpers.js';

describe('fmtMeanStd', () => {
  it('prints mean and std with the same number of decimals', () => {
    expect(fmtMeanStd(-110.3, 8.994)).toBe('-110.3 +- 9.0');
    expect(fmtMeanStd(500, 0)).toBe('500.0 +- 0.0');
    expect(fmtMeanStd(0.976, 0.0123)).toBe('0.976 +- 0.012');
    // A small mean with a large spread: the spread sets the decimals, not the mean.
    expect(fmtMeanStd(0.5, 25.25)).toBe('0.5 +- 25.3');
    expect(fmtMeanStd(0, 0)).toBe('0.0 +- 0.0');
  });

  it('shows a missing value as -', () => {
    expect(fmtMeanStd(Number.NaN, 1)).toBe('-');
    expect(fmtMeanStd(3, Number.NaN)).toBe('3.000 +- -');
  });
});

describe('plural', () => {
  it('says 1 episode, 0 and 10 episodes', () => {
    expect(plural(1, 'episode')).toBe('1 episode');
    expect(plural(0, 'episode')).toBe('0 episodes');
    expect(plural(10, 'episode')).toBe('10 episodes');
  });
});

describe('progressLine', () => {
  it('a fresh run: global step out of the total, fps as given', () => {
    expect(progressLine({ step: 10_000, totalSteps: 50_000, fps: 1500, meanReturn: -110.3, returnStd: 8.994, fields: [{ label: 'eps', value: 0.5, digits: 3 }, { label: 'loss', value: 0.25, digits: 4 }], episodes: 40 })).toBe(
      '10000/50000 (20%)  fps 1500  return -110.3 +- 9.0  eps 0.500  loss 0.2500  ep 40',
    );
  });

  it('a resumed run: says where it resumed, and fps counts only this session', () => {
    // Resumed at 40000; 2000 steps in 4 seconds this session: 500 steps/s, not 42000 / 4.
    expect(progressLine({ step: 42_000, totalSteps: 50_000, startStep: 40_000, seconds: 4 })).toBe(
      '42000/50000 (84%, resumed at 40000)  fps 500  return -',
    );
  });

  it('before this session has stepped, fps is unknown, not 0', () => {
    expect(progressLine({ step: 40_000, totalSteps: 50_000, startStep: 40_000, fps: 0 })).toBe('40000/50000 (80%, resumed at 40000)  fps -  return -');
    expect(progressLine({ step: 40_000, totalSteps: 50_000, startStep: 40_000, seconds: 0 })).toContain('fps -');
  });

  it('never reads "60000/50000 (100%) fps 0" for a run resumed past its total', () => {
    const line = progressLine({ step: 60_000, totalSteps: 50_000, startStep: 60_000, fps: 0 });
    expect(line).toBe("60000 steps (past the run's total of 50000)  fps -  return -");
  });

  it('does not round 99.96% up to 100% before the last step', () => {
    expect(progressLine({ step: 49_980, totalSteps: 50_000 })).toMatch(/^49980\/50000 \(99%\)/);
    expect(progressLine({ step: 50_000, totalSteps: 50_000 })).toMatch(/^50000\/50000 \(100%\)/);
  });

  it('the bar draws the same line, from the state train.ts passes', () => {
    const out = sink();
    const bar = progressBar({ stream: out as unknown as NodeJS.WriteStream, tty: false, plainInterval: 0, label: 'dqn CartPole-v1' });
    bar.update({ step: 42_000, total: 50_000, startStep: 40_000, seconds: 4, meanReturn: 21.5, returnStd: 3.25 });
    expect(out.text()).toBe('dqn CartPole-v1 42000/50000 (84%, resumed at 40000)  fps 500  return 21.5 +- 3.3\n');
    expect(describeProgress({ step: 5, total: 10, fps: 2 })).toBe('5/10 (50%)  fps 2  return -');
  });
});
