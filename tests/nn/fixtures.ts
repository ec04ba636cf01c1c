/**
 * A test-only `Net`: the linear map y = x W + b with W [in, out] (tfjs's layout) then b [out], laid flat in
 * `params`. Small enough to check optimisers and losses by hand, and it counts the calls an optimiser must make.
 */
import { Rng } from '../../core/rng.js';
import { IncompatibleState } from '../../nn/errors.js';
import type { NamedArray, Net, NetSpec, ParamShape } from '../../nn/types.js';

export class LinearNet implements Net {
  readonly spec: Readonly<NetSpec>;
  readonly engine = 'plain' as const;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** How often `paramsChanged()` and `zeroGrad()` were called. */
  changed = 0;
  zeroed = 0;
  private lastX = new Float32Array(0);
  private lastN = 0;

  constructor(readonly inputSize: number, readonly outputSize: number, init?: ArrayLike<number>) {
    this.spec = { input: inputSize, layers: [{ kind: 'dense', units: outputSize }], seed: 0 };
    this.params = new Float32Array(inputSize * outputSize + outputSize);
    this.grads = new Float32Array(this.params.length);
    if (init) this.params.set(init);
  }

  paramShapes(): readonly ParamShape[] {
    const k = this.inputSize * this.outputSize;
    return [
      { name: '0/dense/kernel', shape: [this.inputSize, this.outputSize], offset: 0, size: k },
      { name: '0/dense/bias', shape: [this.outputSize], offset: k, size: this.outputSize },
    ];
  }

  predict(x: Float32Array, n: number, out: Float32Array = new Float32Array(n * this.outputSize)): Float32Array {
    const { inputSize: a, outputSize: b, params: p } = this;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < b; j++) {
        let s = p[a * b + j]!;
        for (let i = 0; i < a; i++) s += x[r * a + i]! * p[i * b + j]!;
        out[r * b + j] = s;
      }
    }
    return out;
  }

  forward(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.lastX = x.slice(0, n * this.inputSize);
    this.lastN = n;
    return this.predict(x, n, out);
  }

  backward(dOut: Float32Array, n: number, dIn?: Float32Array): Float32Array | undefined {
    if (n !== this.lastN) throw new Error(`backward over ${n} rows after a forward over ${this.lastN}`);
    const { inputSize: a, outputSize: b, params: p, grads: g, lastX: x } = this;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < b; j++) {
        const d = dOut[r * b + j]!;
        g[a * b + j] = g[a * b + j]! + d;
        for (let i = 0; i < a; i++) g[i * b + j] = g[i * b + j]! + x[r * a + i]! * d;
      }
      if (dIn) {
        for (let i = 0; i < a; i++) {
          let s = 0;
          for (let j = 0; j < b; j++) s += dOut[r * b + j]! * p[i * b + j]!;
          dIn[r * a + i] = s;
        }
      }
    }
    return dIn;
  }

  zeroGrad(): void {
    this.zeroed++;
    this.grads.fill(0);
  }

  paramsChanged(): void {
    this.changed++;
  }

  clone(): Net {
    return new LinearNet(this.inputSize, this.outputSize, this.params);
  }

  polyakFrom(src: Net, tau: number): void {
    for (let i = 0; i < this.params.length; i++) this.params[i] = this.params[i]! + tau * (src.params[i]! - this.params[i]!);
  }

  getParams(): NamedArray[] {
    return this.paramShapes().map((s) => ({ name: s.name, shape: [...s.shape], data: this.params.slice(s.offset, s.offset + s.size) }));
  }

  setParams(params: readonly NamedArray[]): void {
    for (const s of this.paramShapes()) {
      const a = params.find((q) => q.name === s.name);
      if (!a || a.data.length !== s.size) throw new IncompatibleState(s.name, `Expected tensor '${s.name}', got none.`);
      this.params.set(a.data, s.offset);
    }
  }

  dispose(): void {}
}

/** A LinearNet whose flat params are `values`: 1 input and `values.length / 2` outputs (W then b). */
export function vectorNet(values: readonly number[]): LinearNet {
  const out = values.length / 2;
  if (!Number.isInteger(out)) throw new Error('vectorNet needs an even number of values');
  return new LinearNet(1, out, values);
}

/**
 * Central finite difference of f at x[i], dividing by the step actually stored (Float32Array rounds x +- h).
 * f must read x afresh on each call; x[i] is restored afterwards.
 */
export function numericGrad(f: () => number, x: Float32Array, i: number, h = 1e-3): number {
  const x0 = x[i]!;
  x[i] = x0 + h;
  const hi = x[i]!;
  const fPlus = f();
  x[i] = x0 - h;
  const lo = x[i]!;
  const fMinus = f();
  x[i] = x0;
  return (fPlus - fMinus) / (hi - lo);
}

/** n floats uniform in [lo, hi) from a seeded Rng. */
export function randomArray(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return new Float32Array(n).map(() => rng.uniform(lo, hi));
}
