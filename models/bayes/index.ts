/**
 * Bayesian regression models of the zoo: deep ensembles (bootstrap, randomised priors) and MC dropout, both
 * `UncertainPredictor`s that report epistemic and aleatoric variance apart, on a shared heteroscedastic
 * Gaussian-output MLP and loss.
 */
export { DeepEnsemble, ENSEMBLE_DEFAULTS, bootstrapMasks } from './ensemble.js';
export type { EnsembleConfig } from './ensemble.js';
export { McDropout, MC_DROPOUT_DEFAULTS, dropoutPrecision } from './mc-dropout.js';
export type { McDropoutConfig } from './mc-dropout.js';
export {
  DEFAULT_MAX_LOG_STD, DEFAULT_MIN_LOG_STD, GaussianMlp, MixtureAccumulator, boundedLogStd, boundedLogStdGrad, heteroscedasticLoss, lossScratch,
} from './heteroscedastic.js';
export type { DropoutMasks, GaussianMlpConfig, LossScratch } from './heteroscedastic.js';
export { prepareFit, scalingOf } from './fit-data.js';
export type { PreparedFit, Scaling } from './fit-data.js';
export { gaussianComponents, mixtureLogProb, mixtureSample, setComponentMeans, setComponentStds } from './predictive.js';
export type { GaussianComponents } from './predictive.js';
