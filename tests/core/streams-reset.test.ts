/**
 * `steps$` around `reset()`: the `onReset` hook sees every reset observation before the episode's first
 * action, and an env that fails (throws, or returns no result) is named with its method in one line.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AnyEnv } from '../../core/env.js';
import { InvalidConfig, InvalidObservation, RxgymError } from '../../core/errors.js';
import { discrete } from '../../core/spaces.js';
import { envName, steps$, type ActorContext, type StepsOptions } from '../../core/streams.js';
import { ChainEnv } from '../fixtures/chain-env.js';

describe('steps$ onReset', () => {
  it('is called after each reset, before the first action, with the reset obs and the first step context', async () => {
    const env = new ChainEnv({ length: 3 });
    const log: string[] = [];
    const actor = (obs: number, ctx: ActorContext): number => {
      log.push(`act ${ctx.episode}/${ctx.t} at ${obs}`);
      return 0;
    };
    const onReset = (obs: number, ctx: ActorContext): void => {
      log.push(`reset ${ctx.episode}/${ctx.t} step ${ctx.step} at ${obs} (resets ${env.resets}, steps ${env.steps})`);
    };
    const xs = await lastValueFrom(steps$(env, actor, { seed: 4, maxEpisodes: 2, onReset }).pipe(toArray()));
    const firstObs = xs.filter((x) => x.t === 0).map((x) => x.obs);
    expect(log).toEqual([
      `reset 0/0 step 0 at ${firstObs[0]} (resets 1, steps 0)`,
      `act 0/0 at ${firstObs[0]}`,
      `act 0/1 at ${xs[1]!.obs}`,
      `act 0/2 at ${xs[2]!.obs}`,
      `reset 1/0 step 3 at ${firstObs[1]} (resets 2, steps 3)`,
      `act 1/0 at ${firstObs[1]}`,
      `act 1/1 at ${xs[4]!.obs}`,
      `act 1/2 at ${xs[5]!.obs}`,
    ]);
  });

  it('sends an error it throws to the error channel and closes the env; refuses a non-function', async () => {
    const env = new ChainEnv();
    const failing = (): void => {
      throw new RangeError('recorder full');
    };
    await expect(lastValueFrom(steps$(env, () => 0, { onReset: failing }))).rejects.toThrow('recorder full');
    expect(env.closes).toBe(1);
    expect(env.steps).toBe(0);
    const bad = { onReset: 'scene' } as unknown as StepsOptions<number>;
    expect(() => steps$(new ChainEnv(), () => 0, bad)).toThrow(new InvalidConfig('Expected steps$ option onReset to be a function (obs, ctx) => void, got "scene".'));
  });
});

describe('steps$ names a failing env and its method', () => {
  it('reset() throwing: its class and reset(), with the original as cause; typed rxgym errors pass as they are', async () => {
    const env = new ChainEnv();
    env.failReset = true;
    const err = await lastValueFrom(steps$(env, () => 0)).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(RxgymError);
    expect((err as RxgymError).code).toBe('ENV_FAILED');
    expect((err as Error).message).toBe('ChainEnv.reset() threw: chain env cannot reset');
    expect(((err as Error).cause as Error).message).toBe('chain env cannot reset');

    const typed = new InvalidObservation('CustomEnv: something specific.');
    const throwsTyped = new ChainEnv();
    throwsTyped.step = () => {
      throw typed;
    };
    await expect(lastValueFrom(steps$(throwsTyped, () => 0))).rejects.toBe(typed);
  });

  it('a multi-line message keeps its first line; the whole stays in cause', async () => {
    const env = new ChainEnv();
    env.step = () => {
      throw new Error('first line\n    at somewhere (file.ts:1:1)');
    };
    const err = (await lastValueFrom(steps$(env, () => 0)).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('ChainEnv.step() threw: first line');
    expect((err.cause as Error).message).toContain('somewhere');
  });

  it('a plain-object env, a registered one and a wrapped one get a readable name', async () => {
    const plain = {
      observationSpace: discrete(3),
      actionSpace: discrete(2),
      metadata: { renderFps: 30 },
      spec: undefined,
      get unwrapped() {
        return plain as unknown as AnyEnv;
      },
      reset: () => undefined,
      step: () => ({ obs: 0, reward: 0, terminated: false, truncated: false, info: {} }),
      close: () => {},
    };
    const env = plain as unknown as AnyEnv;
    expect(envName(env)).toBe('env');
    await expect(lastValueFrom(steps$(env, () => 0))).rejects.toThrow(new InvalidObservation('Expected env.reset() to return { obs, info }, got undefined.'));
    const registered = new ChainEnv();
    registered.spec = { id: 'Chain-v0', entryPoint: 'chain', nondeterministic: false, kwargs: {} };
    expect(envName(registered)).toBe('Chain-v0');
    expect(envName(new ChainEnv())).toBe('ChainEnv');
  });
});
