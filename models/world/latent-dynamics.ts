/**
 * A world model in latent space: the probabilistic ensemble (`EnsembleDynamics`) over latent states
 * [z_{t-1}, z_t, f(a_{t-1})] (models/world/latent.ts; f the action's one-hot), predicting z_{t+1}, the reward and
 * termination (learned by default, since a pixel env's termination rule is not a function of the latents we know).
 *
 * Only z_{t+1} is unknown. The next state's z_t is already in the input and its previous action is the action just
 * taken: the ensemble's predictions of both are replaced by exact copies, so imagined rollouts carry no noise in
 * the parts they know (sampling noise in z_t would enter the velocity the two frames encode and compound along a
 * rollout; in the one-hot it would blur the action that moves the next frame).
 */
import { InvalidConfig } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { WorldAction, WorldModel, WorldStepOut } from './contract.js';
import { EnsembleDynamics, type DynamicsConfig, type DynamicsFitReport, type TransitionRows } from './dynamics.js';
import { STACKED_FRAMES, latentStateDim, writeActionFeatures } from './latent.js';

/** Settings of `LatentDynamics`: the ensemble's, with its state width fixed by `latent`. */
export type LatentDynamicsConfig = Partial<Omit<DynamicsConfig, 'stateDim' | 'action'>> & { latent: number; action: WorldAction };

/** Latent world model over [z_{t-1}, z_t, f(a_{t-1})] (`latentStateDim` floats per state); a `WorldModel`. */
export class LatentDynamics implements WorldModel {
  readonly kind = 'latent-ensemble';
  readonly latent: number;
  readonly stateDim: number;
  readonly action: WorldAction;
  readonly ensemble: EnsembleDynamics;

  /** An untrained model; termination defaults to 'learned'. */
  constructor(config: LatentDynamicsConfig) {
    const { latent, ...rest } = config;
    if (!(Number.isInteger(latent) && latent >= 1)) throw new InvalidConfig(`Expected latent to be a positive integer, got ${String(latent)}.`);
    this.latent = latent;
    this.stateDim = latentStateDim(latent, config.action);
    this.action = config.action;
    this.ensemble = new EnsembleDynamics({ termination: 'learned', ...rest, stateDim: this.stateDim });
  }

  get ready(): boolean {
    return this.ensemble.ready;
  }

  /** Adds n reset states (n x stateDim) to the initial-state distribution. */
  observeStarts(states: ArrayLike<number>, n: number): void {
    this.ensemble.observeStarts(states, n);
  }

  /** Fits the ensemble (and its termination classifier) on stacked-latent transitions; see `EnsembleDynamics.fit`. */
  fit(rows: TransitionRows, options: { maxEpochs?: number; signal?: AbortSignal } = {}): Promise<DynamicsFitReport> {
    return this.ensemble.fit(rows, options);
  }

  initialStates(n: number, rng: Rng, out?: Float32Array): Float32Array {
    return this.ensemble.initialStates(n, rng, out);
  }

  startRollouts(n: number, rng: Rng, out?: Int32Array): Int32Array {
    return this.ensemble.startRollouts(n, rng, out);
  }

  step(states: Float32Array, actions: Float32Array, n: number, members: Int32Array, rng: Rng, out: WorldStepOut): WorldStepOut {
    this.ensemble.step(states, actions, n, members, rng, out);
    this.copyKnownParts(states, actions, out.nextStates, n);
    return out;
  }

  disagreement(states: Float32Array, actions: Float32Array, n: number, out?: Float32Array): Float32Array {
    return this.ensemble.disagreement(states, actions, n, out);
  }

  /** The elites' mean prediction: next states (n x stateDim, known parts copied) and rewards (n). */
  predictMean(states: Float32Array, actions: Float32Array, n: number): { nextStates: Float32Array; rewards: Float32Array } {
    const p = this.ensemble.predictMean(states, actions, n);
    this.copyKnownParts(states, actions, p.nextStates, n);
    return p;
  }

  /**
   * nextStates[i][0 .. L) = states[i][L .. 2L) (the next state's previous frame is this state's current one) and
   * nextStates[i][2L ..) = f(actions[i]) (its previous action is the one taken now).
   */
  private copyKnownParts(states: Float32Array, actions: Float32Array, nextStates: Float32Array, n: number): void {
    const L = this.latent, d = this.stateDim, f = STACKED_FRAMES * L;
    for (let i = 0; i < n; i++) {
      nextStates.set(states.subarray(i * d + L, i * d + f), i * d);
      writeActionFeatures(this.action, actions, i, nextStates, i * d + f);
    }
  }
}
