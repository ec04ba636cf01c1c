/**
 * rxgym's model zoo: the contract (`GenerativeModel`, `UncertainPredictor`), the data it is trained on, the metrics
 * it is judged by, and the models. Models are listed by name rather than `export *` because several files share
 * helper names (checkRows, shuffle) that are not part of the zoo's API.
 */
export * from './model.js';
export * from './data.js';
export * from './metrics.js';
export { Vae, loadVae, type VaeConfig, type VaeEvaluation } from './vae.js';
export { Gan, loadGan, type GanConfig } from './gan.js';
export { RealNVP, type RealNvpConfig } from './flow.js';
export { MADE, type MadeConfig } from './made.js';
export { PixelCNN, type PixelCnnConfig } from './pixelcnn.js';
export { Rbm, type RbmConfig, type LogPartition } from './rbm.js';
export * from './bayes/index.js';
export * from './world/index.js';
