/**
 * The tfjs engine: the same network as the plain engine (same parameter names, layouts, initialisation and
 * optimiser rules, so states move between engines), written in raw tfjs ops on whatever backend is active,
 * plus what the plain engine lacks: a conv torso for pixel observations.
 *
 * Every tensor-making path runs inside `tf.tidy`; the only long-lived tensors are the parameter and optimiser
 * variables, released by `dispose()`. On wasm, dense layers use a matMul whose gradient transposes explicitly
 * (tfjs-wasm 4.22 runs matMul with transpose flags ~10x slower, and the stock gradient uses those flags).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidAction, InvalidConfig, InvalidObservation, describeValue } from '../../core/errors.js';
import type { NetworkState, QFunction, QNetworkConfig } from './q-network.js';
import { assertSameArchitecture, checkState, convTorso, initParams, optimizerEpsilon, optimizerSlots, paramSpecs, type ConvSpec } from './params.js';

const BETA1 = 0.9;
const BETA2 = 0.999;
const RMS_DECAY = 0.9;
/** torch's LayerNorm epsilon. */
const LN_EPS = 1e-5;

/** How dense layers multiply: tfjs's matMul, or one whose gradient transposes explicitly (fast on wasm). */
export type TfjsMatMul = NonNullable<QNetworkConfig['tfjsMatMul']>;

type MatMul = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

const stockMatMul: MatMul = (a, b) => tf.matMul(a, b);

/** matMul whose gradient is dA = dY transpose(B), dB = transpose(A) dY with explicit transposes. */
const transposedMatMul: MatMul = (() => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const a = args[0] as tf.Tensor2D;
    const b = args[1] as tf.Tensor2D;
    const save = args[2] as tf.GradSaveFunc;
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        return [tf.matMul(d, tf.transpose(sb)), tf.matMul(tf.transpose(sa), d)];
      },
    };
  });
  return (a: tf.Tensor2D, b: tf.Tensor2D) => f(a, b) as tf.Tensor2D;
})();

/**
 * 'valid' conv2d whose filter gradient is itself a conv2d (input and dy transposed, dilation = stride):
 * tfjs-wasm 4.22 registers no Conv2DBackpropFilter kernel, so the stock gradient cannot train there.
 * dFilter[kh, kw, c, f] = sum over b, i, j of x[b, i*s + kh, j*s + kw, c] dy[b, i, j, f].
 */
function makeConvValid(stride: number, inputGrad: boolean): (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor4D;
    const w = args[1] as tf.Tensor4D;
    const save = args[2] as tf.GradSaveFunc;
    save([x, w]);
    return {
      value: tf.conv2d(x, w, stride, 'valid'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        const d = dy as tf.Tensor4D;
        const [k, , c, f] = sw.shape;
        // The torso's first layer reads observations: its input gradient (conv2dTranspose, the slowest op of a
        // step on wasm) would be thrown away.
        const dx = inputGrad ? tf.conv2dTranspose(d, sw, sx.shape, stride, 'valid') : tf.zerosLike(sx);
        const g = tf.conv2d(tf.transpose(sx, [3, 1, 2, 0]), tf.transpose(d, [1, 2, 0, 3]), 1, 'valid', 'NHWC', stride);
        const dw = tf.transpose(tf.slice(g, [0, 0, 0, 0], [c, k, k, f]), [1, 2, 0, 3]);
        return [dx, dw];
      },
    };
  });
  return (x, w) => f(x, w) as tf.Tensor4D;
}

const convValidCache = new Map<string, (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D>();

/** A 'valid' conv2d with the gradient above; inputGrad false returns zeros for x (exported for the test). */
export function convValid(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, inputGrad = true): tf.Tensor4D {
  const key = `${stride}/${inputGrad}`;
  let f = convValidCache.get(key);
  if (!f) {
    f = makeConvValid(stride, inputGrad);
    convValidCache.set(key, f);
  }
  return f(x, w);
}

/** conv2d with 'same' or 'valid' padding through `convValid` ('same' pads explicitly, like TensorFlow). */
function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: 'valid' | 'same', inputGrad: boolean): tf.Tensor4D {
  if (padding === 'same') {
    const k = w.shape[0];
    const padFor = (n: number) => {
      const total = Math.max((Math.ceil(n / stride) - 1) * stride + k - n, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
    };
    x = tf.pad(x, [[0, 0], padFor(x.shape[1]), padFor(x.shape[2]), [0, 0]]);
  }
  return convValid(x, w, stride, inputGrad);
}

let nextId = 0;

/** The tfjs engine's QFunction. Build it through `qNetwork({ ..., engine: 'tfjs' })`. */
export class TfjsQ implements QFunction {
  readonly config: QNetworkConfig;
  readonly engine = 'tfjs' as const;
  /** 'stock' or 'transposed': the dense matMul actually in use. */
  readonly matMul: 'stock' | 'transposed';
  private readonly vars: tf.Variable[];
  /** Optimiser slots (Adam m, v or RMSProp ms), each one flat variable over all parameters in spec order. */
  private readonly slots: tf.Variable[];
  /** Element count of each parameter, for splitting flat vectors. */
  private readonly sizes: number[];
  private readonly mm: MatMul;
  private readonly convLayers: ConvSpec[];
  private readonly eps: number;
  private step = 0;
  private disposed = false;
  /** act()'s Q-values, reused. */
  private readonly actOut: Float32Array;

  constructor(config: QNetworkConfig, matMul: TfjsMatMul = config.tfjsMatMul ?? 'auto') {
    this.config = config;
    this.matMul = matMul === 'auto' ? (tf.getBackend() === 'wasm' ? 'transposed' : 'stock') : matMul;
    this.mm = this.matMul === 'transposed' ? transposedMatMul : stockMatMul;
    this.convLayers = config.conv ? convTorso(config.conv.inputShape).layers : [];
    this.eps = optimizerEpsilon(config);
    this.actOut = new Float32Array(config.numActions);
    const id = nextId++;
    const init = initParams(config);
    // tf.variable() copies its initial value, which tidy then releases.
    this.vars = init.map((p) => tf.tidy(() => tf.variable(tf.tensor(p.data, p.shape), true, `rxgym_q${id}/${p.name}`)));
    this.sizes = init.map((p) => p.data.length);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.slots = optimizerSlots(config).map((slot) => tf.tidy(() => tf.variable(tf.zeros([total]), false, `rxgym_q${id}/${slot}`)));
  }

  /** Q-values for a [batch, obsDim] input. Call inside tf.tidy. */
  private forward(x: tf.Tensor2D): tf.Tensor2D {
    const c = this.config;
    const batch = x.shape[0];
    let v = 0;
    let h: tf.Tensor2D = x;
    if (c.conv) {
      let img: tf.Tensor4D = tf.reshape(x, [batch, ...c.conv.inputShape]);
      for (const [i, l] of this.convLayers.entries()) {
        const z = conv2d(img, this.vars[v++] as tf.Tensor4D, l.stride, l.padding, i > 0);
        img = tf.relu(tf.add(z, this.vars[v++]!));
      }
      h = tf.reshape(img, [batch, -1]);
    }
    for (let i = 0; i < c.hidden.length; i++) {
      let z: tf.Tensor2D = tf.add(this.mm(h, this.vars[v++] as tf.Tensor2D), this.vars[v++]!);
      if (c.layerNorm) {
        const { mean, variance } = tf.moments(z, 1, true);
        z = tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, LN_EPS)));
      }
      h = c.activation === 'relu' ? tf.relu(z) : tf.tanh(z);
    }
    const out: tf.Tensor2D = tf.add(this.mm(h, this.vars[v++] as tf.Tensor2D), this.vars[v++]!);
    if (!c.dueling) return out;
    // Q = V + A - mean(A); column 0 is V.
    const value = tf.slice(out, [0, 0], [batch, 1]);
    const adv = tf.slice(out, [0, 1], [batch, c.numActions]);
    return tf.add(value, tf.sub(adv, tf.mean(adv, 1, true)));
  }

  private checkBatch(obs: Float32Array, batchSize: number): void {
    if (this.disposed) throw new InvalidConfig('Expected a live Q-network, got one that was disposed.');
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new InvalidConfig(`Expected batchSize to be a positive integer, got ${describeValue(batchSize)}.`);
    }
    if (!(obs instanceof Float32Array) || obs.length < batchSize * this.config.obsDim) {
      throw new InvalidObservation(
        `Expected obs to be a Float32Array of batchSize * obsDim = ${batchSize * this.config.obsDim} floats, got ${describeValue(obs)}.`,
      );
    }
  }

  private input(obs: Float32Array, batchSize: number): tf.Tensor2D {
    const n = batchSize * this.config.obsDim;
    return tf.tensor2d(obs.length === n ? obs : obs.subarray(0, n), [batchSize, this.config.obsDim]);
  }

  predict(obs: Float32Array, batchSize: number, out?: Float32Array): Float32Array {
    this.checkBatch(obs, batchSize);
    const n = batchSize * this.config.numActions;
    if (out && out.length < n) throw new InvalidConfig(`Expected out to hold batchSize * numActions = ${n} floats, got ${out.length}.`);
    const q = tf.tidy(() => this.forward(this.input(obs, batchSize)));
    try {
      const data = q.dataSync() as Float32Array;
      const res = out ?? new Float32Array(n);
      res.set(data.length === n ? data : data.subarray(0, n));
      return res;
    } finally {
      q.dispose();
    }
  }

  act(obs: Float32Array): number {
    const q = this.predict(obs, 1, this.actOut);
    let best = 0;
    for (let k = 1; k < q.length; k++) if (q[k]! > q[best]!) best = k;
    return best;
  }

  fit(
    obs: Float32Array, actions: Int32Array, targets: Float32Array, batchSize: number,
    options?: { weights?: Float32Array; tdErrorsOut?: Float32Array },
  ): number {
    this.checkBatch(obs, batchSize);
    const c = this.config;
    const na = c.numActions;
    if (actions.length < batchSize || targets.length < batchSize) {
      throw new InvalidConfig(`Expected actions and targets to hold batchSize = ${batchSize} values, got ${actions.length} and ${targets.length}.`);
    }
    const weights = options?.weights;
    const tdOut = options?.tdErrorsOut;
    if (weights && weights.length < batchSize) throw new InvalidConfig(`Expected weights to hold ${batchSize} values, got ${weights.length}.`);
    if (tdOut && tdOut.length < batchSize) throw new InvalidConfig(`Expected tdErrorsOut to hold ${batchSize} values, got ${tdOut.length}.`);
    // A fresh copy per call: on the cpu backend a tensor shares memory with the array it was built from.
    const mask = new Float32Array(batchSize * na);
    for (let r = 0; r < batchSize; r++) {
      const a = actions[r]!;
      if (!(a >= 0 && a < na)) throw new InvalidAction(`Expected actions[${r}] to be an integer in [0, ${na}), got ${a}.`);
      mask[r * na + a] = 1;
    }
    let td: tf.Tensor | null = null;
    const loss = tf.tidy(() => {
      const x = this.input(obs, batchSize);
      const t = tf.tensor1d(targets.slice(0, batchSize));
      const m = tf.tensor2d(mask, [batchSize, na]);
      const w = weights ? tf.tensor1d(weights.slice(0, batchSize)) : null;
      const { value, grads } = tf.variableGrads(() => {
        const qa = tf.sum(tf.mul(this.forward(x), m), 1);
        const d = tf.sub(qa, t);
        const ad = tf.abs(d);
        if (tdOut) td = tf.keep(ad);
        let l: tf.Tensor;
        if (c.loss === 'huber') {
          // smooth_l1 with delta 1: 0.5 min(|d|, 1)^2 + (|d| - min(|d|, 1)).
          const quad = tf.minimum(ad, 1);
          l = tf.add(tf.mul(tf.square(quad), 0.5), tf.sub(ad, quad));
        } else {
          l = tf.square(d);
        }
        return tf.mean(w ? tf.mul(l, w) : l) as tf.Scalar;
      }, this.vars);
      // One flat gradient: clipping and the optimiser then cost ~15 ops in all instead of ~15 per parameter,
      // which matters when each op costs ~6.5 us of dispatch (wasm).
      let g: tf.Tensor1D = tf.concat(this.vars.map((v) => tf.reshape(grads[v.name]!, [-1])));
      if (c.maxGradNorm !== null) {
        // torch's clip_grad_norm_: scale by min(1, max / (norm + 1e-6)).
        const norm = tf.sqrt(tf.sum(tf.square(g)));
        g = tf.mul(g, tf.minimum(tf.div(c.maxGradNorm, tf.add(norm, 1e-6)), 1));
      }
      this.applyOptimizer(g);
      return value;
    });
    try {
      const lossValue = loss.dataSync()[0]!;
      if (tdOut && td) tdOut.set((td as tf.Tensor).dataSync().subarray(0, batchSize));
      return lossValue;
    } finally {
      loss.dispose();
      if (td) (td as tf.Tensor).dispose();
    }
  }

  /** Adam or RMSProp with tfjs's update rules on the flat gradient, as assignments. Call inside tf.tidy. */
  private applyOptimizer(g: tf.Tensor1D): void {
    const lr = this.config.learningRate;
    const eps = this.eps;
    this.step++;
    let update: tf.Tensor1D;
    if (this.config.optimizer === 'adam') {
      const bc1 = 1 - Math.pow(BETA1, this.step);
      const bc2 = 1 - Math.pow(BETA2, this.step);
      const [m, v] = this.slots as [tf.Variable, tf.Variable];
      const newM = tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1));
      const newV = tf.add(tf.mul(v, BETA2), tf.mul(tf.square(g), 1 - BETA2));
      m.assign(newM);
      v.assign(newV);
      update = tf.div(tf.mul(newM, lr / bc1), tf.add(tf.sqrt(tf.div(newV, bc2)), eps));
    } else {
      const ms = this.slots[0]!;
      const newMs = tf.add(tf.mul(ms, RMS_DECAY), tf.mul(tf.square(g), 1 - RMS_DECAY));
      ms.assign(newMs);
      update = tf.div(tf.mul(g, lr), tf.sqrt(tf.add(newMs, eps)));
    }
    const parts = tf.split(update, this.sizes);
    this.vars.forEach((p, i) => p.assign(tf.sub(p, tf.reshape(parts[i]!, p.shape))));
  }

  updateFrom(source: QFunction, tau: number): void {
    assertSameArchitecture(this.config, source.config);
    if (!(tau > 0 && tau <= 1)) throw new InvalidConfig(`Expected tau in (0, 1], got ${describeValue(tau)}.`);
    if (source instanceof TfjsQ) {
      tf.tidy(() => {
        this.vars.forEach((v, i) => {
          const s = source.vars[i]!;
          v.assign(tau === 1 ? s : tf.add(v, tf.mul(tf.sub(s, v), tau)));
        });
      });
      return;
    }
    const params = source.getState().params;
    tf.tidy(() => {
      this.vars.forEach((v, i) => {
        const s = tf.tensor(params[i]!.data, v.shape);
        v.assign(tau === 1 ? s : tf.add(v, tf.mul(tf.sub(s, v), tau)));
      });
    });
  }

  clone(): QFunction {
    const c = new TfjsQ(this.config, this.matMul);
    c.updateFrom(this, 1);
    return c;
  }

  getState(): NetworkState {
    const specs = paramSpecs(this.config);
    // slice(): on the cpu backend dataSync() hands out the tensor's own storage.
    const read = (v: tf.Variable) => (v.dataSync() as Float32Array).slice();
    const params = specs.map((s, i) => ({ name: s.name, shape: [...s.shape], data: read(this.vars[i]!) }));
    const optimizer = optimizerSlots(this.config).flatMap((slot, k) => {
      const flat = this.slots[k]!.dataSync() as Float32Array;
      let off = 0;
      return specs.map((s, i) => {
        const data = flat.slice(off, off + this.sizes[i]!);
        off += this.sizes[i]!;
        return { name: `${s.name}/${slot}`, shape: [...s.shape], data };
      });
    });
    return { params, optimizer, step: this.step };
  }

  setState(state: NetworkState): void {
    const { params, slots, step } = checkState(this.config, state);
    tf.tidy(() => {
      this.vars.forEach((v, i) => v.assign(tf.tensor(params[i]!.slice(), v.shape)));
      this.slots.forEach((v, k) => {
        if (!slots) return v.assign(tf.zerosLike(v));
        const flat = new Float32Array(v.size);
        let off = 0;
        for (const a of slots[k]!) {
          flat.set(a, off);
          off += a.length;
        }
        v.assign(tf.tensor1d(flat));
      });
    });
    this.step = slots ? step : 0;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars) v.dispose();
    for (const v of this.slots) v.dispose();
  }
}

/** Builds a tfjs-engine Q-function on the current tfjs backend. */
export function createTfjsQ(config: QNetworkConfig): QFunction {
  return new TfjsQ(config);
}
