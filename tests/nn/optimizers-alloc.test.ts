// Apart from optimizers.test.ts so that mutation testing, whose instrumented code allocates on every
// statement, leaves this measurement out (see testFiles in stryker.config.mjs).
import { describe, expect, it } from 'vitest';
import { allocatedBytes } from '../../bench/_alloc.js';
import { adam, rmsprop, sgd } from '../../nn/optimizers.js';
import type { Net, Optimizer } from '../../nn/types.js';
import { LinearNet } from './fixtures.js';

const kinds: [string, (nets: Net[]) => Optimizer][] = [
  ['adam', (nets) => adam(nets, { learningRate: 1e-3, maxGradNorm: 0.5 })],
  ['rmsprop', (nets) => rmsprop(nets, { learningRate: 1e-3, maxGradNorm: 0.5 })],
  ['sgd', (nets) => sgd(nets, { learningRate: 1e-3, momentum: 0.9, nesterov: true, maxGradNorm: 0.5 })],
];

describe('optimiser steps', () => {
  for (const [kind, make] of kinds) {
    it(`${kind}: allocates nothing that grows with the parameters`, () => {
      // Two nets of 16,512 parameters. The JS heap does not hold typed arrays' data, only their objects
      // (~200 bytes for a Float32Array and its buffer), so this catches per-step objects, not their size.
      const nets = [new LinearNet(128, 128), new LinearNet(128, 128)];
      const opt = make(nets);
      const f = () => {
        for (const n of nets) n.grads.fill(0.25);
        opt.step();
      };
      // Warm up until V8 has optimised the step: interpreted code boxes the doubles it touches.
      for (let i = 0; i < 2000; i++) f();
      const bursts = [0, 1, 2].map(() => allocatedBytes(() => { for (let i = 0; i < 1000; i++) f(); }) / 1000);
      // What remains is boxed doubles (the returned norm, arguments of calls V8 did not inline): 1 to 17 bytes
      // per step when V8 has optimised the step, up to ~470 on a loaded machine where it has not yet. A few
      // temporary arrays or state records per step cross 1 kB.
      expect(bursts.sort((x, y) => x - y)[1]!).toBeLessThan(1024);
    });
  }
});
