import { describe, expect, expectTypeOf, it } from 'vitest';
import { firstValueFrom, from, map } from 'rxjs';

import { ReplayBuffer, writeTo } from '../../replay/index.js';
import { step } from './helpers.js';

describe('writeTo types', () => {
  it('keeps the upstream element type when the buffer accepts a wider one', async () => {
    const buffer = new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'discrete' }); // obs: ArrayLike<number>
    const out$ = from([step(0)]).pipe(writeTo(buffer), map((t) => t.obs));
    expectTypeOf(out$).toEqualTypeOf<import('rxjs').Observable<Float32Array>>();
    const obs = await firstValueFrom(out$);
    expect(obs).toBeInstanceOf(Float32Array);
    expect(buffer.size).toBe(1);
  });
});
