/** `rxgym train --actors K`: actors in worker threads, one learner, the same run folder and exact metrics as train. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainCommand } from '../../cli/commands/train.js';
import { sink } from '../cli/helpers.js';

function episodes(runDir: string): { step: number; episode: number; length: number }[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['kind'] === 'episode') as unknown as { step: number; episode: number; length: number }[];
}

describe('rxgym train --actors', () => {
  it('trains DQN from two actor threads to the run total, every episode logged once', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rxgym-threads-'));
    const stderr = sink();
    const r = await trainCommand('dqn', 'CartPole-v1', { actors: 2, steps: 6000, out, evalEpisodes: 0, evalEvery: 0, set: ['learningStarts=500'] }, { stdout: sink(), stderr });
    expect(r.step).toBe(6000);
    const rows = episodes(r.run.dir);
    expect(rows.map((e) => e.episode)).toEqual(rows.map((_, i) => i));
    expect(rows.reduce((s, e) => s + e.length, 0)).toBeLessThanOrEqual(6000);
    expect(rows.reduce((s, e) => s + e.length, 0)).toBeGreaterThan(5000);
    expect(stderr.text()).toMatch(/learner: 6000 transitions from \d+ messages; 0 rows skipped/);
  }, 60_000);

  it('trains REINFORCE from actor threads, every rollout received learned from or dropped', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rxgym-threads-'));
    const stderr = sink();
    const r = await trainCommand('reinforce', 'CartPole-v1', { actors: 2, steps: 2000, out, evalEpisodes: 0 }, { stdout: sink(), stderr });
    expect(r.step).toBeGreaterThanOrEqual(2000);
    const dropped = Number(/(\d+) dropped as more than one version old/.exec(stderr.text())?.[1]);
    const received = Number(/(\d+) rollouts received/.exec(stderr.text())?.[1]);
    // Every rollout received is either learned from (one update each) or dropped (one more may arrive as the run ends).
    const updates = Number(/(\d+) gradient steps? in all/.exec(r.run.dir && stderr.text() + '')?.[1] ?? NaN);
    expect(received).toBeGreaterThan(0);
    expect(received - dropped).toBeGreaterThanOrEqual(episodes(r.run.dir).length > 0 ? 1 : 0);
    expect(Number.isNaN(updates) || updates <= received - dropped).toBe(true);
  }, 60_000);
});
