import { beforeAll, describe, expect, it } from 'vitest';
import '../../envs/builtin.js';
import type { Env } from '../../core/env.js';
import { InvalidConfig, InvalidObservation } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { make } from '../../envs/registry.js';
import { checkEnv } from '../../envs/checker.js';
import { Vae } from '../../models/vae.js';
import { worldStepOut } from '../../models/world/contract.js';
import { FrameEncoder, LatentObservation } from '../../models/world/latent.js';
import { collectPixelEpisodes, latentTransitions, type LatentTransitions, type PixelEpisodes } from '../../models/world/latent-data.js';
import { LatentDynamics } from '../../models/world/latent-dynamics.js';
import { LatentDreamEnv, dreamFrames, frameScene } from '../../models/world/latent-dream.js';
import { dreamEnv } from '../../models/world/dream-env.js';
import { PixelObservation } from '../../render/pixel-observation.js';

const LATENT = 8;
const DIM = 28 * 28;

function pixelCartPole(): PixelObservation<unknown, number> {
  return new PixelObservation(make('CartPole-v1') as Env<unknown, number>, { width: 28, height: 28, grayscale: true });
}

async function collect(steps: number, seed: number): Promise<PixelEpisodes> {
  const env = pixelCartPole();
  try {
    return await collectPixelEpisodes(env, steps, { seed, rng: new Rng(seed) });
  } finally {
    env.close();
  }
}

/** Mean over n frames and pixels of the squared difference between a and b. */
function pixelMse(a: Float32Array, b: Float32Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n * DIM; k++) s += (a[k]! - b[k]!) ** 2;
  return s / (n * DIM);
}

let train: PixelEpisodes, test: PixelEpisodes, encoder: FrameEncoder, trainRows: LatentTransitions, testRows: LatentTransitions, model: LatentDynamics;

beforeAll(async () => {
  // Random-play CartPole at 28x28: train and held-out episodes from different reset seeds.
  train = await collect(2500, 1);
  test = await collect(500, 2);
  // Gray frames (the default pixels); beta 0.1 and a 3e-3 step: at beta 1 or with a few hundred steps the tiny cart and pole collapse into the mean frame.
  const vae = new Vae({ dim: DIM, latent: LATENT, hidden: [128], beta: 0.1, learningRate: 3e-3, seed: 0 });
  await vae.fit(train.frames, train.frameCount, { epochs: 20 });
  encoder = new FrameEncoder(vae);
  trainRows = latentTransitions(encoder, train);
  testRows = latentTransitions(encoder, test);
  model = new LatentDynamics({ latent: LATENT, action: { kind: 'discrete', n: 2, start: 0 }, members: 3, elites: 2, hidden: [64, 64], seed: 0 });
  model.observeStarts(trainRows.starts, trainRows.startCount);
  await model.fit(trainRows.rows);
}, 900_000);

describe('FrameEncoder (a Bernoulli VAE on 28x28 gray CartPole frames)', () => {
  it('round-trips held-out frames: the decoded latent mean reconstructs them with < 1/2 the squared error of the mean training frame', () => {
    const n = test.frameCount;
    const mean = new Float32Array(DIM);
    for (let i = 0; i < train.frameCount; i++) for (let p = 0; p < DIM; p++) mean[p] += train.frames[i * DIM + p]! / train.frameCount;
    const meanFrames = new Float32Array(n * DIM);
    for (let i = 0; i < n; i++) meanFrames.set(mean, i * DIM);
    const recon = encoder.decode(encoder.encode(test.frames, n), n);
    const err = pixelMse(recon, test.frames, n), base = pixelMse(meanFrames, test.frames, n);
    expect(err).toBeLessThan(0.5 * base);
  });

  it("toPixels gives ink intensity 1 - luminance / 255 ('gray') or 1 below the threshold ('binary'); a frame of the wrong size is an InvalidObservation", () => {
    const frame = new Uint8Array(DIM).fill(255);
    frame[3] = 239;
    frame[4] = 240;
    frame[5] = 0;
    const g = encoder.toPixels(frame);
    expect([g[3], g[4], g[5], g[6]].map((v) => Number(v!.toFixed(4)))).toEqual([Number((16 / 255).toFixed(4)), Number((15 / 255).toFixed(4)), 1, 0]);
    const b = new FrameEncoder(encoder.vae, { pixels: 'binary', threshold: 240 }).toPixels(frame);
    expect([b[3], b[4], b[5], b[6]]).toEqual([1, 0, 1, 0]);
    expect(() => encoder.toPixels(new Uint8Array(10))).toThrow(InvalidObservation);
    expect(() => new FrameEncoder(encoder.vae, { pixels: 'color' as 'gray' })).toThrow(InvalidConfig);
    expect(() => new FrameEncoder(new Vae({ dim: DIM, likelihood: 'gaussian' }))).toThrow(InvalidConfig);
  });
});

describe('LatentObservation', () => {
  it('observes [z_{t-1}, z_t, onehot(a_{t-1})]: both frames the reset frame and no action at reset, then the previous frame, the current one and the action just taken', () => {
    const env = new LatentObservation(pixelCartPole(), encoder);
    const frames = pixelCartPole(); // the same episode's frames, encoded here for comparison
    expect(env.observationSpace.shape).toEqual([2 * LATENT + 2]);
    expect(Array.from(env.observationSpace.low.slice(2 * LATENT))).toEqual([0, 0]);
    expect(Array.from(env.observationSpace.high.slice(2 * LATENT))).toEqual([1, 1]);
    const z = (f: Uint8Array) => Array.from(encoder.encodeFrame(f, new Float32Array(LATENT)));
    const o0 = env.reset({ seed: 3 }).obs;
    const z0 = z(frames.reset({ seed: 3 }).obs);
    expect(Array.from(o0.subarray(0, LATENT))).toEqual(z0);
    expect(Array.from(o0.subarray(LATENT, 2 * LATENT))).toEqual(z0);
    expect(Array.from(o0.subarray(2 * LATENT))).toEqual([0, 0]);
    let prev = z0;
    for (const a of [0, 1, 1, 0, 0]) {
      const o = env.step(a).obs, cur = z(frames.step(a).obs);
      expect(Array.from(o.subarray(0, LATENT))).toEqual(prev);
      expect(Array.from(o.subarray(LATENT, 2 * LATENT))).toEqual(cur);
      expect(Array.from(o.subarray(2 * LATENT))).toEqual(a === 0 ? [1, 0] : [0, 1]);
      prev = cur;
    }
    env.close();
    frames.close();
    expect(() => new LatentObservation(make('CartPole-v1') as unknown as Env<Uint8Array, number>, encoder)).toThrow(InvalidConfig);
    const pendulum = new PixelObservation(make('Pendulum-v1') as Env<unknown, Float32Array>, { width: 28, height: 28, grayscale: true });
    expect(() => new LatentObservation(pendulum, encoder)).toThrow(InvalidConfig);
    pendulum.close();
  });
});

describe('latentTransitions', () => {
  it("rows carry the previous action's one-hot (zeros where an episode starts) and the next state's is the action taken; within an episode a row's next state is the next row's state", () => {
    const { rows, starts, startCount } = trainRows;
    const d = 2 * LATENT + 2, f = 2 * LATENT;
    const hot = (a: number) => (a === 0 ? [1, 0] : [0, 1]);
    let episodeStarts = 0;
    for (let i = 0; i < rows.n; i++) {
      const startsEpisode = train.prev[i] === train.cur[i];
      if (startsEpisode) episodeStarts++;
      expect(Array.from(rows.states.subarray(i * d + f, (i + 1) * d))).toEqual(startsEpisode ? [0, 0] : hot(train.actions[i - 1]!));
      expect(Array.from(rows.nextStates.subarray(i * d + f, (i + 1) * d))).toEqual(hot(train.actions[i]!));
      if (i + 1 < rows.n && train.cur[i + 1] === train.next[i]) {
        expect(Array.from(rows.states.subarray((i + 1) * d, (i + 2) * d))).toEqual(Array.from(rows.nextStates.subarray(i * d, (i + 1) * d)));
      }
    }
    expect(episodeStarts).toBeGreaterThan(10);
    expect(starts.length).toBe(startCount * d);
    for (let k = 0; k < startCount; k++) expect(Array.from(starts.subarray(k * d + f, (k + 1) * d))).toEqual([0, 0]);
  });
});

describe('LatentDynamics (the ensemble over stacked latents)', () => {
  it('learns: held-out one-step error of z_{t+1} below 1/2 of the constant baseline z_{t+1} = z_t', () => {
    const { states, actions, nextStates, n } = testRows.rows;
    const d = model.stateDim;
    expect(d).toBe(2 * LATENT + 2);
    const p = model.predictMean(states, actions as Float32Array, n);
    let se = 0, sc = 0;
    for (let i = 0; i < n; i++) {
      for (let j = LATENT; j < 2 * LATENT; j++) {
        se += (p.nextStates[i * d + j]! - nextStates[i * d + j]!) ** 2;
        sc += (states[i * d + j]! - nextStates[i * d + j]!) ** 2;
      }
    }
    expect(se).toBeLessThan(0.5 * sc);
  });

  it("copies the known parts: a sampled next state starts with the current latent and ends with the taken action's one-hot, exactly", () => {
    const { states, actions } = testRows.rows;
    const n = 50, d = 2 * LATENT + 2, rng = new Rng(4);
    const taken = actions as Float32Array, flipped = taken.map((a) => 1 - a);
    for (const acts of [taken, flipped]) {
      const out = model.step(states, acts, n, model.startRollouts(n, rng), rng, worldStepOut(n, d));
      const mean = model.predictMean(states, acts, n).nextStates;
      for (let i = 0; i < n; i++) {
        for (const next of [out.nextStates, mean]) {
          expect(Array.from(next.subarray(i * d, i * d + LATENT))).toEqual(Array.from(states.subarray(i * d + LATENT, i * d + 2 * LATENT)));
          expect(Array.from(next.subarray(i * d + 2 * LATENT, (i + 1) * d))).toEqual(acts[i] === 0 ? [1, 0] : [0, 1]);
        }
      }
    }
  });
});

describe('LatentDreamEnv', () => {
  it('passes the env checker (scene included: the decoded current frame)', () => {
    const report = checkEnv(new LatentDreamEnv(model, { maxEpisodeSteps: 50, encoder }), { steps: 120 });
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message}`)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("the general dreamEnv over the latent model, with LatentObservation's spaces and time limit, passes the env checker too", () => {
    const real = new LatentObservation(pixelCartPole(), encoder);
    const report = checkEnv(dreamEnv(model, { env: real, sceneEnv: null }), { steps: 120 });
    real.close();
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message}`)).toEqual([]);
  });

  it('truncates after maxEpisodeSteps, starts from the observed reset latents, and refuses a step before reset', () => {
    const never = new LatentDynamics({ latent: 1, action: { kind: 'discrete', n: 2, start: 0 }, termination: 'never', members: 1, elites: 1, hidden: [4], seed: 0 });
    const env = new LatentDreamEnv(never, { maxEpisodeSteps: 3 });
    expect(() => env.step(0)).toThrow(InvalidConfig);
    const n = 40, rows = { n, states: new Float32Array(4 * n), actions: new Float32Array(n), rewards: new Float32Array(n).fill(1), nextStates: new Float32Array(4 * n), terminated: new Uint8Array(n) };
    return never.fit(rows, { maxEpochs: 1 }).then(() => {
      never.observeStarts([0.5, 0.5, 0, 0], 1);
      expect(Array.from(env.reset({ seed: 0 }).obs)).toEqual([0.5, 0.5, 0, 0]);
      const flags = [env.step(0), env.step(1), env.step(0)].map((r) => r.truncated);
      expect(flags).toEqual([false, false, true]);
      expect(() => env.step(0)).toThrow(InvalidConfig);
    });
  });

  it('starts from the given real states (uniformly drawn) instead of the reset latents, and refuses malformed starts', () => {
    const d = 2 * LATENT + 2, n = 5;
    const starts = testRows.rows.states.slice(0, n * d);
    const env = new LatentDreamEnv(model, { maxEpisodeSteps: 5, starts: { states: starts, n } });
    const seen = new Set<number>();
    for (let e = 0; e < 60; e++) {
      const obs = env.reset({ seed: e }).obs;
      const k = [...Array(n).keys()].find((i) => Array.from(starts.subarray(i * d, (i + 1) * d)).every((v, j) => v === obs[j]));
      expect(k).toBeDefined();
      seen.add(k!);
    }
    expect(seen.size).toBe(n);
    expect(() => new LatentDreamEnv(model, { starts: { states: starts, n: n + 1 } })).toThrow(InvalidConfig);
    expect(() => new LatentDreamEnv(model, { starts: { states: starts, n: 0 } })).toThrow(InvalidConfig);
  });

  it('dreamFrames decodes one frame per imagined state, start included; frameScene draws ink as gray squares', () => {
    const { frames, count } = dreamFrames(model, encoder, testRows.rows.states.slice(0, model.stateDim), [0, 1, 0, 1], 0);
    expect(count).toBeGreaterThanOrEqual(2);
    expect(frames.length).toBe(count * DIM);
    const px = new Float32Array(4);
    px[1] = 1;
    const s = frameScene(px, 2, 2);
    expect(s.shapes).toEqual([{ type: 'rect', x: 1.5, y: 1.5, width: 1, height: 1, fill: '#000000' }]);
  });

  it('refuses a world model of continuous actions or an encoder of another latent size', () => {
    const cont = new LatentDynamics({ latent: 2, action: { kind: 'continuous', dim: 1 }, termination: 'never' });
    expect(() => new LatentDreamEnv(cont)).toThrow(InvalidConfig);
    expect(() => new LatentDreamEnv(new LatentDynamics({ latent: 3, action: { kind: 'discrete', n: 2, start: 0 } }), { encoder })).toThrow(InvalidConfig);
  });
});
