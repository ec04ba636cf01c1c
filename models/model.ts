/**
 * What every model of the zoo offers (generative and Bayesian), so that benches, tests and later the agents
 * (world models, uncertainty for exploration) use them alike. Data are row-major Float32Arrays: n rows of `dim`.
 */
import type { Rng } from '../core/rng.js';

/** Options of `fit`. */
export interface FitOptions {
  /** Passes over the data. */
  epochs?: number;
  /** Rows per gradient step. */
  batchSize?: number;
  /** Called after each epoch with its mean training loss (the model's own objective, e.g. -ELBO in nats). */
  onEpoch?: (e: { epoch: number; loss: number }) => void;
  /** Aborting stops after the current step; `fit` resolves with what it did. */
  signal?: AbortSignal;
}

/** What `fit` did. */
export interface FitReport {
  epochs: number;
  steps: number;
  seconds: number;
  /** Mean training loss of each epoch, in the model's units (nats for likelihood models). */
  losses: number[];
}

/** A model that learns a distribution over rows of `dim` floats. */
export interface GenerativeModel {
  /** The model's kind, e.g. 'vae', 'gan', 'realnvp', 'made', 'pixelcnn', 'rbm'. */
  readonly kind: string;
  /** Floats per row. */
  readonly dim: number;
  /** One line naming the engine that runs it (as agents print it). */
  readonly engine: string;
  /** Trains on `n` rows of `data` (n x dim); throws a typed error naming the expected shape on bad data (NaN included). */
  fit(data: Float32Array, n: number, options?: FitOptions): Promise<FitReport>;
  /** `n` samples (n x dim) from the model's seeded generator; throws before `fit` (or `load`). */
  sample(n: number, out?: Float32Array): Float32Array;
  /** log p(x) in nats per row (exact, or the model's bound where it has no exact one), into `out` (n values). */
  logProb?(x: Float32Array, n: number, out?: Float32Array): Float32Array;
  /** Writes the model (config, networks, optimiser and rng states) as a crash-safe checkpoint folder. */
  save(dir: string): Promise<void>;
}

/** Predictive mean and variance, the variance split into what more data would reduce and what it would not. */
export interface Prediction {
  /** n x outDim predictive means. */
  mean: Float32Array;
  /** n x outDim epistemic variances (disagreement between members or dropout masks). */
  epistemic: Float32Array;
  /** n x outDim aleatoric variances (the predicted noise, averaged over members or masks). */
  aleatoric: Float32Array;
}

/** A regression model that knows what it does not know: implemented by deep ensembles and MC dropout. */
export interface UncertainPredictor {
  readonly inDim: number;
  readonly outDim: number;
  fit(x: Float32Array, y: Float32Array, n: number, options?: FitOptions): Promise<FitReport>;
  /** Predictions for n rows of x (n x inDim). */
  predict(x: Float32Array, n: number): Prediction;
  /** log p(y | x) of the predictive distribution for n rows of x (n x inDim) and y (n x outDim): n values, nats per row. */
  logProb(x: Float32Array, y: Float32Array, n: number): Float64Array;
  /** One draw of y from the predictive distribution per row of x (n x inDim): n x outDim values. */
  sample(x: Float32Array, n: number, rng?: Rng): Float32Array;
  save(dir: string): Promise<void>;
}
