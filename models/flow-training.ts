/**
 * RealNVP's training helpers (flow.ts): the per-batch scratch buffers that let a step allocate nothing, and the
 * Polyak average of the parameters.
 */

/** Per-coupling scratch of one training batch. */
export interface Tape {
  /** The coupling's input rows (B x D). */
  xin: Float32Array;
  /** The MLP's raw output rows (B x outputs): affine, raw log-scales then shifts; spline, its raw parameters. */
  raw: Float32Array;
}

/** Buffers of one training batch of up to `rows` rows, kept between steps so that a step allocates nothing. */
export interface Scratch {
  rows: number;
  tapes: Tape[];
  z: Float32Array;
  logDet: Float64Array;
  masked: Float32Array;
  dOut: Float32Array;
  dIn: Float32Array;
}

/** Training buffers for batches of `rows` rows of `dim` floats through `couplings` couplings of `outputs` MLP outputs. */
export function createScratch(rows: number, dim: number, couplings: number, outputs: number): Scratch {
  const tapes: Tape[] = [];
  for (let k = 0; k < couplings; k++) tapes.push({ xin: new Float32Array(rows * dim), raw: new Float32Array(rows * outputs) });
  return {
    rows, tapes, z: new Float32Array(rows * dim), logDet: new Float64Array(rows), masked: new Float32Array(rows * dim),
    dOut: new Float32Array(rows * outputs), dIn: new Float32Array(rows * dim),
  };
}

/** avg <- decay avg + (1 - decay) params, elementwise (one step of an exponential moving average). */
export function moveAverage(avg: Float32Array, params: Float32Array, decay: number): void {
  // Stryker disable next-line EqualityOperator: i <= length only adds a write past a typed array's end, which is dropped
  for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! + (1 - decay) * (params[i]! - avg[i]!);
}
