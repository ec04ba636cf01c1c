/**
 * Figures of the Bayesian models and the RBM, as functions that bench/models.ts calls per seed, and a `main` of
 * their own: `npm run bench -- models-bayes calibration [ensemble|dropout] [seeds]` and
 * `npm run bench -- models-bayes rbm [seeds]` print one line per seed and the mean ± spread (sample std).
 *
 * Calibration data: the heteroscedastic cubic (models/data.ts), y = x^3 + N(0, s(x)^2), s(x) = 0.3 + 0.75 |x|,
 * 1000 training rows with x uniform in [-4, 4]; 1000 fresh held-out rows from the same range (another stream).
 */
import { Rng } from '../core/rng.js';
import { heteroscedastic } from '../models/data.js';
import { correlation, epistemicRatio, intervalCoverage, meanAndSpread } from '../models/metrics.js';
import { DeepEnsemble, type EnsembleConfig } from '../models/bayes/ensemble.js';
import { McDropout, type McDropoutConfig } from '../models/bayes/mc-dropout.js';
import type { UncertainPredictor } from '../models/model.js';
import { Rbm, type RbmConfig } from '../models/rbm.js';
import { binaryFrames } from '../render/frames.js';

/** The two UncertainPredictors of the zoo. */
export type CalibrationKind = 'ensemble' | 'dropout';

/** What `calibrationResult` measured for one seed. */
export interface CalibrationResult {
  /** Fraction of held-out rows (x in [-4, 4]) inside the 90% predictive interval mean ± 1.645 sqrt(epistemic + aleatoric). */
  coverage90: number;
  /** Mean epistemic std over |x| in [5, 6] divided by that over |x| < 3 (a grid of 241 points on [-6, 6]). */
  epistemicRatio: number;
  /** Pearson correlation of the predicted aleatoric std with the true noise std s(x) on the held-out rows. */
  aleatoricCorrelation: number;
  /** Wall time of `fit`, seconds. */
  seconds: number;
}

/** Training rows of the calibration task. */
export const CALIBRATION_TRAIN = 1000;
/** Held-out rows. */
export const CALIBRATION_TEST = 1000;

/** A fresh model of `kind` with the zoo's defaults (and `overrides`), seeded with `seed`. */
export function calibrationModel(kind: CalibrationKind, seed: number, overrides: Partial<EnsembleConfig & McDropoutConfig> = {}): UncertainPredictor & { engine: string } {
  return kind === 'ensemble' ? new DeepEnsemble({ ...overrides, inDim: 1, outDim: 1, seed }) : new McDropout({ ...overrides, inDim: 1, outDim: 1, seed });
}

/**
 * Fits a `kind` model (seed `seed`) on the calibration task drawn from seed `seed` and measures coverage90,
 * epistemicRatio, aleatoricCorrelation and the fit's seconds. `overrides` changes the model's config (tuning).
 */
export async function calibrationResult(kind: CalibrationKind, seed: number, overrides: Partial<EnsembleConfig & McDropoutConfig> = {}): Promise<CalibrationResult> {
  const train = heteroscedastic(CALIBRATION_TRAIN, new Rng(seed));
  const test = heteroscedastic(CALIBRATION_TEST, new Rng(1_000_003 + seed));
  const model = calibrationModel(kind, seed, overrides);
  const report = await model.fit(train.x, train.y, train.n);
  const p = model.predict(test.x, test.n);
  const total = p.mean.map((_, i) => p.epistemic[i]! + p.aleatoric[i]!);
  const grid = Float32Array.from({ length: 241 }, (_, i) => -6 + i * 0.05);
  const g = model.predict(grid, grid.length);
  return {
    coverage90: intervalCoverage(p.mean, total, test.y, 0.9),
    epistemicRatio: epistemicRatio(grid, g.epistemic),
    aleatoricCorrelation: correlation(p.aleatoric.map(Math.sqrt), test.noiseStd),
    seconds: report.seconds,
  };
}

/** What `rbmResult` measured for one seed. */
export interface RbmResult {
  /** Mean reconstruction error (squared error per frame, summed over pixels) during the first and the last epoch. */
  reconstructionFirst: number;
  reconstructionLast: number;
  /** Mean log-likelihood of the held-out frames, nats per frame (AIS estimate of log Z unless the model is small enough for exact). */
  logLikelihood: number;
  /** The log Z estimate and how it was obtained. */
  logZ: number;
  logZMethod: 'exact' | 'ais';
  /** Wall time of `fit`, seconds. */
  seconds: number;
}

/**
 * Fits an RBM (seed `seed`, `config` over the defaults) on `train` (nTrain binary frames of `dim` pixels) and
 * measures its reconstruction error in the first and last epochs and the held-out log-likelihood on `test`.
 */
export async function rbmResult(
  train: Float32Array, nTrain: number, test: Float32Array, nTest: number, dim: number, seed: number,
  config: Partial<RbmConfig> = {}, fit: { epochs?: number; batchSize?: number } = {},
): Promise<RbmResult> {
  const rbm = new Rbm({ ...config, visible: dim, seed });
  const report = await rbm.fit(train, nTrain, fit);
  const z = rbm.logPartition();
  const lp = rbm.logProb(test, nTest);
  return {
    reconstructionFirst: report.losses[0]!,
    reconstructionLast: report.losses[report.losses.length - 1]!,
    logLikelihood: lp.reduce((s, v) => s + v, 0) / nTest,
    logZ: z.logZ,
    logZMethod: z.method,
    seconds: report.seconds,
  };
}

/** The env whose frames the RBM figures use (Acrobot: the most varied of the built-ins at 28x28), and the epochs. */
export const RBM_FRAMES_ENV = 'Acrobot-v1';
export const RBM_EPOCHS = 20;

/** 2000 binary 28x28 frames of random Acrobot play (every 2nd step), the first 1600 for training, the last 400 held out. */
export async function rbmFrames(): Promise<{ train: Float32Array; test: Float32Array; nTrain: number; nTest: number }> {
  const frames = await binaryFrames(RBM_FRAMES_ENV, 2000, { seed: 0, stride: 2 });
  return { train: frames.subarray(0, 1600 * 784), test: frames.subarray(1600 * 784), nTrain: 1600, nTest: 400 };
}

function line(name: string, values: number[], digits = 3): string {
  const s = meanAndSpread(values);
  return `${name}: ${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)} (min ${Math.min(...values).toFixed(digits)}, max ${Math.max(...values).toFixed(digits)})`;
}

function parseSeeds(arg: string | undefined): number[] {
  const k = arg === undefined ? 5 : Number(arg);
  return Array.from({ length: k }, (_, i) => i);
}

/** `calibration [ensemble|dropout] [seeds] [json overrides]` or `rbm [seeds]`: per-seed lines, then mean ± spread. */
export async function main(args: string[]): Promise<void> {
  const [what = 'calibration', ...rest] = args;
  if (what === 'calibration') {
    const kinds: CalibrationKind[] = rest[0] === 'ensemble' || rest[0] === 'dropout' ? [rest[0]] : ['ensemble', 'dropout'];
    const seeds = parseSeeds(rest[1]);
    const overrides = rest[2] ? (JSON.parse(rest[2]) as Partial<EnsembleConfig & McDropoutConfig>) : {};
    for (const kind of kinds) {
      console.log(`calibration.${kind} on ${calibrationModel(kind, 0, overrides).engine}${rest[2] ? ` with ${rest[2]}` : ''}`);
      const rs: CalibrationResult[] = [];
      for (const seed of seeds) {
        const r = await calibrationResult(kind, seed, overrides);
        rs.push(r);
        console.log(`  seed ${seed}: coverage90 ${r.coverage90.toFixed(3)}, epistemicRatio ${r.epistemicRatio.toFixed(2)}, aleatoricCorrelation ${r.aleatoricCorrelation.toFixed(3)}, ${r.seconds.toFixed(1)} s`);
      }
      console.log(`  ${line(`calibration.${kind}.coverage90`, rs.map((r) => r.coverage90))}`);
      console.log(`  ${line(`calibration.${kind}.epistemicRatio`, rs.map((r) => r.epistemicRatio), 2)}`);
      console.log(`  ${line(`calibration.${kind}.aleatoricCorrelation`, rs.map((r) => r.aleatoricCorrelation))}`);
      console.log(`  ${line(`calibration.${kind}.seconds`, rs.map((r) => r.seconds), 1)}`);
    }
    return;
  }
  if (what === 'rbm') {
    const seeds = parseSeeds(rest[0]);
    const { train, test, nTrain, nTest } = await rbmFrames();
    console.log(`rbm on ${new Rbm({ visible: 784 }).engine}: ${nTrain} training and ${nTest} held-out ${RBM_FRAMES_ENV} frames (28x28 binary), ${RBM_EPOCHS} epochs`);
    const rs: RbmResult[] = [];
    for (const seed of seeds) {
      const r = await rbmResult(train, nTrain, test, nTest, 784, seed, {}, { epochs: RBM_EPOCHS });
      rs.push(r);
      console.log(`  seed ${seed}: reconstruction ${r.reconstructionFirst.toFixed(2)} -> ${r.reconstructionLast.toFixed(2)}, logLikelihood ${r.logLikelihood.toFixed(2)} nats (log Z ${r.logZ.toFixed(2)}, ${r.logZMethod}), ${r.seconds.toFixed(1)} s`);
    }
    console.log(`  ${line('rbm.reconstruction.first', rs.map((r) => r.reconstructionFirst), 2)}`);
    console.log(`  ${line('rbm.reconstruction.last', rs.map((r) => r.reconstructionLast), 2)}`);
    console.log(`  ${line('rbm.logLikelihood', rs.map((r) => r.logLikelihood), 2)}`);
    console.log(`  ${line('rbm.seconds', rs.map((r) => r.seconds), 1)}`);
    return;
  }
  console.error(`Expected 'calibration' or 'rbm', got ${JSON.stringify(what)}.`);
  process.exitCode = 2;
}
