/**
 * The invertible linear layer RealNVP may put between couplings (Glow's invertible 1x1 convolution on a vector):
 * z = x W + b for rows x of D floats, log |det dz/dx| = log |det W| for every row. W is a dense layer's kernel
 * ([in, out], as the plain engine stores it), initialised to a random rotation (Glow's choice: log-det 0, and the
 * alternating masks then split the data along new directions). Here: the matrix algebra it needs, in float64.
 */
import { InvalidConfig } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/** W's inverse (D x D row-major, into `inverse`) and log |det W| (nats), by Gauss-Jordan with partial pivoting. */
export function invertMatrix(w: ArrayLike<number>, D: number, inverse: Float64Array): number {
  const a = Float64Array.from({ length: D * D }, (_, i) => w[i]!);
  inverse.fill(0);
  for (let i = 0; i < D; i++) inverse[i * D + i] = 1;
  let logAbsDet = 0;
  for (let col = 0; col < D; col++) {
    let pivot = col;
    for (let r = col + 1; r < D; r++) if (Math.abs(a[r * D + col]!) > Math.abs(a[pivot * D + col]!)) pivot = r;
    const p = a[pivot * D + col]!;
    if (!(Math.abs(p) > 0) || !Number.isFinite(p)) {
      throw new InvalidConfig(`Expected an invertible ${D} x ${D} mixing matrix, got a singular one (pivot ${p} in column ${col}).`);
    }
    if (pivot !== col) {
      for (let j = 0; j < D; j++) {
        [a[col * D + j], a[pivot * D + j]] = [a[pivot * D + j]!, a[col * D + j]!];
        [inverse[col * D + j], inverse[pivot * D + j]] = [inverse[pivot * D + j]!, inverse[col * D + j]!];
      }
    }
    logAbsDet += Math.log(Math.abs(p));
    for (let j = 0; j < D; j++) {
      a[col * D + j] = a[col * D + j]! / p;
      inverse[col * D + j] = inverse[col * D + j]! / p;
    }
    for (let r = 0; r < D; r++) {
      if (r === col) continue;
      const f = a[r * D + col]!;
      if (f === 0) continue;
      for (let j = 0; j < D; j++) {
        a[r * D + j] = a[r * D + j]! - f * a[col * D + j]!;
        inverse[r * D + j] = inverse[r * D + j]! - f * inverse[col * D + j]!;
      }
    }
  }
  return logAbsDet;
}

/** A random D x D rotation (row-major, det +1): Gram-Schmidt on Gaussian draws from `rng`, one column sign-flipped if needed. */
export function randomRotation(D: number, rng: Rng): Float64Array {
  const q = new Float64Array(D * D);
  for (let attempt = 0; ; attempt++) {
    for (let i = 0; i < D * D; i++) q[i] = rng.normal();
    let ok = true;
    for (let r = 0; r < D && ok; r++) {
      for (let s = 0; s < r; s++) {
        let dot = 0;
        for (let j = 0; j < D; j++) dot += q[r * D + j]! * q[s * D + j]!;
        for (let j = 0; j < D; j++) q[r * D + j] = q[r * D + j]! - dot * q[s * D + j]!;
      }
      let norm = 0;
      for (let j = 0; j < D; j++) norm += q[r * D + j]! ** 2;
      norm = Math.sqrt(norm);
      // A nearly dependent draw is redrawn rather than normalised into noise (probability ~0).
      ok = norm > 1e-6;
      for (let j = 0; j < D; j++) q[r * D + j] = q[r * D + j]! / norm;
    }
    if (ok) break;
    if (attempt > 100) throw new InvalidConfig(`Expected to draw a ${D} x ${D} rotation, got dependent draws 100 times.`);
  }
  // Orthonormal rows have |det| = 1; flipping one column turns a reflection into a rotation.
  if (determinantSign(q, D) < 0) for (let r = 0; r < D; r++) q[r * D] = -q[r * D]!;
  return q;
}

/** The sign (+1 or -1) of det W for a nonsingular D x D row-major W (LU with partial pivoting). */
export function determinantSign(w: ArrayLike<number>, D: number): number {
  const a = Float64Array.from({ length: D * D }, (_, i) => w[i]!);
  let sign = 1;
  for (let col = 0; col < D; col++) {
    let pivot = col;
    for (let r = col + 1; r < D; r++) if (Math.abs(a[r * D + col]!) > Math.abs(a[pivot * D + col]!)) pivot = r;
    if (pivot !== col) {
      sign = -sign;
      for (let j = 0; j < D; j++) [a[col * D + j], a[pivot * D + j]] = [a[pivot * D + j]!, a[col * D + j]!];
    }
    const p = a[col * D + col]!;
    if (p < 0) sign = -sign;
    if (p === 0) return 0;
    for (let r = col + 1; r < D; r++) {
      const f = a[r * D + col]! / p;
      for (let j = col; j < D; j++) a[r * D + j] = a[r * D + j]! - f * a[col * D + j]!;
    }
  }
  return sign;
}

/**
 * Undoes z = x W + b in place on n rows of D floats: x = (z - b) W^-1, with `params` a dense layer's [W, b]
 * (W [in, out] at offset 0, b at D * D), `inverse` = W^-1 (D x D) and `row` D floats of scratch.
 */
export function undoLinear(z: Float32Array, n: number, D: number, params: Float32Array, inverse: Float64Array, row: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) row[d] = z[i * D + d]! - params[D * D + d]!;
    for (let j = 0; j < D; j++) {
      let v = 0;
      for (let d = 0; d < D; d++) v += row[d]! * inverse[d * D + j]!;
      z[i * D + j] = v;
    }
  }
}
