/**
 * The moving normalisation RealNVP may put before every coupling (its mixer first): z = (x - m) / s per dimension,
 * m and s exponential moving averages of the training batches' mean and std at that point (set from the first
 * batch, as Glow's ActNorm is). Unlike batch normalisation (RealNVP's section 3.7), a row's output never depends on
 * the other rows of its batch, so training and evaluation run the same map and the 0.02-std ring modes see no
 * batch noise; m and s are statistics, not parameters, so gradients treat them as constants.
 * log |det dz/dx| = -sum_d log s_d for every row.
 */

/** Per-layer running statistics: `mean` and `std` hold layers x D values; `seen` whether a batch has set them. */
export interface MovingNorm {
  mean: Float64Array;
  std: Float64Array;
  seen: boolean[];
}

/** Statistics of `layers` identity normalisations (mean 0, std 1) over rows of D floats. */
export function createMovingNorm(layers: number, D: number): MovingNorm {
  return { mean: new Float64Array(layers * D), std: new Float64Array(layers * D).fill(1), seen: new Array<boolean>(layers).fill(false) };
}

/**
 * Moves layer k's statistics towards the mean and std of n rows of z (n x D): avg <- decay avg + (1 - decay) batch,
 * or the batch's own on the layer's first batch. A std is floored at 1e-6.
 */
export function updateMovingNorm(norm: MovingNorm, k: number, z: Float32Array, n: number, D: number, decay: number): void {
  for (let d = 0; d < D; d++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += z[i * D + d]!;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (z[i * D + d]! - mean) ** 2;
    const std = Math.max(Math.sqrt(sq / n), 1e-6);
    const w = norm.seen[k] ? 1 - decay : 1;
    norm.mean[k * D + d] = norm.mean[k * D + d]! + w * (mean - norm.mean[k * D + d]!);
    norm.std[k * D + d] = norm.std[k * D + d]! + w * (std - norm.std[k * D + d]!);
  }
  norm.seen[k] = true;
}

/** z <- (z - m_k) / s_k in place on n rows of D; returns the log-determinant every row gains (nats). */
export function applyMovingNorm(norm: MovingNorm, k: number, z: Float32Array, n: number, D: number): number {
  let logDet = 0;
  for (let d = 0; d < D; d++) logDet -= Math.log(norm.std[k * D + d]!);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) z[i * D + d] = (z[i * D + d]! - norm.mean[k * D + d]!) / norm.std[k * D + d]!;
  }
  return logDet;
}

/** The inverse of `applyMovingNorm`: x <- x s_k + m_k in place on n rows of D. */
export function undoMovingNorm(norm: MovingNorm, k: number, x: Float32Array, n: number, D: number): void {
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) x[i * D + d] = x[i * D + d]! * norm.std[k * D + d]! + norm.mean[k * D + d]!;
  }
}

/** Backpropagates dLoss/dz through layer k (statistics held constant): dz <- dz / s_k in place on n rows of D. */
export function backMovingNorm(norm: MovingNorm, k: number, dz: Float32Array, n: number, D: number): void {
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) dz[i * D + d] = dz[i * D + d]! / norm.std[k * D + d]!;
}
