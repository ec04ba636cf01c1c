/**
 * Run folders for the viewer's tests: CartPole episodes recorded from the real env's scene() in the
 * recorder's NDJSON format (render/recorder.ts), and a metrics.jsonl shaped like `rxgym train` writes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scene } from '../../core/scene.js';
import { EPISODE_FORMAT, type EpisodeHeader, type EpisodeStep } from '../../render/recorder.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';

/** One recorded step: the state after it (x, x_dot, theta, theta_dot) and the scene drawn from it. */
export interface RecordedStep {
  state: number[];
  scene: Scene;
  reward: number;
  action: number;
  value: number;
  /** Whether this step ended the episode. */
  done: boolean;
}

/**
 * Runs CartPole-v1 from `state` pushing with `action` every step until it terminates (or `maxSteps`),
 * returning one frame per step (the scene after it), as the recorder writes them.
 */
export function recordCartPole(state: number[], action: number, maxSteps = 60): RecordedStep[] {
  const env = make('CartPole-v1');
  const inner = env.unwrapped as unknown as { state: Float64Array; scene(): Scene };
  try {
    env.reset({ options: { state } });
    const steps: RecordedStep[] = [];
    for (let t = 0; t < maxSteps; t++) {
      const r = env.step(action);
      steps.push({ state: [...inner.state], scene: inner.scene(), reward: r.reward, action, value: 10 - t * 0.5, done: r.terminated || r.truncated });
      if (r.terminated || r.truncated) break;
    }
    return steps;
  } finally {
    env.close();
  }
}

/** The header line of a recording of episode `episode`. */
export function headerLine(episode: number): string {
  const header: EpisodeHeader = { format: EPISODE_FORMAT, version: 1, envId: 'CartPole-v1', episode, width: 600, height: 400, fps: 50 };
  return JSON.stringify(header);
}

/** The NDJSON text of a recording: a header line, then one line per step (with a value per step). */
export function episodeText(episode: number, steps: RecordedStep[], firstStep = 0): string {
  const lines = steps.map((s, t) => {
    const line: EpisodeStep = { t, step: firstStep + t, action: s.action, reward: s.reward, terminated: s.done, truncated: false, scene: s.scene, value: s.value };
    return JSON.stringify(line);
  });
  return `${[headerLine(episode), ...lines].join('\n')}\n`;
}

/** metrics.jsonl text: episode rows with a rising return and log rows with a falling loss and epsilon. */
export function metricsText(seed: number, episodes = 120): string {
  const rows: string[] = [];
  let step = 0;
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let e = 0; e < episodes; e++) {
    const skill = Math.min(1, e / (episodes * 0.7));
    const ret = Math.round(Math.max(8, 20 + 460 * skill * (0.6 + 0.4 * rand()) - 60 * rand()));
    step += ret;
    const epsilon = Math.max(0.05, 1 - step / 12_000);
    rows.push(JSON.stringify({ kind: 'episode', step, episode: e, return: ret, length: ret, terminated: ret < 500, truncated: ret >= 500, epsilon }));
    if (e % 4 === 3) rows.push(JSON.stringify({ kind: 'log', step, loss: 0.9 * Math.exp(-step / 15_000) + 0.08 * rand(), epsilon, fps: 900 + 100 * rand(), meanReturn: ret, episodes: e + 1, updates: step }));
  }
  return `${rows.join('\n')}\n`;
}

/** Writes a run folder `<root>/<name>` with config.json, metrics.jsonl and the given recordings. */
export function writeRun(root: string, name: string, episodes: RecordedStep[][], seed = 1): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'episodes'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ algo: 'dqn', env: 'CartPole-v1', seed }, null, 2));
  writeFileSync(join(dir, 'metrics.jsonl'), metricsText(seed));
  episodes.forEach((steps, k) => writeFileSync(join(dir, 'episodes', `episode-${k}.ndjson`), episodeText(k, steps)));
  return dir;
}
