/**
 * Learned termination: a small MLP classifier p(terminated | s, a, s') trained with the binary cross-entropy on
 * logits, for envs whose termination rule is not supplied as a function. Inputs arrive standardised by the owning
 * dynamics model (its x columns, then the predicted change of state).
 *
 *   loss = mean_i [softplus(z_i) - y_i z_i]   (= -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z)))
 *   dloss/dz_i = (sigmoid(z_i) - y_i) / n
 */
import type { Rng } from '../../core/rng.js';
import { createNet } from '../../nn/net.js';
import { adam } from '../../nn/optimizers.js';
import type { NamedArray, Net, Optimizer } from '../../nn/types.js';

/** log(1 + e^z) in nats; z itself above 30 and e^z below -30 (relative error under 1e-13), where e^z overflows or log1p adds nothing. */
export function softplus(z: number): number {
  return z > 30 ? z : z < -30 ? Math.exp(z) : Math.log1p(Math.exp(z));
}

/** Binary cross-entropy of n logits z against labels y (0/1), mean over rows in nats; dLoss/dz into dz when given. */
export function bceWithLogits(z: Float32Array, y: Uint8Array, n: number, dz: Float32Array | null): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const zi = z[i]!, yi = y[i]!;
    loss += softplus(zi) - yi * zi;
    if (dz) dz[i] = (1 / (1 + Math.exp(-zi)) - yi) / n;
  }
  return loss / n;
}

/** A logistic MLP over `inDim` standardised features: one logit per row; terminated when the logit is > 0. */
export class TerminationClassifier {
  readonly net: Net;
  readonly optimizer: Optimizer;
  private dz = new Float32Array(0);
  private logits = new Float32Array(0);

  /** `hidden` relu widths; weights seeded by `seed`; Adam with `learningRate`. */
  constructor(readonly inDim: number, hidden: readonly number[], seed: number, learningRate: number) {
    const layers = [...hidden.map((units) => ({ kind: 'dense' as const, units, activation: 'relu' as const })), { kind: 'dense' as const, units: 1 }];
    this.net = createNet({ input: inDim, layers, seed }, { engine: 'plain' });
    this.optimizer = adam([this.net], { learningRate });
  }

  /** One Adam step on n rows of x (n x inDim) and labels y; returns the batch's cross-entropy (nats). */
  trainStep(x: Float32Array, y: Uint8Array, n: number): number {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: growing the scratch more often reallocates it and changes no value.
    if (this.dz.length < n) this.dz = new Float32Array(n);
    const z = this.net.forward(x, n);
    const dz = this.dz.subarray(0, n);
    const loss = bceWithLogits(z, y, n, dz);
    this.net.backward(dz, n);
    this.optimizer.step();
    return loss;
  }

  /** Trains `epochs` passes over n rows in shuffled batches of `batchSize` (order from `rng`); returns the last pass's mean loss. */
  fit(x: Float32Array, y: Uint8Array, n: number, epochs: number, batchSize: number, rng: Rng): number {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const bx = new Float32Array(batchSize * this.inDim);
    const by = new Uint8Array(batchSize);
    let last = NaN;
    for (let e = 0; e < epochs; e++) {
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = order[i]!; order[i] = order[j]!; order[j] = t;
      }
      let sum = 0;
      for (let start = 0; start < n; start += batchSize) {
        const m = Math.min(batchSize, n - start);
        for (let r = 0; r < m; r++) {
          const i = order[start + r]!;
          bx.set(x.subarray(i * this.inDim, (i + 1) * this.inDim), r * this.inDim);
          by[r] = y[i]!;
        }
        sum += this.trainStep(bx.subarray(0, m * this.inDim), by.subarray(0, m), m) * m;
      }
      last = sum / n;
    }
    return last;
  }

  /** Terminated flags (logit > 0) of n rows of x into out. */
  predict(x: Float32Array, n: number, out: Uint8Array): Uint8Array {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: growing the scratch more often reallocates it and changes no value.
    if (this.logits.length < n) this.logits = new Float32Array(n);
    const z = this.net.predict(x, n, this.logits.subarray(0, n));
    for (let i = 0; i < n; i++) out[i] = z[i]! > 0 ? 1 : 0;
    return out;
  }

  getParams(): NamedArray[] {
    return this.net.getParams();
  }
  setParams(params: readonly NamedArray[]): void {
    this.net.setParams(params);
  }
}
