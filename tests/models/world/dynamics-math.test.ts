// The world models' arithmetic against hand-computed values: the ensemble's input features, targets and
// standardisation, the grouping of rows by member, a member's Gaussian sample with the bounded log-std, the elites'
// moments and the disagreement bonus, the fit's held-out split, bootstrap, epoch budget, early stopping and elites,
// the known rewards and terminations, and the learned termination's cross-entropy.
// `npm run mutate` runs this file against models/world/dynamics-math.ts, dynamics-fit.ts, known-*.ts and termination.ts;
// ensemble-math.test.ts covers EnsembleDynamics's own methods.
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../core/errors.js';
import { Rng } from '../../../core/rng.js';
import { boundedLogStd } from '../../../models/bayes/heteroscedastic.js';
import { worldStepOut } from '../../../models/world/contract.js';
import {
  addEliteMeans, deltaTargets, groupByMember, inputFeatures, sampleMemberRows, standardiseInPlace, stateDisagreement, terminationFeatures,
} from '../../../models/world/dynamics-math.js';
import {
  bootstrapRows, checkRowsOf, epochBudget, gatherRows, holdoutCount, holdoutMse, improvedEnough, keepTraining, rankElites,
} from '../../../models/world/dynamics-fit.js';
import { pendulumReward } from '../../../models/world/known-rewards.js';
import { cartPoleTermination, mountainCarTermination, neverTerminates } from '../../../models/world/known-terminations.js';
import { TerminationClassifier, bceWithLogits, softplus } from '../../../models/world/termination.js';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

describe('inputs and targets of the ensemble', () => {
  it('continuous rows are [state, action]', () => {
    const out = new Float32Array(9).fill(7);
    inputFeatures(f32([1, 2, 3, 4]), f32([5, 6, 7, 8]), 2, 2, { kind: 'continuous', dim: 2 }, out);
    expect([...out]).toEqual([1, 2, 5, 6, 3, 4, 7, 8, 7]);
  });

  it('discrete actions start..start+n-1 are one-hot after the state', () => {
    const out = new Float32Array(13).fill(7);
    inputFeatures(f32([0.5, -0.5, 2]), f32([1, 3, 2]), 3, 1, { kind: 'discrete', n: 3, start: 1 }, out);
    expect([...out]).toEqual([0.5, 1, 0, 0, -0.5, 0, 0, 1, 2, 0, 1, 0, 7]);
  });

  it('refuses a discrete action outside start..start+n-1 or not an integer, naming the row', () => {
    const a = { kind: 'discrete', n: 3, start: 1 } as const;
    for (const bad of [0, 4, 1.5]) {
      expect(() => inputFeatures(f32([0, 0]), f32([1, bad]), 2, 1, a, new Float32Array(8))).toThrow(InvalidConfig);
      expect(() => inputFeatures(f32([0, 0]), f32([1, bad]), 2, 1, a, new Float32Array(8))).toThrow(`Expected discrete actions in 1..3, got ${bad} at row 1.`);
    }
  });

  it('targets are [next state - state, reward]', () => {
    const y = new Float32Array(7).fill(7);
    deltaTargets(f32([1, 2, 3, 4]), f32([1.5, 1, 6, 4]), f32([-1, 0.25]), 2, 2, y);
    expect([...y]).toEqual([0.5, -1, -1, 3, 0, 0.25, 7]);
  });

  it('standardises the first n rows in place per column, (x - mean) / std', () => {
    const x = f32([1, 2, 3, 4, 5, 6]);
    standardiseInPlace(x, 2, 2, [1, 4], [2, 0.5]);
    expect([...x]).toEqual([0, -4, 1, 0, 5, 6]);
  });
});

describe('propagation through members', () => {
  it('groups rows by member in row order, with each member\'s start (a counting sort)', () => {
    const starts = new Int32Array(6).fill(7), order = new Int32Array(7).fill(-9);
    groupByMember(Int32Array.from([2, 0, 2, 1, 0, 3, 1]), 6, 4, starts, order);
    expect([...starts]).toEqual([0, 2, 3, 5, 6, 7]);
    expect([...order]).toEqual([1, 4, 3, 0, 2, 5, -9]);
    // Member 3 without rows: its range is empty.
    groupByMember(Int32Array.from([2, 0, 2, 1, 0]), 5, 4, starts, order);
    expect([...starts.subarray(0, 5)]).toEqual([0, 2, 3, 5, 5]);
  });

  it("samples a member's Gaussian: state + (mean + exp(boundedLogStd(raw)) eps) yStd + yMean, then the reward", () => {
    const d = 2, s = { yMean: [0.5, -1, 2], yStd: [2, 0.5, 3], minLogStd: -3, maxLogStd: 1 };
    // Two member rows (standardised): [means (3), raw log-stds (3)], for rows 2 and 0 of the batch.
    const raw = f32([0.1, -0.2, 0.3, 2, -4, 0, -1, 0.5, 1.5, -0.5, 3, -2]);
    const states = f32([1, 2, 3, 4, 5, 6]);
    const out = worldStepOut(3, d);
    out.nextStates.fill(9); out.rewards.fill(9);
    const rng = new Rng(6);
    sampleMemberRows(raw, Int32Array.from([2, 0]), 2, states, d, s, rng, out);
    const replica = new Rng(6);
    const expectedNext = [9, 9, 9, 9, 9, 9], expectedReward = [9, 9, 9];
    [2, 0].forEach((i, r) => {
      for (let j = 0; j < 3; j++) {
        const z = raw[r * 6 + j]! + Math.exp(boundedLogStd(raw[r * 6 + 3 + j]!, -3, 1)) * replica.normal();
        const v = z * s.yStd[j]! + s.yMean[j]!;
        if (j < d) expectedNext[i * d + j] = states[i * d + j]! + v;
        else expectedReward[i] = v;
      }
    });
    expect([...out.nextStates]).toEqual([...f32(expectedNext)]);
    expect([...out.rewards]).toEqual([...f32(expectedReward)]);
    // One normal per output of each row, no more.
    expect(rng.float()).toBe(replica.float());
    // The bounds apply: raw log-std 2 and 3 sit below maxLogStd 1, -4 above minLogStd -3.
    expect(boundedLogStd(3, -3, 1)).toBeLessThan(1);
    expect(boundedLogStd(-4, -3, 1)).toBeGreaterThan(-3);
  });

  it("the elites' running mean and m2 (Welford) equal the two-pass mean and sum of squared deviations, un-standardised", () => {
    const n = 2, od = 3, yMean = [1, -2, 0.5], yStd = [2, 0.5, 4];
    const elites = [
      f32([0.1, 0.2, 0.3, 9, 9, 9, -1, 0, 1, 9, 9, 9]),
      f32([0.4, -0.2, 0.1, 9, 9, 9, 2, 0.5, -1, 9, 9, 9]),
      f32([-0.3, 0.6, 0.9, 9, 9, 9, 0, 1, 0.5, 9, 9, 9]),
    ];
    // One spare row, which must stay 0.
    const mean = new Float64Array((n + 1) * od), m2 = new Float64Array((n + 1) * od);
    elites.forEach((raw, c) => addEliteMeans(raw, n, od, yMean, yStd, c, mean, m2));
    expect([...mean.subarray(n * od), ...m2.subarray(n * od)]).toEqual(Array(2 * od).fill(0));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < od; j++) {
        const mus = elites.map((raw) => raw[i * 2 * od + j]! * yStd[j]! + yMean[j]!);
        const mu = mus.reduce((a, b) => a + b, 0) / 3;
        expect(mean[i * od + j]).toBeCloseTo(mu, 12);
        expect(m2[i * od + j]).toBeCloseTo(mus.reduce((a, b) => a + (b - mu) ** 2, 0), 12);
      }
    }
    // The disagreement: the elites' population variance summed over the state columns (not the reward's).
    const out = new Float32Array(3).fill(7);
    stateDisagreement(m2, n, 2, 3, out);
    for (let i = 0; i < n; i++) expect(out[i]).toBeCloseTo((m2[i * 3]! + m2[i * 3 + 1]!) / 3, 5);
    expect(out[2]).toBe(7);
    expect(out[0]).toBeGreaterThan(0);
  });

  it('disagreement by hand: means 1 and 3 in one state column, 0 and 0 in the other, give variance 1', () => {
    const m2 = Float64Array.from([2, 0, 50]);
    expect([...stateDisagreement(m2, 1, 2, 2, new Float32Array(1))]).toEqual([1]);
  });

  it("the learned termination's features: standardised inputs, then (next - state - yMean) / yStd", () => {
    const feat = new Float32Array(9).fill(7);
    terminationFeatures(f32([0.1, 0.2, 0.3, 0.4]), f32([1, 2]), f32([3, 1]), 2, 2, 1, [1], [0.5], feat);
    expect([...feat]).toEqual([...f32([0.1, 0.2, 2, 0.3, 0.4, -4, 7, 7, 7])]);
    // Two state columns: row 1 of states [1, 2] -> next [4, 0], change [3, -2], standardised by mean [1, -1] and std [0.5, 2].
    const feat2 = new Float32Array(8).fill(7);
    terminationFeatures(f32([0.1, 0.2, 0.3, 0.4]), f32([0, 0, 1, 2]), f32([0.5, 1, 4, 0]), 2, 2, 2, [1, -1], [0.5, 2], feat2);
    expect([...feat2]).toEqual([...f32([0.1, 0.2, -1, 1, 0.3, 0.4, 4, -0.5])]);
  });
});

describe('fitting the ensemble', () => {
  it('holds out floor(holdout n) rows up to maxHoldout, none below 20 rows', () => {
    expect(holdoutCount(19, 0.2, 5000)).toBe(0);
    expect(holdoutCount(20, 0.2, 5000)).toBe(4);
    expect(holdoutCount(99, 0.2, 5000)).toBe(19);
    expect(holdoutCount(100, 0.25, 10)).toBe(10);
    expect(holdoutCount(100, 0.05, 10)).toBe(5);
  });

  it('bootstraps train.length rows drawn with replacement', () => {
    const train = Int32Array.from([5, 6, 7, 8]);
    const rng = new Rng(2);
    const rows = bootstrapRows(train, rng);
    const replica = new Rng(2);
    expect([...rows]).toEqual([0, 1, 2, 3].map(() => train[replica.int(4)]));
    // One draw per row: the member's rng goes on from there.
    expect(rng.float()).toBe(replica.float());
    expect(new Set(rows).size).toBeLessThan(4);
  });

  it('epochs: at least ceil(minSteps / ceil(rows / batchSize)), and maxEpochs no fewer', () => {
    expect(epochBudget(100, 32, 0, 10)).toEqual({ minEpochs: 0, maxEpochs: 10 });
    expect(epochBudget(100, 32, 10, 10)).toEqual({ minEpochs: 3, maxEpochs: 10 });
    expect(epochBudget(100, 32, 50, 10)).toEqual({ minEpochs: 13, maxEpochs: 13 });
    expect(epochBudget(96, 32, 7, 10)).toEqual({ minEpochs: 3, maxEpochs: 10 });
  });

  it('trains on while under maxEpochs and either under minEpochs or fewer than patience epochs since an improvement', () => {
    const b = { minEpochs: 0, maxEpochs: 10, patience: 5 };
    expect(keepTraining(0, 0, b)).toBe(true);
    expect(keepTraining(9, 0, b)).toBe(true);
    expect(keepTraining(10, 0, b)).toBe(false);
    expect(keepTraining(3, 4, b)).toBe(true);
    expect(keepTraining(3, 5, b)).toBe(false);
    expect(keepTraining(3, 5, { ...b, minEpochs: 4 })).toBe(true);
    expect(keepTraining(4, 5, { ...b, minEpochs: 4 })).toBe(false);
    expect(keepTraining(10, 0, { ...b, minEpochs: 12 })).toBe(false);
  });

  it('counts an improvement only when the held-out MSE fell by more than 1%', () => {
    expect(improvedEnough(100, 99)).toBe(false);
    expect(improvedEnough(100, 98.9)).toBe(true);
    expect(improvedEnough(100, 101)).toBe(false);
    expect(improvedEnough(0.5, 0.1)).toBe(true);
  });

  it('ranks the elites by held-out MSE, best first', () => {
    expect(rankElites([0.3, 0.1, 0.2, 0.05], 2)).toEqual([3, 1]);
    expect(rankElites([0.3, 0.1, 0.2, 0.05], 4)).toEqual([3, 1, 2, 0]);
  });

  it('gathers rows by index, and scores the predicted means (not the log-stds) by their mean squared error', () => {
    expect([...gatherRows(f32([0, 1, 2, 3, 4, 5, 6, 7]), Int32Array.from([2, 0]), 2)]).toEqual([4, 5, 0, 1]);
    // Two rows of od = 2: [means, log-stds].
    const raw = f32([1, 2, 50, 50, 0, -1, 50, 50]);
    const member = { predictRaw: (_x: Float32Array, n: number) => raw.subarray(0, n * 4) };
    const y = f32([0, 2, 1, 1]);
    expect(holdoutMse(member, new Float32Array(2), y, 2, 2)).toBeCloseTo((1 + 0 + 1 + 4) / 4, 12);
  });

  it('checks the rows of a fit: n, lengths and finite values, naming the field', () => {
    const rows = (n: number) => ({ n, states: new Float32Array(2 * n), actions: new Float32Array(n), rewards: new Float32Array(n), nextStates: new Float32Array(2 * n), terminated: new Uint8Array(n) });
    expect(checkRowsOf(rows(3), 2, 1)).toBe(3);
    expect(checkRowsOf(rows(1), 2, 1)).toBe(1);
    expect(() => checkRowsOf(undefined as unknown as ReturnType<typeof rows>, 2, 1)).toThrow('Expected data.n to be a positive integer, got undefined.');
    expect(() => checkRowsOf({ ...rows(3), states: new Float32Array(5) }, 2, 1)).toThrow('Expected data.states to hold at least 6 values (n = 3)');
    expect(() => checkRowsOf({ ...rows(3), terminated: new Uint8Array(2) }, 2, 1)).toThrow('Expected data.terminated to hold at least 3 values');
    expect(() => checkRowsOf({ ...rows(3), rewards: undefined as unknown as Float32Array }, 2, 1)).toThrow('Expected data.rewards to hold at least 3 values (n = 3), got undefined.');
    expect(() => checkRowsOf({ ...rows(3), rewards: {} as Float32Array }, 2, 1)).toThrow('Expected data.rewards to hold at least 3 values');
    expect(() => checkRowsOf({ ...rows(3), n: 0 }, 2, 1)).toThrow('Expected data.n to be a positive integer, got 0.');
    expect(() => checkRowsOf({ ...rows(3), n: 1.5 }, 2, 1)).toThrow(InvalidConfig);
    expect(() => checkRowsOf({ ...rows(3), nextStates: new Float32Array(5) }, 2, 1)).toThrow('Expected data.nextStates to hold at least 6 values (n = 3)');
    expect(() => checkRowsOf({ ...rows(3), actions: new Float32Array(5) }, 2, 2)).toThrow('Expected data.actions to hold at least 6 values');
    const bad = rows(3);
    bad.rewards[2] = NaN;
    expect(() => checkRowsOf(bad, 2, 1)).toThrow('Expected data.rewards to hold finite values, got NaN at index 2.');
    // Values past n rows are not the fit's.
    const longer = { ...rows(3), states: f32([0, 0, 0, 0, 0, 0, Infinity]) };
    expect(checkRowsOf(longer, 2, 1)).toBe(3);
  });
});

describe('known rewards and terminations', () => {
  it('Pendulum-v1: -(theta^2 + 0.1 theta_dot^2 + 0.001 u^2), theta from [cos, sin], u clipped to [-2, 2]', () => {
    const th = [0.5, -2.5, 3];
    const states = f32([Math.cos(0.5), Math.sin(0.5), 2, Math.cos(-2.5), Math.sin(-2.5), -1, Math.cos(3), Math.sin(3), 0.5]);
    const out = new Float32Array(4).fill(7);
    pendulumReward(states, f32([3, -3, 1]), new Float32Array(9), 3, out);
    const expected = [
      -(th[0]! ** 2 + 0.1 * 4 + 0.001 * 4),
      -(th[1]! ** 2 + 0.1 * 1 + 0.001 * 4),
      -(th[2]! ** 2 + 0.1 * 0.25 + 0.001 * 1),
    ];
    for (let i = 0; i < 3; i++) expect(out[i]).toBeCloseTo(expected[i]!, 5);
    expect(out[3]).toBe(7);
  });

  it('CartPole-v1: terminated when |x| > 2.4 or |theta| > 12 degrees of the next state', () => {
    const limit = (12 * 2 * Math.PI) / 360;
    const rows = [[2.399, 0], [2.401, 0], [-2.399, 0], [-2.401, 0], [0, limit - 1e-4], [0, limit + 1e-4], [0, -limit + 1e-4], [0, -limit - 1e-4]];
    // Large velocities (columns 1 and 3) must not matter.
    const next = f32(rows.flatMap(([x, th]) => [x!, 100, th!, -100]));
    const out = new Uint8Array(9).fill(7);
    cartPoleTermination(new Float32Array(0), new Float32Array(0), next, 8, out);
    expect([...out]).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 7]);
  });

  it('MountainCarContinuous-v0: terminated at position >= 0.45 with velocity >= 0', () => {
    // 0.45 itself has no float32: the nearest is just below it.
    const next = f32([0.4501, 0, 0.4499, 1, 0.5, -0.001, 0.6, 0.02, 0.45, 1]);
    const out = new Uint8Array(6).fill(7);
    mountainCarTermination(new Float32Array(0), new Float32Array(0), next, 5, out);
    expect([...out]).toEqual([1, 0, 0, 1, 0, 7]);
  });

  it('never terminates: zeros the first n flags only', () => {
    const out = Uint8Array.from([1, 1, 1]);
    neverTerminates(new Float32Array(0), new Float32Array(0), new Float32Array(0), 2, out);
    expect([...out]).toEqual([0, 0, 1]);
  });
});

describe('the learned termination', () => {
  it('softplus is log(1 + e^z), z itself above 30 and e^z below -30', () => {
    for (const z of [-30, -5, 0, 2.5, 30]) expect(softplus(z)).toBe(Math.log1p(Math.exp(z)));
    expect(softplus(30.5)).toBe(30.5);
    expect(softplus(-30.5)).toBe(Math.exp(-30.5));
    expect(softplus(800)).toBe(800);
  });

  it('the cross-entropy is mean softplus(z) - y z, its gradient (sigmoid(z) - y) / n, by hand', () => {
    const z = f32([-40, -1, 0.5, 40]), y = Uint8Array.from([0, 1, 1, 0]);
    const dz = new Float32Array(5).fill(7);
    const loss = bceWithLogits(z, y, 4, dz);
    const zs = [...z];
    expect(loss).toBeCloseTo((Math.exp(-40) + (Math.log1p(Math.exp(-1)) + 1) + (Math.log1p(Math.exp(0.5)) - 0.5) + 40) / 4, 10);
    expect([...dz.subarray(0, 4)].map((g, i) => g - (sigmoid(zs[i]!) - y[i]!) / 4).every((e) => Math.abs(e) < 1e-7)).toBe(true);
    expect(dz[4]).toBe(7);
    expect(bceWithLogits(z, y, 4, null)).toBe(loss);
  });

  it('predicts terminated where the logit is > 0 (a zero logit is not)', () => {
    const clf = new TerminationClassifier(2, [], 0, 1e-3);
    const x = f32([50, 0, -50, 0, 0, 50, 0, -50]);
    const logits = clf.net.predict(x, 4, new Float32Array(4));
    const out = new Uint8Array(5).fill(7);
    clf.predict(x, 4, out);
    expect([...out]).toEqual([...[...logits].map((z) => (z > 0 ? 1 : 0)), 7]);
    expect(new Set(out.subarray(0, 4)).size).toBe(2);
    clf.setParams(clf.getParams().map((p) => ({ ...p, data: new Float32Array(p.data.length) })));
    clf.predict(x, 4, out);
    expect([...out]).toEqual([0, 0, 0, 0, 7]);
  });

  it('a training step returns the batch cross-entropy before the step and lowers it', () => {
    const clf = new TerminationClassifier(2, [4], 1, 1e-2);
    const x = f32([1, 0, -1, 0, 0, 3, 0, -3]), y = Uint8Array.from([1, 0, 1, 0]);
    const before = bceWithLogits(clf.net.predict(x, 4, new Float32Array(4)), y, 4, null);
    expect(clf.trainStep(x, y, 4)).toBeCloseTo(before, 6);
    const after = bceWithLogits(clf.net.predict(x, 4, new Float32Array(4)), y, 4, null);
    expect(after).toBeLessThan(before);
  });

  it("fit returns the last pass's mean cross-entropy over every row, batches of any size", () => {
    // A learning rate too small to move the weights: every pass's mean is the loss of the initial weights.
    const clf = new TerminationClassifier(2, [4], 2, 1e-12);
    const n = 7, x = new Float32Array(2 * n), y = new Uint8Array(n);
    for (let i = 0; i < n; i++) { x[2 * i] = i - 3; x[2 * i + 1] = (i % 3) - 1; y[i] = i % 2; }
    const initial = bceWithLogits(clf.net.predict(x, n, new Float32Array(n)), y, n, null);
    expect(clf.fit(x, y, n, 2, 3, new Rng(0))).toBeCloseTo(initial, 6);
    expect(Number.isNaN(clf.fit(x, y, n, 0, 3, new Rng(0)))).toBe(true);
    // Batches that divide the rows evenly: no empty batch at the end.
    expect(clf.fit(x.subarray(0, 12), y.subarray(0, 6), 6, 1, 3, new Rng(0))).toBeCloseTo(bceWithLogits(clf.net.predict(x.subarray(0, 12), 6, new Float32Array(6)), y.subarray(0, 6), 6, null), 6);
    // Each pass shuffles (Fisher-Yates: n - 1 draws), so the batches, and what a real step learns, depend on the rng.
    const rng = new Rng(4), replica = new Rng(4);
    clf.fit(x, y, n, 1, 3, rng);
    for (let i = n - 1; i > 0; i--) replica.int(i + 1);
    expect(rng.float()).toBe(replica.float());
    const twin = (seed: number): number => new TerminationClassifier(2, [4], 2, 0.5).fit(x, y, n, 1, 2, new Rng(seed));
    expect(twin(0)).not.toBe(twin(1));
    // With a real learning rate the mean falls over passes.
    const learner = new TerminationClassifier(2, [4], 2, 3e-2);
    const first = learner.fit(x, y, n, 1, 3, new Rng(0));
    expect(learner.fit(x, y, n, 30, 3, new Rng(0))).toBeLessThan(first);
  });
});
