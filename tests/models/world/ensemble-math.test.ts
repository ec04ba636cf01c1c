// EnsembleDynamics's propagation on a tiny fitted ensemble, against its members' own raw outputs: 'fixed-member' and
// 'random-member' starts, a step's sample from each row's member, the elites' mean prediction and disagreement, and the
// refusal of short rows. `npm run mutate` runs this file against models/world/dynamics.ts.
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../core/errors.js';
import { Rng } from '../../../core/rng.js';
import { boundedLogStd } from '../../../models/bayes/heteroscedastic.js';
import { worldStepOut } from '../../../models/world/contract.js';
import { EnsembleDynamics } from '../../../models/world/dynamics.js';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

/** A tiny ensemble (3 members, 2 elites) fitted for a few epochs on 40 rows of a made-up 2-d linear system. */
async function tinyEnsemble(propagation: 'random-member' | 'fixed-member' = 'random-member', termination: 'never' | 'learned' = 'never', aw = 1): Promise<EnsembleDynamics> {
  const model = new EnsembleDynamics({ stateDim: 2, action: { kind: 'continuous', dim: aw }, members: 3, elites: 2, hidden: [8], maxEpochs: 3, batchSize: 16, propagation, termination, seed: 3 });
  const n = 40, rng = new Rng(1);
  const data = { n, states: new Float32Array(2 * n), actions: new Float32Array(aw * n), rewards: new Float32Array(n), nextStates: new Float32Array(2 * n), terminated: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const [a, b, u] = [rng.uniform(-1, 1), rng.uniform(-2, 2), rng.uniform(-1, 1)];
    data.states.set([a, b], 2 * i);
    data.actions.fill(u, aw * i, aw * (i + 1));
    data.nextStates.set([a + 0.1 * b, b + u], 2 * i);
    data.rewards[i] = -a * a;
    data.terminated[i] = a > 0.8 ? 1 : 0;
  }
  await model.fit(data);
  return model;
}

/** Member k's raw outputs on the model's own standardised inputs of n rows. */
function rawOf(model: EnsembleDynamics, k: number, states: Float32Array, actions: Float32Array, n: number): Float32Array {
  const s = model.standardisation!;
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) x.set([states[2 * i]!, states[2 * i + 1]!, actions[i]!].map((v, j) => (v - s.xMean[j]!) / s.xStd[j]!), 3 * i);
  return model.members[k]!.predictRaw(x, n, null).slice();
}

describe('EnsembleDynamics propagation and disagreement', () => {
  const states = f32([0.5, -1, -0.2, 0.3, 0.9, 1.5, 0, 0]), actions = f32([0.5, -1, 0.2, 0]);

  it("'fixed-member' draws one elite per rollout; 'random-member' leaves every row -1 and draws nothing", async () => {
    const fixed = await tinyEnsemble('fixed-member');
    const e = fixed.elites;
    expect(e).toHaveLength(2);
    const fixedRng = new Rng(8);
    const got = fixed.startRollouts(6, fixedRng);
    const replica = new Rng(8);
    expect([...got]).toEqual(Array.from({ length: 6 }, () => e[replica.int(2)]));
    expect(fixedRng.float()).toBe(replica.float());
    expect(new Set(got).size).toBe(2);
    const random = await tinyEnsemble('random-member');
    const rng = new Rng(8);
    expect([...random.startRollouts(4, rng)]).toEqual([-1, -1, -1, -1]);
    expect(rng.float()).toBe(new Rng(8).float());
  });

  it('a step samples each row from its member: fixed rows from theirs, -1 rows from an elite drawn per row, then the normals member by member', async () => {
    const model = await tinyEnsemble();
    const s = model.standardisation!, c = model.config, e = model.elites;
    const members = Int32Array.from([2, -1, 0, -1]);
    const out = worldStepOut(4, 2);
    model.step(states, actions, 4, members, new Rng(11), out);
    const replica = new Rng(11);
    const chosen = [...members].map((m) => (m >= 0 ? m : e[replica.int(e.length)]!));
    const expected = worldStepOut(4, 2);
    for (let k = 0; k < 3; k++) {
      const rows = chosen.map((m, i) => (m === k ? i : -1)).filter((i) => i >= 0);
      const raw = rawOf(model, k, states, actions, 4);
      for (const i of rows) {
        for (let j = 0; j < 3; j++) {
          const z = raw[i * 6 + j]! + Math.exp(boundedLogStd(raw[i * 6 + 3 + j]!, c.minLogStd, c.maxLogStd)) * replica.normal();
          const v = z * s.yStd[j]! + s.yMean[j]!;
          if (j < 2) expected.nextStates[i * 2 + j] = states[i * 2 + j]! + v;
          else expected.rewards[i] = v;
        }
      }
    }
    for (let q = 0; q < 8; q++) expect(out.nextStates[q]).toBeCloseTo(expected.nextStates[q]!, 4);
    for (let i = 0; i < 4; i++) expect(out.rewards[i]).toBeCloseTo(expected.rewards[i]!, 4);
    expect([...out.terminated]).toEqual([0, 0, 0, 0]);
  });

  it("predictMean is the elites' mean change added to the state and their mean reward; disagreement their variance over state columns", async () => {
    const model = await tinyEnsemble();
    const s = model.standardisation!, e = model.elites;
    const mus = e.map((k) => {
      const raw = rawOf(model, k, states, actions, 4);
      return Array.from({ length: 4 * 3 }, (_, q) => raw[Math.floor(q / 3) * 6 + (q % 3)]! * s.yStd[q % 3]! + s.yMean[q % 3]!);
    });
    const mean = mus[0]!.map((_, q) => mus.reduce((a, m) => a + m[q]!, 0) / e.length);
    const { nextStates, rewards } = model.predictMean(states, actions, 4);
    const bonus = model.disagreement(states, actions, 4);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) expect(nextStates[2 * i + j]).toBeCloseTo(states[2 * i + j]! + mean[3 * i + j]!, 4);
      expect(rewards[i]).toBeCloseTo(mean[3 * i + 2]!, 4);
      const v = [0, 1].reduce((a, j) => a + mus.reduce((b, m) => b + (m[3 * i + j]! - mean[3 * i + j]!) ** 2, 0) / e.length, 0);
      expect(bonus[i]).toBeCloseTo(v, 5);
    }
    expect(Math.max(...bonus)).toBeGreaterThan(1e-6);
    // A batch of one row first, then of four: the scratch grows to fit.
    const fresh = await tinyEnsemble();
    fresh.predictMean(states.subarray(0, 2), actions.subarray(0, 1), 1);
    fresh.step(states.subarray(0, 2), actions.subarray(0, 1), 1, Int32Array.from([0]), new Rng(0), worldStepOut(1, 2));
    expect([...fresh.predictMean(states, actions, 4).nextStates]).toEqual([...nextStates]);
    const a = worldStepOut(4, 2), b = worldStepOut(4, 2);
    fresh.step(states, actions, 4, Int32Array.from([0, 1, 2, 0]), new Rng(5), a);
    model.step(states, actions, 4, Int32Array.from([0, 1, 2, 0]), new Rng(5), b);
    expect([...a.nextStates]).toEqual([...b.nextStates]);
  });

  it('refuses fewer state or action floats than n rows need, naming both counts', async () => {
    const model = await tinyEnsemble();
    const out = worldStepOut(4, 2);
    expect(() => model.step(states.subarray(0, 7), actions, 4, new Int32Array(4), new Rng(0), out)).toThrow('Expected 4 rows of 2 state and 1 action floats, got 7 and 4 values.');
    expect(() => model.disagreement(states, actions.subarray(0, 3), 4)).toThrow(InvalidConfig);
    expect(() => model.predictMean(states, actions.subarray(0, 3), 4)).toThrow('got 8 and 3 values.');
    expect(model.predictMean(states.subarray(0, 6), actions.subarray(0, 3), 3).rewards).toHaveLength(3);
    // Two action columns: 4 rows need 8 action floats.
    const wide = await tinyEnsemble('random-member', 'never', 2);
    expect(() => wide.predictMean(states, new Float32Array(7), 4)).toThrow('Expected 4 rows of 2 state and 2 action floats, got 8 and 7 values.');
    expect(wide.predictMean(states, new Float32Array(8), 4).rewards).toHaveLength(4);
  });
});
