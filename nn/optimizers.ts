/**
 * Optimisers over the flat parameters of one or more networks: Adam and RMSProp with tfjs's update rules
 * (tf.train.adam, tf.train.rmsprop without momentum or centering) and SGD with torch's momentum and Nesterov.
 * `step()` clips the global gradient norm over all the optimiser's networks as torch's clip_grad_norm_ does,
 * updates `params` in place, calls `paramsChanged()` and zeroes the gradients. A step allocates nothing.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { NamedArray, Net, Optimizer } from './types.js';
import { IncompatibleState } from './errors.js';

/** Options shared by every optimiser. */
export interface CommonOptions {
  /** Step size (> 0 at construction; the field stays writable for schedules, >= 0). */
  learningRate: number;
  /** Clip the global gradient norm over all networks to this (torch's clip_grad_norm_); null or absent: no clipping. */
  maxGradNorm?: number | null;
}

/** Adam (Kingma and Ba) with bias correction, as tf.train.adam and torch.optim.Adam. */
export interface AdamOptions extends CommonOptions {
  /** Decay of the first moment; default 0.9. */
  beta1?: number;
  /** Decay of the second moment; default 0.999. */
  beta2?: number;
  /** Added to sqrt(v-hat) in the denominator; default 1e-8. */
  eps?: number;
}

/** RMSProp as tf.train.rmsprop without momentum or centering: ms = decay ms + (1 - decay) g^2; p -= lr g / sqrt(ms + eps). */
export interface RmspropOptions extends CommonOptions {
  /** Decay of the mean square; default 0.9. */
  decay?: number;
  /** Added to ms under the square root (tfjs's placement); default 1e-7. */
  eps?: number;
}

/** SGD with optional heavy-ball or Nesterov momentum, as torch.optim.SGD with dampening 0. */
export interface SgdOptions extends CommonOptions {
  /** Momentum factor in [0, 1); default 0 (plain SGD, no slot). */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0); default false. */
  nesterov?: boolean;
}

/** torch's clip_grad_norm_ adds this to the norm before dividing. */
const CLIP_EPS = 1e-6;

/** The L2 norm of all the networks' gradients taken together (one flat vector). */
export function globalGradNorm(nets: readonly Net[]): number {
  let sum = 0;
  for (let k = 0; k < nets.length; k++) {
    const g = nets[k]!.grads;
    for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  }
  return Math.sqrt(sum);
}

/** The factor clip_grad_norm_ multiplies gradients by: max / (norm + 1e-6) when below 1, else 1. */
function clipScale(norm: number, max: number | null): number {
  return max === null ? 1 : Math.min(1, max / (norm + CLIP_EPS));
}

/**
 * torch's clip_grad_norm_ over several networks: scales every gradient in place by max / (norm + 1e-6) when that
 * is below 1. Returns the global norm before clipping.
 */
export function clipGradNorm(nets: readonly Net[], max: number): number {
  checkNets(nets);
  checkPositive(max, 'max');
  const norm = globalGradNorm(nets);
  const s = clipScale(norm, max);
  // Stryker disable next-line ConditionalExpression: scaling by 1 changes nothing; the test only saves a pass
  if (s !== 1) {
    for (let k = 0; k < nets.length; k++) {
      const g = nets[k]!.grads;
      // Stryker disable next-line EqualityOperator: one past a typed array's end reads undefined and writes nothing, so <= length equals < length
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * s;
    }
  }
  return norm;
}

/** Adam over the networks' parameters; slots `<net>/m` and `<net>/v`. */
export function adam(nets: readonly Net[], opts: AdamOptions): Optimizer {
  const o = checkCommon(nets, opts);
  const beta1 = fraction(opts.beta1, 0.9, 'beta1');
  const beta2 = fraction(opts.beta2, 0.999, 'beta2');
  const eps = positive(opts.eps, 1e-8, 'eps');
  return new FlatOptimizer('adam', nets, o.learningRate, o.maxGradNorm, ['m', 'v'], (p, g, slots, lr, scale, t) => {
    const m = slots[0]!;
    const v = slots[1]!;
    // p -= lr (m / bc1) / (sqrt(v / bc2) + eps), with the per-step constants hoisted out of the loop (tfjs's form).
    const stepSize = lr / (1 - Math.pow(beta1, t));
    const invBc2 = 1 / (1 - Math.pow(beta2, t));
    // Stryker disable next-line EqualityOperator: one past a typed array's end reads undefined and writes nothing, so <= length equals < length
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! * scale;
      const mi = beta1 * m[i]! + (1 - beta1) * gi;
      const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi * invBc2) + eps);
    }
  });
}

/** RMSProp over the networks' parameters (tfjs's rule, no momentum, not centred); slot `<net>/ms`. */
export function rmsprop(nets: readonly Net[], opts: RmspropOptions): Optimizer {
  const o = checkCommon(nets, opts);
  const decay = fraction(opts.decay, 0.9, 'decay');
  const eps = positive(opts.eps, 1e-7, 'eps');
  return new FlatOptimizer('rmsprop', nets, o.learningRate, o.maxGradNorm, ['ms'], (p, g, slots, lr, scale) => {
    const ms = slots[0]!;
    // Stryker disable next-line EqualityOperator: one past a typed array's end reads undefined and writes nothing, so <= length equals < length
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! * scale;
      const si = decay * ms[i]! + (1 - decay) * gi * gi;
      ms[i] = si;
      p[i] = p[i]! - (lr * gi) / Math.sqrt(si + eps);
    }
  });
}

/** SGD over the networks' parameters; with momentum, slot `<net>/momentum` (torch's momentum_buffer). */
export function sgd(nets: readonly Net[], opts: SgdOptions): Optimizer {
  const o = checkCommon(nets, opts);
  const momentum = fraction(opts.momentum, 0, 'momentum');
  const nesterov = opts.nesterov ?? false;
  if (typeof nesterov !== 'boolean') throw new InvalidConfig(`Expected nesterov to be a boolean, got ${describeValue(nesterov)}.`);
  if (nesterov && momentum === 0) {
    throw new InvalidConfig('Expected momentum > 0 with nesterov: true, got momentum 0. Set a momentum or drop nesterov.');
  }
  if (momentum === 0) {
    return new FlatOptimizer('sgd', nets, o.learningRate, o.maxGradNorm, [], (p, g, _slots, lr, scale) => {
      // Stryker disable next-line EqualityOperator: one past a typed array's end reads undefined and writes nothing, so <= length equals < length
      for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * g[i]! * scale;
    });
  }
  return new FlatOptimizer('sgd', nets, o.learningRate, o.maxGradNorm, ['momentum'], (p, g, slots, lr, scale) => {
    const buf = slots[0]!;
    // Stryker disable next-line EqualityOperator: one past a typed array's end reads undefined and writes nothing, so <= length equals < length
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! * scale;
      // torch: buf = momentum buf + g (the first step's buf is g, the same as from a zero buffer).
      const b = momentum * buf[i]! + gi;
      buf[i] = b;
      p[i] = p[i]! - lr * (nesterov ? gi + momentum * b : b);
    }
  });
}

/** One network's update: params, grads, its slot arrays, the learning rate, the clip factor and the step (from 1). */
type Update = (p: Float32Array, g: Float32Array, slots: readonly Float32Array[], lr: number, scale: number, t: number) => void;

/** The loop shared by all three optimisers: clip, update each net, notify, zero, count. */
class FlatOptimizer implements Optimizer {
  private lr: number;
  private t = 0;
  /** slots[net][slot], each params.length long. */
  private readonly slots: Float32Array[][];
  /** A copy of the caller's array, so that later pushes to it change nothing. */
  private readonly nets: readonly Net[];

  constructor(
    readonly kind: Optimizer['kind'],
    nets: readonly Net[],
    learningRate: number,
    private readonly maxGradNorm: number | null,
    private readonly slotNames: readonly string[],
    private readonly update: Update,
  ) {
    this.lr = learningRate;
    this.nets = [...nets];
    this.slots = this.nets.map((n) => slotNames.map(() => new Float32Array(n.params.length)));
  }

  get learningRate(): number {
    return this.lr;
  }

  set learningRate(value: number) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new InvalidConfig(`Expected learningRate to be a finite number >= 0, got ${describeValue(value)}.`);
    }
    this.lr = value;
  }

  get steps(): number {
    return this.t;
  }

  step(): number {
    const nets = this.nets;
    const norm = globalGradNorm(nets);
    const scale = clipScale(norm, this.maxGradNorm);
    this.t++;
    for (let k = 0; k < nets.length; k++) {
      const net = nets[k]!;
      this.update(net.params, net.grads, this.slots[k]!, this.lr, scale, this.t);
      net.paramsChanged();
      net.zeroGrad();
    }
    return norm;
  }

  getState(): { steps: number; slots: NamedArray[] } {
    const slots: NamedArray[] = [];
    this.slots.forEach((perNet, k) => {
      perNet.forEach((data, s) => slots.push({ name: `${k}/${this.slotNames[s]!}`, shape: [data.length], data: data.slice() }));
    });
    return { steps: this.t, slots };
  }

  setState(state: { steps: number; slots: readonly NamedArray[] }): void {
    if (!state || !Array.isArray(state.slots)) {
      throw new IncompatibleState('(state)', `Expected an optimiser state { steps, slots }, got ${describeValue(state)}.`);
    }
    if (!(Number.isSafeInteger(state.steps) && state.steps >= 0)) {
      throw new IncompatibleState('steps', `Expected steps to be an integer >= 0, got ${describeValue(state.steps)}.`);
    }
    const byName = new Map(state.slots.map((a) => [a.name, a]));
    const expected = new Set<string>();
    // Check everything before writing anything, so a bad state leaves the optimiser as it was.
    const found: Float32Array[][] = this.slots.map((perNet, k) =>
      perNet.map((data, s) => {
        const name = `${k}/${this.slotNames[s]!}`;
        expected.add(name);
        const a = byName.get(name);
        const okShape = a !== undefined && Array.isArray(a.shape) && a.shape.length === 1 && a.shape[0] === data.length;
        if (!a || !okShape || !(a.data instanceof Float32Array) || a.data.length !== data.length) {
          const got = a ? `shape ${describeValue(a.shape)} with ${describeValue(a.data?.length)} values` : 'none';
          throw new IncompatibleState(name, `Expected ${this.kind} slot '${name}' of shape [${data.length}], got ${got}.`);
        }
        return a.data;
      }),
    );
    for (const a of state.slots) {
      if (!expected.has(a.name)) {
        const want = expected.size > 0 ? [...expected].join(', ') : 'none';
        throw new IncompatibleState(a.name, `Expected only ${this.kind} slots ${want}, got '${a.name}' too.`);
      }
    }
    found.forEach((perNet, k) => perNet.forEach((data, s) => this.slots[k]![s]!.set(data)));
    this.t = state.steps;
  }
}

function checkNets(nets: readonly Net[]): void {
  if (!Array.isArray(nets) || nets.length === 0) {
    throw new InvalidConfig(`Expected a non-empty array of networks, got ${describeValue(nets)}.`);
  }
  nets.forEach((n, k) => {
    if (!n || !(n.params instanceof Float32Array) || !(n.grads instanceof Float32Array) || n.params.length !== n.grads.length) {
      throw new InvalidConfig(`Expected nets[${k}] to be a Net with params and grads of equal length, got ${describeValue(n)}.`);
    }
    // The same network twice would be updated twice per step.
    if (nets.indexOf(n) !== k) throw new InvalidConfig(`Expected distinct networks, got nets[${nets.indexOf(n)}] again at nets[${k}].`);
  });
}

function checkPositive(value: unknown, what: string): number {
  if (!(Number.isFinite(value) && (value as number) > 0)) {
    throw new InvalidConfig(`Expected ${what} to be a finite number > 0, got ${describeValue(value)}.`);
  }
  return value as number;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  return value === undefined ? fallback : checkPositive(value, what);
}

function fraction(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && value >= 0 && value < 1)) {
    throw new InvalidConfig(`Expected ${what} to be a number in [0, 1), got ${describeValue(value)}.`);
  }
  return value;
}

function checkCommon(nets: readonly Net[], opts: CommonOptions): { learningRate: number; maxGradNorm: number | null } {
  checkNets(nets);
  if (!opts || typeof opts !== 'object') throw new InvalidConfig(`Expected an options object, got ${describeValue(opts)}.`);
  const learningRate = checkPositive(opts.learningRate, 'learningRate');
  const max = opts.maxGradNorm ?? null;
  return { learningRate, maxGradNorm: max === null ? null : checkPositive(max, 'maxGradNorm') };
}
