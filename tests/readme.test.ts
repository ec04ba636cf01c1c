import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const file = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('README', () => {
  it('shows the custom environment exactly as examples/corridor.ts has it', () => {
    expect(blocks).toContain(file('examples/corridor.ts'));
    expect(blocks).toContain(file('examples/corridor.test.ts'));
    expect(file('examples/corridor.ts').split('\n').length).toBeLessThanOrEqual(31);
  });

  it('runs the quick-start commands through the README test command', () => {
    const ci = file('.ci/run');
    expect(readme).toContain('npm test');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test 2>&1/m);
  });

  it('its library snippets run as written', async () => {
    const { make } = await import('rxgym/envs');
    const { Rng, sample, steps$, episodeStats } = await import('rxgym/core');
    const { lastValueFrom, share, toArray } = await import('rxjs');
    const env = make('CartPole-v1');
    const rng = new Rng(0);
    env.reset({ seed: 42 });
    let steps = 0;
    for (let done = false; !done; steps++) {
      const step = env.step(sample(env.actionSpace, rng));
      done = step.terminated || step.truncated;
    }
    expect(steps).toBeGreaterThan(5);
    const run$ = steps$(make('CartPole-v1'), (obs: Float32Array) => (obs[2]! > 0 ? 1 : 0), { seed: 1, maxEpisodes: 5 }).pipe(share());
    const episodes = lastValueFrom(run$.pipe(episodeStats(), toArray()));
    const transitions = lastValueFrom(run$.pipe(toArray()));
    const [eps, ts] = await Promise.all([episodes, transitions]);
    expect(eps).toHaveLength(5);
    expect(eps.reduce((a, e) => a + e.length, 0)).toBe(ts.length);
    // the lean-toward-the-pole policy balances far longer than random (~22 steps)
    expect(eps.every((e) => e.return > 25)).toBe(true);
  });
});
