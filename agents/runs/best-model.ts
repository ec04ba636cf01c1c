/**
 * Best-model selection for any algorithm, like Stable-Baselines3's EvalCallback with a best-model path: every
 * `every` steps the caller's `evaluate` scores the current parameters (e.g. the mean return of 5 greedy episodes
 * on a separate env and seeds), and the parameters of EVERY network at the best score are kept. `finish()` puts
 * them back and says which were kept. DQN's greedy return on CartPole swings from 500 to ~50 and back during
 * training, so the last parameters are a lottery; the best evaluated ones are not.
 *
 * The tracker's state (`{ bestScore, bestStep, nets }`) is a checkpoint's `selection` field, so a resumed run
 * remembers the best policy seen before the interruption. Ties go to the later parameters.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { NamedArray } from '../../nn/types.js';
import type { SelectionState } from '../../core/node/checkpoint/checkpoint.js';

/** A hook a training loop calls every `every` steps. */
export interface PeriodicHook {
  every: number;
  run(step: number): Promise<void>;
}

/** Options of `bestModelTracker`. */
export interface BestModelOptions {
  /** Steps between selection evaluations. */
  every: number;
  /** Episodes per selection evaluation, passed to `evaluate`. Default 5. */
  episodes?: number;
  /** Scores the current parameters at `step` (higher is better), e.g. the mean greedy return. */
  evaluate: (step: number, episodes: number) => Promise<number>;
  /** Copies of every network's parameters, by role (e.g. { q: q.getParams() }). */
  snapshot: () => Record<string, NamedArray[]>;
  /** Puts parameters from `snapshot()` back into the networks. */
  restore: (nets: Record<string, NamedArray[]>) => void;
  /** The selection state of a resumed run (a loaded checkpoint's `selection`), or null. */
  initial?: SelectionState | null;
  /** Called after each selection evaluation (for metrics). */
  onEval?: (step: number, score: number, isBest: boolean) => void;
}

/** What `finish()` reports. */
export interface BestModelResult {
  /** 'best' when earlier parameters were put back, 'last' when the networks hold the last parameters. */
  kept: 'best' | 'last';
  /** The step whose parameters the networks now hold. */
  step: number;
  /** Their selection score, or null when they were never evaluated. */
  score: number | null;
  /** True when `restore` was called. */
  restored: boolean;
  /** One honest line: "best from step N (score S) ..." or "the last parameters (step N ...)". */
  message: string;
}

/** A best-model tracker: a periodic hook, its checkpointable state, and `finish`. */
export interface BestModelTracker {
  hook: PeriodicHook;
  /** Scores the current parameters at `step` and keeps them when they are the best so far; returns the score. */
  evaluateAt(step: number): Promise<number>;
  /** The state for a checkpoint's `selection` field (null before any evaluation). */
  state(): SelectionState | null;
  /**
   * At the end of training (`lastStep`): scores the last parameters unless already scored at that step or
   * `evaluateLast` is false, then puts the best parameters back.
   */
  finish(lastStep: number, options?: { evaluateLast?: boolean }): Promise<BestModelResult>;
}

/** Makes a tracker; throws `InvalidConfig` for a bad interval, episode count or initial state. */
export function bestModelTracker(options: BestModelOptions): BestModelTracker {
  if (!Number.isSafeInteger(options.every) || options.every < 1) {
    throw new InvalidConfig(`Expected the best-model evaluation interval to be a positive integer, got ${describeValue(options.every)}.`);
  }
  const episodes = options.episodes ?? 5;
  if (!Number.isSafeInteger(episodes) || episodes < 1) {
    throw new InvalidConfig(`Expected the best-model evaluation episodes to be a positive integer, got ${describeValue(episodes)}.`);
  }
  let best: SelectionState | null = options.initial ? checkInitial(options.initial) : null;
  let lastEval: { step: number; score: number } | null = null;

  const evaluateAt = async (step: number): Promise<number> => {
    const score = await options.evaluate(step, episodes);
    lastEval = { step, score };
    // NaN never wins; an equal score goes to the later parameters.
    const isBest = typeof score === 'number' && !Number.isNaN(score) && (best === null || score >= best.bestScore);
    if (isBest) best = { bestScore: score, bestStep: step, nets: copyNets(options.snapshot()) };
    options.onEval?.(step, score, isBest);
    return score;
  };

  return {
    hook: { every: options.every, run: async (step) => void (await evaluateAt(step)) },
    evaluateAt,
    state: () => best,
    async finish(lastStep, { evaluateLast = true } = {}) {
      if (evaluateLast && (lastEval === null || lastEval.step !== lastStep)) await evaluateAt(lastStep);
      const last = lastEval !== null && lastEval.step === lastStep ? lastEval.score : null;
      const lastText = last === null ? `step ${lastStep}, not evaluated` : `step ${lastStep}, score ${fmt(last)}`;
      if (best === null) {
        return { kept: 'last', step: lastStep, score: last, restored: false, message: `the last parameters (${lastText}; no evaluation scored)` };
      }
      if (best.bestStep === lastStep) {
        return { kept: 'last', step: lastStep, score: best.bestScore, restored: false, message: `the last parameters (step ${lastStep}, score ${fmt(best.bestScore)}), which scored best` };
      }
      options.restore(copyNets(best.nets));
      return {
        kept: 'best',
        step: best.bestStep,
        score: best.bestScore,
        restored: true,
        message: `best from step ${best.bestStep} (score ${fmt(best.bestScore)}) instead of the last parameters (${lastText})`,
      };
    },
  };
}

function fmt(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(2);
}

// Snapshots are copied so a network that reuses its arrays can never change the kept parameters.
function copyNets(nets: Record<string, NamedArray[]>): Record<string, NamedArray[]> {
  return Object.fromEntries(Object.entries(nets).map(([k, arrays]) => [k, arrays.map((a) => ({ name: a.name, shape: [...a.shape], data: a.data.slice() }))]));
}

function checkInitial(s: SelectionState): SelectionState {
  const ok =
    s !== null &&
    typeof s === 'object' &&
    typeof s.bestScore === 'number' &&
    Number.isSafeInteger(s.bestStep) &&
    s.nets !== null &&
    typeof s.nets === 'object' &&
    Object.values(s.nets).every((arrays) => Array.isArray(arrays) && arrays.every((a) => a.data instanceof Float32Array));
  if (!ok) throw new InvalidConfig(`Expected an initial best-model state { bestScore, bestStep, nets }, got ${describeValue(s)}.`);
  return { bestScore: s.bestScore, bestStep: s.bestStep, nets: copyNets(s.nets) };
}
