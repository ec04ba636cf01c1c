import { describe, expect, it } from 'vitest';
import { from, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Transition } from '../../core/env.js';
import { InvalidConfig } from '../../core/errors.js';
import { batch, episodeStats, movingAverage } from '../../core/operators/index.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A transition whose observations are labelled by run step: obs `s<step>`, nextObs `s<step+1>`. */
function tr(episode: number, t: number, step: number, reward: number, end: '' | 'term' | 'trunc' = ''): Transition<string, number> {
  return {
    obs: `s${step}`,
    action: step % 2,
    reward,
    nextObs: `s${step + 1}`,
    terminated: end === 'term',
    truncated: end === 'trunc',
    info: { step },
    episode,
    t,
    step,
  };
}

describe('batch', () => {
  it('emits full arrays, then the partial one on completion', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b-c-d-e|');
      expectObservable(source.pipe(batch(2))).toBe('--x---y--(z|)', { x: ['a', 'b'], y: ['c', 'd'], z: ['e'] });
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('emits nothing extra when the count divides evenly, and completes an empty source empty', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-c|').pipe(batch(3))).toBe('----x|', { x: ['a', 'b', 'c'] });
      expectObservable(cold('---|').pipe(batch(3))).toBe('---|');
    });
  });

  it('passes an error on and drops the partial array', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const err = new Error('source failed');
      expectObservable(cold('a-b-c-#', undefined, err).pipe(batch(2))).toBe('--x---#', { x: ['a', 'b'] }, err);
    });
  });

  it('unsubscribes from the source when the consumer stops', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b-c-d-e-f-|');
      expectObservable(source.pipe(batch(2), take(2))).toBe('--x---(y|)', { x: ['a', 'b'], y: ['c', 'd'] });
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('hands out a fresh array each time', () => {
    const out: number[][] = [];
    from([1, 2, 3, 4]).pipe(batch(2)).subscribe((b) => out.push(b));
    expect(out).toEqual([[1, 2], [3, 4]]);
    expect(out[0]).not.toBe(out[1]);
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => batch(0)).toThrow(InvalidConfig);
    expect(() => batch(2.5)).toThrow('Expected batch size to be a positive integer, got 2.5.');
  });
});

describe('episodeStats', () => {
  it('summarises each finished episode with return, length, how it ended, run step and virtual seconds', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = {
        a: tr(0, 0, 0, 1),
        b: tr(0, 1, 1, 2),
        c: tr(0, 2, 2, 3, 'term'),
        d: tr(1, 0, 3, -1),
        e: tr(1, 1, 4, 0.5, 'trunc'),
        f: tr(2, 0, 5, 7),
      };
      const out = cold('a-b-c--d-e-f-|', values).pipe(episodeStats({ now: () => ts.now() }));
      expectObservable(out).toBe('----x----y---|', {
        x: { episode: 0, return: 6, length: 3, terminated: true, truncated: false, step: 2, seconds: 0.004 },
        y: { episode: 1, return: -0.5, length: 2, terminated: false, truncated: true, step: 4, seconds: 0.005 },
      });
    });
  });

  it('drops an episode cut off before its end and times the next one from its first transition', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const values = { a: tr(0, 0, 0, 1), b: tr(3, 4, 9, 2), c: tr(3, 5, 10, 3, 'term') };
      const out = cold('a---b-c|', values).pipe(episodeStats({ now: () => ts.now() }));
      expectObservable(out).toBe('------x|', {
        x: { episode: 3, return: 5, length: 6, terminated: true, truncated: false, step: 10, seconds: 0.002 },
      });
    });
  });

  it('passes errors and completion on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const err = new Error('boom');
      expectObservable(cold('a-#', { a: tr(0, 0, 0, 1) }, err).pipe(episodeStats())).toBe('--#', undefined, err);
      expectObservable(cold('a--|', { a: tr(0, 0, 0, 1) }).pipe(episodeStats())).toBe('---|');
    });
  });

  it('sends an exception from a malformed item to the error channel, not to the caller', () => {
    const errors: unknown[] = [];
    const bad = of(null as unknown as Transition<string, number>);
    expect(() => bad.pipe(episodeStats()).subscribe({ error: (e: unknown) => errors.push(e) })).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TypeError);
  });

  it('measures wall time with performance.now by default', () => {
    const out: number[] = [];
    from([tr(0, 0, 0, 1, 'term')]).pipe(episodeStats()).subscribe((e) => out.push(e.seconds));
    expect(out).toHaveLength(1);
    expect(out[0]).toBeGreaterThanOrEqual(0);
    expect(out[0]).toBeLessThan(1);
  });
});

describe('movingAverage', () => {
  it('averages the last `window` numbers, fewer while the stream is young', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold('a-b-c-d|', { a: 1, b: 2, c: 3, d: 6 }).pipe(movingAverage(2));
      expectObservable(out).toBe('w-x-y-z|', { w: 1, x: 1.5, y: 2.5, z: 4.5 });
    });
  });

  it('passes errors on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#', { a: 4 }).pipe(movingAverage(3))).toBe('a-#', { a: 4 });
    });
  });

  it('stays exact over a long stream and recovers from a NaN once it leaves the window', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i === 50 ? Number.NaN : (i % 7) * 0.1));
    const out: number[] = [];
    from(values).pipe(movingAverage(10)).subscribe((x) => out.push(x));
    expect(out[55]).toBeNaN();
    const last = values.slice(-10).reduce((s, x) => s + x, 0) / 10;
    expect(out[9_999]).toBeCloseTo(last, 12);
  });

  it('rejects a window that is not a positive integer', () => {
    expect(() => movingAverage(-1)).toThrow('Expected movingAverage window to be a positive integer, got -1.');
  });
});

describe('an exception inside an operator', () => {
  it('goes to the error channel and unsubscribes the source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { a: tr(0, 0, 0, 1), b: null as unknown as Transition<string, number> };
      const source = cold('a-b-a|', values);
      expectObservable(source.pipe(episodeStats())).toBe('--#', undefined, expect.any(TypeError));
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });
});
