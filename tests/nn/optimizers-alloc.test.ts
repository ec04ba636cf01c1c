// Apart from optimizers.test.ts so that mutation testing, whose instrumented code allocates on every
// statement, leaves this measurement out (see testFiles in stryker.config.mjs).
import { describe, expect, it } from 'vitest';
import { allocatedBytes } from '../../bench/_alloc.js';
import { adam, rmsprop, sgd } from '../../nn/optimizers.js';
import { LinearNet } from './fixtures.js';

describe('optimiser steps', () => {
  it('allocates nothing per step but the returned norm', () => {
    const net = new LinearNet(64, 64);
    const opts = [adam([net], { learningRate: 1e-3, maxGradNorm: 0.5 }), rmsprop([net], { learningRate: 1e-3, maxGradNorm: 0.5 }), sgd([net], { learningRate: 1e-3, momentum: 0.9, nesterov: true })];
    for (const opt of opts) {
      const f = () => {
        net.grads.fill(0.25);
        opt.step();
      };
      for (let i = 0; i < 200; i++) f();
      const bursts = [0, 1, 2].map(() => allocatedBytes(() => { for (let i = 0; i < 2000; i++) f(); }) / 2000);
      // The returned norm is a double, boxed (~16 bytes) when V8 does not inline the call; a per-parameter
      // allocation would cost kilobytes here (4160 parameters).
      expect(bursts.sort((x, y) => x - y)[1]!, opt.kind).toBeLessThan(64);
    }
  });
});
