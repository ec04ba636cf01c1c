/**
 * A probabilistic ensemble of Gaussian MLPs as a world model (PETS, Chua et al. 2018; MBPO, Janner et al. 2019;
 * mbrl-lib's GaussianMLP and OneDTransitionRewardModel). Each member maps [state, action] (standardised; Discrete
 * actions one-hot) to a Gaussian over [next state - state, reward] (standardised) with a learned log-std softly
 * clamped into bounds, trained on the heteroscedastic NLL on its own bootstrap resample of the data. Every `fit`
 * refits the standardisation on all the data, holds out a validation split, trains until no member's held-out MSE
 * improved by 1% for `patience` epochs (keeping each member's best weights) and ranks the members on it: the best
 * `elites` propagate rollouts, by a random elite per row and step ('random-member', TS1) or one elite per rollout
 * ('fixed-member', TS-infinity). Termination is never, learned (a classifier), or a supplied function.
 *
 * The members are the Bayesian zoo's `GaussianMlp` (models/bayes), trained by its `trainLearners`; the training
 * loop (held-out split, bootstrap, early stopping, elites) is in dynamics-fit.ts.
 */
import { join } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../../core/errors.js';
import { IncompatibleState } from '../../nn/errors.js';
import type { JsonValue } from '../../core/env.js';
import { Rng, checkSeed, type RngState } from '../../core/rng.js';
import { STATE, readCheckpoint, writeCheckpoint, type LoadedCheckpoint } from '../../core/node/checkpoint/checkpoint.js';
import { DEFAULT_MAX_LOG_STD, DEFAULT_MIN_LOG_STD, GaussianMlp, plainEngineLine } from '../bayes/heteroscedastic.js';
import { checkPositiveInt, scalingOf, standardise, type Scaling } from '../bayes/fit-data.js';
import { actionFeatures, actionWidth, checkWorldAction, type Propagation, type TerminationFn, type WorldAction, type WorldModel, type WorldStepOut } from './contract.js';
import { checkRowsOf, fitMembers, type DynamicsFitReport, type TransitionRows } from './dynamics-fit.js';
import { addEliteMeans, deltaTargets, groupByMember, inputFeatures, sampleMemberRows, standardiseInPlace, stateDisagreement, terminationFeatures } from './dynamics-math.js';
import { TerminationClassifier } from './termination.js';

export type { DynamicsFitReport, TransitionRows } from './dynamics-fit.js';

/** Settings of `EnsembleDynamics`; every field but stateDim and action has a default. */
export interface DynamicsConfig {
  stateDim: number;
  action: WorldAction;
  /** Ensemble members; default 7 (mbrl-lib). */
  members: number;
  /** Members with the lowest held-out error that propagate rollouts; default 5. */
  elites: number;
  /** Hidden widths (relu); default [200, 200]. */
  hidden: number[];
  learningRate: number;
  /** L2 penalty on the kernels (per mean row loss); default 5e-5. */
  weightDecay: number;
  batchSize: number;
  /** Most epochs of one `fit`; default 100. */
  maxEpochs: number;
  /**
   * Fewest minibatch steps per member in one `fit` (epochs raised to reach it, early stopping held off until then);
   * default 0. An epoch on one episode is one minibatch, so epochs alone leave the first fits far from converged.
   */
  minSteps: number;
  /** A fit stops after this many epochs without a member's held-out MSE improving by 1%; default 5. */
  patience: number;
  /** Fraction of the rows held out to pick the best epoch and the elites; default 0.2. */
  holdout: number;
  /** At most this many held-out rows (MBPO caps at 5000); default 5000. */
  maxHoldout: number;
  propagation: Propagation;
  /** 'never' (e.g. Pendulum), 'learned' (a classifier), or 'function' (supplied to the constructor and `load`). */
  termination: 'never' | 'learned' | 'function';
  /** Start states kept (a reservoir of the observed ones) for the initial-state distribution; default 1000. */
  maxStarts: number;
  /** Soft bounds of the log-std in standardised target units. */
  minLogStd: number;
  maxLogStd: number;
  seed: number;
}

/** Defaults of `EnsembleDynamics` (mbrl-lib's MBPO settings where they exist; two hidden layers instead of four for speed). */
export const DYNAMICS_DEFAULTS: Omit<DynamicsConfig, 'stateDim' | 'action'> = {
  members: 7, elites: 5, hidden: [200, 200], learningRate: 1e-3, weightDecay: 5e-5, batchSize: 256, maxEpochs: 100, minSteps: 0, patience: 5, holdout: 0.2,
  maxHoldout: 5000, propagation: 'random-member', termination: 'never', maxStarts: 1000, minLogStd: DEFAULT_MIN_LOG_STD, maxLogStd: DEFAULT_MAX_LOG_STD, seed: 0,
};

/** Optional functions a model cannot save: the termination rule (termination 'function') and a known start distribution. */
export interface DynamicsFunctions {
  termination?: TerminationFn;
  /** Writes n start states (n x stateDim) into out; replaces the reservoir of observed starts. */
  initialStates?: (n: number, rng: Rng, out: Float32Array) => void;
}

/** A probabilistic ensemble of Gaussian MLPs predicting the change of state and the reward: a `WorldModel`. */
export class EnsembleDynamics implements WorldModel {
  readonly kind = 'ensemble';
  readonly config: Readonly<DynamicsConfig>;
  readonly engine = plainEngineLine();
  readonly members: GaussianMlp[];
  readonly inDim: number;
  readonly outDim: number;
  private readonly rngs: Rng[];
  private readonly rng: Rng;
  private scaling: Scaling | null = null;
  private eliteIdx: number[];
  private readonly classifier: TerminationClassifier | null;
  private readonly fns: DynamicsFunctions;
  private starts: Float32Array;
  private startCount = 0;
  private startsSeen = 0;
  private fits = 0;
  // Scratch of step() and disagreement(), grown on demand.
  private xn = new Float32Array(0);
  private order = new Int32Array(0);
  private chosen = new Int32Array(0);
  private gather = new Float32Array(0);
  private feat = new Float32Array(0);

  /** An untrained ensemble; `config` fills in `DYNAMICS_DEFAULTS`; `fns` supplies what termination 'function' needs. */
  constructor(config: Partial<DynamicsConfig> & { stateDim: number; action: WorldAction }, fns: DynamicsFunctions = {}) {
    const c: DynamicsConfig = { ...DYNAMICS_DEFAULTS, ...config, hidden: [...(config.hidden ?? DYNAMICS_DEFAULTS.hidden)] };
    checkPositiveInt(c.stateDim, 'stateDim');
    c.action = checkWorldAction(c.action);
    for (const k of ['members', 'elites', 'batchSize', 'maxEpochs', 'patience', 'maxHoldout', 'maxStarts'] as const) checkPositiveInt(c[k], k);
    c.hidden.forEach((h, i) => checkPositiveInt(h, `hidden[${i}]`));
    if (c.elites > c.members) throw new InvalidConfig(`Expected elites <= members (${c.members}), got ${c.elites}.`);
    if (!(c.holdout >= 0 && c.holdout < 1)) throw new InvalidConfig(`Expected holdout in [0, 1), got ${describeValue(c.holdout)}.`);
    if (c.propagation !== 'random-member' && c.propagation !== 'fixed-member') throw new InvalidConfig(`Expected propagation 'random-member' or 'fixed-member', got ${describeValue(c.propagation)}.`);
    if (!['never', 'learned', 'function'].includes(c.termination)) throw new InvalidConfig(`Expected termination 'never', 'learned' or 'function', got ${describeValue(c.termination)}.`);
    if (c.termination === 'function' && typeof fns.termination !== 'function') {
      throw new InvalidConfig("Expected a termination function (the second argument's `termination`) for termination 'function', got none.");
    }
    if (!(Number.isSafeInteger(c.minSteps) && c.minSteps >= 0)) throw new InvalidConfig(`Expected minSteps to be a non-negative integer, got ${describeValue(c.minSteps)}.`);
    if (!(Number.isFinite(c.weightDecay) && c.weightDecay >= 0)) throw new InvalidConfig(`Expected weightDecay >= 0, got ${describeValue(c.weightDecay)}.`);
    if (!(c.learningRate > 0)) throw new InvalidConfig(`Expected learningRate > 0, got ${describeValue(c.learningRate)}.`);
    checkSeed(c.seed);
    this.config = c;
    this.fns = fns;
    this.inDim = c.stateDim + actionFeatures(c.action);
    this.outDim = c.stateDim + 1;
    const root = new Rng(c.seed);
    this.members = [];
    this.rngs = [];
    for (let k = 0; k < c.members; k++) {
      this.members.push(new GaussianMlp({ ...c, inDim: this.inDim, outDim: this.outDim, dropout: 0, seed: root.int(2 ** 31) }));
      this.rngs.push(root.fork());
    }
    this.rng = root.fork();
    this.classifier = c.termination === 'learned' ? new TerminationClassifier(this.inDim + c.stateDim, c.hidden.slice(0, 1), root.int(2 ** 31), c.learningRate) : null;
    this.eliteIdx = Array.from({ length: c.elites }, (_, k) => k);
    this.starts = new Float32Array(c.maxStarts * c.stateDim);
  }

  get stateDim(): number { return this.config.stateDim; }
  get action(): WorldAction { return this.config.action; }
  get ready(): boolean { return this.scaling !== null; }
  /** Member indices of the elites, best first. */
  get elites(): readonly number[] { return this.eliteIdx; }
  /** The standardisation of the last fit: x = [state, action features], y = [state change, reward]. */
  get standardisation(): Scaling | null { return this.scaling; }
  /** Start states kept so far. */
  get startStates(): number { return this.startCount; }

  // =======================================================================================================
  // Fitting
  // =======================================================================================================

  /** Adds n observed start states (n x stateDim) to the reservoir the initial-state distribution draws from. */
  observeStarts(states: ArrayLike<number>, n: number): void {
    const d = this.config.stateDim, cap = this.config.maxStarts;
    if (states.length < n * d) throw new InvalidConfig(`Expected states of n x stateDim = ${n * d} values, got ${states.length}.`);
    for (let i = 0; i < n; i++) {
      // Reservoir sampling: every start seen so far stays with the same probability cap / seen.
      const slot = this.startCount < cap ? this.startCount++ : this.rng.int(this.startsSeen + 1);
      this.startsSeen++;
      if (slot < cap) for (let j = 0; j < d; j++) this.starts[slot * d + j] = states[i * d + j]!;
    }
  }

  /**
   * Fits the ensemble to n real transitions: standardisation from all rows, a held-out split, bootstrapped members
   * trained until the held-out MSE stops improving, elites ranked on it; then the termination classifier
   * (termination 'learned'). Continues from the current weights.
   */
  async fit(data: TransitionRows, options: { maxEpochs?: number; signal?: AbortSignal } = {}): Promise<DynamicsFitReport> {
    const t0 = performance.now();
    const c = this.config, d = c.stateDim, inDim = this.inDim, outDim = this.outDim;
    const n = checkRowsOf(data, d, actionWidth(c.action));
    const x = new Float32Array(n * inDim);
    const y = new Float32Array(n * outDim);
    inputFeatures(data.states, data.actions, n, d, c.action, x);
    deltaTargets(data.states, data.nextStates, data.rewards, n, d, y);
    const s = (this.scaling = scalingOf(x, y, n, { inDim, outDim }));
    const xn = standardise(x, n, s.xMean, s.xStd);
    const yn = standardise(y, n, s.yMean, s.yStd);
    const report = await fitMembers(this.members, this.rngs, this.rng, xn, yn, n, inDim, outDim, c, options);
    this.eliteIdx = report.elites.slice();
    if (this.classifier) {
      const feats = new Float32Array(n * (inDim + d));
      for (let i = 0; i < n; i++) {
        feats.set(xn.subarray(i * inDim, (i + 1) * inDim), i * (inDim + d));
        feats.set(yn.subarray(i * outDim, i * outDim + d), i * (inDim + d) + inDim);
      }
      // About 2000 gradient steps however much data there is: the boundary is sharp and terminations are rare.
      this.classifier.fit(feats, data.terminated.subarray(0, n), n, Math.min(200, Math.ceil((2000 * c.batchSize) / n)), c.batchSize, this.rng);
    }
    this.fits++;
    return { ...report, seconds: (performance.now() - t0) / 1000 };
  }

  // =======================================================================================================
  // The WorldModel contract
  // =======================================================================================================

  initialStates(n: number, rng: Rng, out: Float32Array = new Float32Array(n * this.config.stateDim)): Float32Array {
    const d = this.config.stateDim;
    if (this.fns.initialStates) {
      this.fns.initialStates(n, rng, out);
      return out;
    }
    if (this.startCount === 0) throw new InvalidConfig('Expected start states for the initial-state distribution (observeStarts(), or an initialStates function), got none.');
    for (let i = 0; i < n; i++) {
      const k = rng.int(this.startCount);
      for (let j = 0; j < d; j++) out[i * d + j] = this.starts[k * d + j]!;
    }
    return out;
  }

  startRollouts(n: number, rng: Rng, out: Int32Array = new Int32Array(n)): Int32Array {
    const e = this.eliteIdx;
    for (let i = 0; i < n; i++) out[i] = this.config.propagation === 'fixed-member' ? e[rng.int(e.length)]! : -1;
    return out;
  }

  step(states: Float32Array, actions: Float32Array, n: number, members: Int32Array, rng: Rng, out: WorldStepOut): WorldStepOut {
    const s = this.requireFitted();
    const c = this.config, d = c.stateDim, inDim = this.inDim;
    this.standardisedInputs(states, actions, n);
    // Group the rows by member (a counting sort), so that each member predicts its rows as one batch.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: growing the scratch more often reallocates it and changes no value.
    if (this.chosen.length < n) [this.chosen, this.order] = [new Int32Array(n), new Int32Array(n)];
    const counts = new Int32Array(c.members + 1);
    for (let i = 0; i < n; i++) this.chosen[i] = members[i]! >= 0 ? members[i]! : this.eliteIdx[rng.int(this.eliteIdx.length)]!;
    groupByMember(this.chosen, n, c.members, counts, this.order);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: growing the scratch more often reallocates it and changes no value.
    if (this.gather.length < n * inDim) this.gather = new Float32Array(n * inDim);
    for (let k = 0; k < c.members; k++) {
      const from = counts[k]!, m = counts[k + 1]! - from;
      // Stryker disable next-line ConditionalExpression: a member without rows would predict and sample nothing.
      if (m === 0) continue;
      // Stryker disable next-line EqualityOperator: one more row lands past the m rows the member predicts (or is empty past the last).
      for (let r = 0; r < m; r++) {
        const i = this.order[from + r]!;
        this.gather.set(this.xn.subarray(i * inDim, (i + 1) * inDim), r * inDim);
      }
      const raw = this.members[k]!.predictRaw(this.gather.subarray(0, m * inDim), m, null);
      sampleMemberRows(raw, this.order.subarray(from, from + m), m, states, d, { yMean: s.yMean, yStd: s.yStd, minLogStd: c.minLogStd, maxLogStd: c.maxLogStd }, rng, out);
    }
    this.terminations(states, actions, n, out);
    return out;
  }

  disagreement(states: Float32Array, actions: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    const { m2 } = this.eliteMoments(states, actions, n);
    return stateDisagreement(m2, n, this.config.stateDim, this.eliteIdx.length, out);
  }

  /** The elites' mean prediction (no sampling): next states (n x stateDim) and rewards (n), for tests and planning. */
  predictMean(states: Float32Array, actions: Float32Array, n: number): { nextStates: Float32Array; rewards: Float32Array } {
    const { mean } = this.eliteMoments(states, actions, n);
    const d = this.config.stateDim;
    const nextStates = new Float32Array(n * d), rewards = new Float32Array(n);
    // Stryker disable next-line EqualityOperator: one more row writes past the n-row outputs, which typed arrays ignore.
    for (let i = 0; i < n; i++) {
      // Stryker disable next-line EqualityOperator: one more column writes the next row's first slot, which that row then overwrites.
      for (let j = 0; j < d; j++) nextStates[i * d + j] = states[i * d + j]! + mean[i * (d + 1) + j]!;
      rewards[i] = mean[i * (d + 1) + d]!;
    }
    return { nextStates, rewards };
  }

  /** Welford over the elites' predicted means (state change and reward, un-standardised): n x (stateDim + 1) means and sums of squares. */
  private eliteMoments(states: Float32Array, actions: Float32Array, n: number): { mean: Float64Array; m2: Float64Array } {
    const s = this.requireFitted();
    const od = this.outDim;
    this.standardisedInputs(states, actions, n);
    const xn = this.xn.subarray(0, n * this.inDim);
    const mean = new Float64Array(n * od), m2 = new Float64Array(n * od);
    this.eliteIdx.forEach((k, c) => {
      addEliteMeans(this.members[k]!.predictRaw(xn, n, null), n, od, s.yMean, s.yStd, c, mean, m2);
    });
    return { mean, m2 };
  }

  // =======================================================================================================
  // Saving and loading
  // =======================================================================================================

  /**
   * Writes config, standardisation, elites, start states, every member, optimiser and rng as a checkpoint folder
   * (temp folder renamed into place, manifest last); `host` adds its owner's JSON counters and rng states.
   */
  async save(dir: string, host: { counters?: Record<string, JsonValue>; rngs?: Record<string, RngState> } = {}): Promise<void> {
    const s = this.requireFitted();
    const d = this.config.stateDim;
    await writeCheckpoint(dir, {
      algo: 'model.world.ensemble', step: this.fits, config: { ...this.config },
      env: { id: null, observationSpace: null, actionSpace: null },
      nets: Object.fromEntries([
        ...this.members.map((m, k) => [`member${k}`, m.getParams()] as const),
        ...(this.classifier ? [['termination', this.classifier.getParams()] as const] : []),
        ['starts', [{ name: 'starts', shape: [this.startCount, d], data: this.starts.slice(0, this.startCount * d) }]],
      ]),
      optimizers: Object.fromEntries(this.members.map((m, k) => [`member${k}`, m.optimizer.getState()])),
      rngs: { ...host.rngs, model: this.rng.getState(), ...Object.fromEntries(this.rngs.map((r, k) => [`member${k}`, r.getState()])) },
      counters: { host: host.counters ?? {}, fits: this.fits, startsSeen: this.startsSeen, elites: [...this.eliteIdx], scaling: { ...s } },
    });
  }

  /** Reads a model written by `save`; `fns` re-supplies the functions it cannot save. `InvalidConfig` for another model. */
  static async load(dir: string, fns: DynamicsFunctions = {}): Promise<EnsembleDynamics> {
    return (await EnsembleDynamics.read(dir, fns)).model;
  }

  /**
   * `load`, plus what `save`'s `host` wrote (its counters and rng states). Throws `CorruptFile` naming the file when
   * the folder is damaged (manifest, sizes, hashes) or its content does not fit the saved config.
   */
  static async read(dir: string, fns: DynamicsFunctions = {}): Promise<{ model: EnsembleDynamics; counters: Record<string, JsonValue>; rngs: Record<string, RngState> }> {
    const c = await readCheckpoint(dir);
    if (c.algo !== 'model.world.ensemble') throw new InvalidConfig(`Expected a model.world.ensemble checkpoint, got one of '${c.algo}' at ${c.dir}.`);
    const statePath = join(c.dir, STATE);
    try {
      const model = EnsembleDynamics.fromCheckpoint(c, fns);
      const host = c.counters['host'];
      return { model, counters: host !== null && typeof host === 'object' && !Array.isArray(host) ? host : {}, rngs: c.rngs };
    } catch (err) {
      if (!(err instanceof InvalidConfig || err instanceof IncompatibleState)) throw err;
      throw new CorruptFile(statePath, `Expected ${statePath} to hold a dynamics ensemble that fits its own config, got: ${err.message}`, { cause: err });
    }
  }

  /** The model a checkpoint read by `readCheckpoint` holds; `InvalidConfig` when a part is missing or misshapen. */
  private static fromCheckpoint(c: LoadedCheckpoint, fns: DynamicsFunctions): EnsembleDynamics {
    const model = new EnsembleDynamics(c.config as DynamicsConfig, fns);
    model.members.forEach((m, k) => {
      m.setParams(c.nets[`member${k}`] ?? []);
      const o = c.optimizers[`member${k}`];
      if (o) m.optimizer.setState(o);
      const r = c.rngs[`member${k}`];
      if (r) model.rngs[k]!.setState(r);
    });
    if (model.classifier) model.classifier.setParams(c.nets['termination'] ?? []);
    const starts = c.nets['starts']?.[0];
    if (starts) {
      if (starts.data.length > model.starts.length) throw new InvalidConfig(`Expected at most ${model.config.maxStarts} start states, got ${starts.shape[0]}.`);
      model.starts.set(starts.data);
      model.startCount = starts.shape[0]!;
    }
    if (c.rngs['model']) model.rng.setState(c.rngs['model']);
    model.scaling = checkScaling(c.counters['scaling'], model.inDim, model.outDim);
    const elites = c.counters['elites'];
    if (!Array.isArray(elites) || elites.length !== model.config.elites || !elites.every((k) => Number.isInteger(k) && (k as number) >= 0 && (k as number) < model.config.members)) {
      throw new InvalidConfig(`Expected ${model.config.elites} elite member indices below ${model.config.members}, got ${describeValue(elites)}.`);
    }
    model.eliteIdx = (elites as number[]).slice();
    model.fits = Number(c.counters['fits']);
    model.startsSeen = Number(c.counters['startsSeen']);
    return model;
  }

  // =======================================================================================================
  // Internals
  // =======================================================================================================

  private requireFitted(): Scaling {
    if (!this.scaling) throw new InvalidConfig('Expected a fitted dynamics model (call fit() or EnsembleDynamics.load() first), got an untrained one.');
    return this.scaling;
  }

  /** Standardised [state, action features] of n rows into this.xn. */
  private standardisedInputs(states: Float32Array, actions: Float32Array, n: number): void {
    const s = this.scaling!, inDim = this.inDim;
    if (states.length < n * this.config.stateDim || actions.length < n * actionWidth(this.config.action)) {
      throw new InvalidConfig(`Expected ${n} rows of ${this.config.stateDim} state and ${actionWidth(this.config.action)} action floats, got ${states.length} and ${actions.length} values.`);
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: growing the scratch more often reallocates it and changes no value.
    if (this.xn.length < n * inDim) this.xn = new Float32Array(n * inDim);
    inputFeatures(states, actions, n, this.config.stateDim, this.config.action, this.xn);
    standardiseInPlace(this.xn, n, inDim, s.xMean, s.xStd);
  }

  /** out.terminated for n rows after out.nextStates is written. */
  private terminations(states: Float32Array, actions: Float32Array, n: number, out: WorldStepOut): void {
    const c = this.config;
    if (c.termination === 'never') {
      out.terminated.fill(0, 0, n);
    } else if (c.termination === 'function') {
      this.fns.termination!(states, actions, out.nextStates, n, out.terminated);
    } else {
      const s = this.scaling!, d = c.stateDim, inDim = this.inDim, w = inDim + d;
      if (this.feat.length < n * w) this.feat = new Float32Array(n * w);
      terminationFeatures(this.xn, states, out.nextStates, n, inDim, d, s.yMean, s.yStd, this.feat);
      this.classifier!.predict(this.feat.subarray(0, n * w), n, out.terminated);
    }
  }
}

/** A saved standardisation checked against the model's widths (x: inDim, y: outDim; finite means, positive stds). */
function checkScaling(v: unknown, inDim: number, outDim: number): Scaling {
  const s = v as Record<string, unknown> | null;
  const fits = (k: string, n: number, positive: boolean) => {
    const a = s?.[k];
    return Array.isArray(a) && a.length === n && a.every((x) => Number.isFinite(x) && (!positive || (x as number) > 0));
  };
  if (!(s && typeof s === 'object' && fits('xMean', inDim, false) && fits('xStd', inDim, true) && fits('yMean', outDim, false) && fits('yStd', outDim, true))) {
    throw new InvalidConfig(`Expected a standardisation { xMean, xStd } of ${inDim} and { yMean, yStd } of ${outDim} values, got ${describeValue(v)}.`);
  }
  return s as unknown as Scaling;
}
