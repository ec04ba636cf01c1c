// Apart from heads.test.ts so that mutation testing, whose instrumented code allocates on every statement,
// leaves this measurement out (stryker.config.mjs lists heads.test.ts only).
import { describe, expect, it } from 'vitest';
import { allocatedBytes } from '../../bench/_alloc.js';
import { Rng } from '../../core/rng.js';
import {
  categoricalEntropy, categoricalLogProb, duelingBackward, duelingCombine, gaussianEntropy, gaussianLogProb, logSoftmax,
  multiCategoricalEntropy, multiCategoricalLogProb, sampleCategorical, sampleGaussian, sampleMultiCategorical, tanhSquash,
  tanhSquashBackward,
} from '../../nn/heads.js';

describe('heads allocate nothing per call', () => {
  it('every head function, with and without its optional outputs, after warm-up', () => {
    // The shapes of an acting step of 4 envs: MultiDiscrete [3, 2, 4] and a 2-d Gaussian.
    const n = 4, nvec = [3, 2, 4], width = 9, k = 3, d = 2;
    const rng = new Rng(1);
    const fill = (a: Float32Array) => a.map(() => rng.float() * 2 - 1);
    const logits = fill(new Float32Array(n * width)), dLogits = new Float32Array(n * width);
    const actions = new Int32Array(n * nvec.length).map((_, i) => i % 2), single = new Int32Array(n).map((_, i) => i % k);
    const rowsOut = new Float32Array(n), upstream = new Float32Array(n).fill(0.5), idx = new Int32Array(n * nvec.length);
    const mean = fill(new Float32Array(n * d)), logStd = fill(new Float32Array(d)), logStdRows = fill(new Float32Array(n * d));
    const x = fill(new Float32Array(n * d)), gMean = new Float32Array(n * d), gLogStd = new Float32Array(n * d), gX = new Float32Array(n * d), noise = new Float32Array(n * d);
    const low = Float32Array.of(-1, -2), high = Float32Array.of(1, 3), squashed = new Float32Array(n * d), logDet = new Float32Array(n);
    const raw = fill(new Float32Array(n * (k + 1))), q = new Float32Array(n * k), dRaw = new Float32Array(n * (k + 1));
    // Option objects made once, as a caller that acts every step keeps them (a literal per call is the caller's allocation).
    const shared = { sharedLogStd: true }, grads = { sharedLogStd: true, dLogProb: upstream, dMean: gMean, dLogStd: gLogStd, dX: gX };
    const rowGrads = { dLogProb: upstream, dMean: gMean, dLogStd: gLogStd };
    const entropyGrads = { sharedLogStd: true, dEntropy: upstream, dLogStd: gLogStd }, noiseOpts = { noiseOut: noise };
    const bounds = { low, high }, withLogDet = { low, high, logDetOut: logDet }, logDetOnly = { logDetOut: logDet }, backOpts = { low, high, dLogDet: upstream };
    const calls: Record<string, () => unknown> = {
      logSoftmax: () => logSoftmax(logits, n, width, dLogits),
      categoricalLogProb: () => categoricalLogProb(logits, single, n, k, rowsOut),
      'categoricalLogProb, gradients': () => categoricalLogProb(logits, single, n, k, rowsOut, dLogits, upstream),
      categoricalEntropy: () => categoricalEntropy(logits, n, k, rowsOut, dLogits, upstream),
      sampleCategorical: () => sampleCategorical(logits, n, k, rng, single),
      multiCategoricalLogProb: () => multiCategoricalLogProb(logits, actions, n, nvec, rowsOut),
      'multiCategoricalLogProb, gradients': () => multiCategoricalLogProb(logits, actions, n, nvec, rowsOut, dLogits, upstream),
      multiCategoricalEntropy: () => multiCategoricalEntropy(logits, n, nvec, rowsOut, dLogits, upstream),
      sampleMultiCategorical: () => sampleMultiCategorical(logits, n, nvec, rng, idx),
      gaussianLogProb: () => gaussianLogProb(mean, logStd, x, n, d, rowsOut, shared),
      'gaussianLogProb, no options': () => gaussianLogProb(mean, logStdRows, x, n, d, rowsOut),
      'gaussianLogProb, gradients': () => gaussianLogProb(mean, logStd, x, n, d, rowsOut, grads),
      'gaussianLogProb, row log-stds': () => gaussianLogProb(mean, logStdRows, x, n, d, rowsOut, rowGrads),
      gaussianEntropy: () => gaussianEntropy(logStd, n, d, rowsOut, entropyGrads),
      'gaussianEntropy, no options': () => gaussianEntropy(logStdRows, n, d, rowsOut),
      sampleGaussian: () => sampleGaussian(mean, logStd, n, d, rng, squashed, shared),
      'sampleGaussian, noise': () => sampleGaussian(mean, logStdRows, n, d, rng, squashed, noiseOpts),
      tanhSquash: () => tanhSquash(x, n, d, squashed, withLogDet),
      'tanhSquash, no bounds': () => tanhSquash(x, n, d, squashed, logDetOnly),
      'tanhSquash, no options': () => tanhSquash(x, n, d, squashed),
      'tanhSquash, bounds only': () => tanhSquash(x, n, d, squashed, bounds),
      tanhSquashBackward: () => tanhSquashBackward(x, n, d, gMean, gX, backOpts),
      'tanhSquashBackward, no options': () => tanhSquashBackward(x, n, d, null, gX),
      duelingCombine: () => duelingCombine(raw, n, k, q),
      duelingBackward: () => duelingBackward(q, n, k, dRaw),
    };
    // Warm every call up before measuring any (interpreted code boxes the doubles it touches).
    for (let i = 0; i < 3000; i++) for (const f of Object.values(calls)) f();
    // Bytes per call: the median of 3 bursts of 2000 calls, GCs included (bench/_alloc.ts; ~10 kB a burst).
    const perCall = (f: () => unknown): number => [0, 1, 2].map(() => allocatedBytes(() => { for (let i = 0; i < 2000; i++) f(); }) / 2000).sort((a, b) => a - b)[1]!;
    // Rng.normal() (core/rng.ts) boxes its result, ~20 bytes a draw: the Gaussian samplers are charged only
    // what they allocate beyond the same n x d draws taken bare.
    const draws = () => { for (let j = 0; j < n * d; j++) noise[j] = rng.normal(); };
    for (let i = 0; i < 3000; i++) draws();
    const own = (name: string): number => (name.startsWith('sampleGaussian') ? perCall(draws) : 0);
    const measured = Object.entries(calls).map(([name, f]) => [name, Math.round(perCall(f) - own(name))] as const);
    // What may remain is a boxed double (a returned float V8 did not inline): 16 bytes here and there. The
    // smallest object literal is ~28 bytes, a closure ~32, a Float32Array (object and buffer) ~200.
    expect(measured.filter(([, bytes]) => bytes >= 24)).toEqual([]);
  });
});
