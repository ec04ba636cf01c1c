// Fault injection on real training runs (the CLI in child processes, SIGKILL): a kill at every stage of a file write
// and at random moments, then resumes until the run completes. No kill may lose the newest complete checkpoint or
// leave metrics.jsonl with a duplicate, broken or backward row, and every run must end identical to the
// uninterrupted one (exact resume). More trials: `npm run bench -- faults`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrials, type FaultTrial, type KillReport, type TrialReport } from './harness.js';

const spec = { steps: 3000, seed: 1, checkpointEvery: 1000 };
const trials: FaultTrial[] = [
  {
    // Every stage of a checkpoint write mid-run (checkpoints/2000, which the first process reaches as its second
    // write and each resume from 1000 as its first), the replay save inside it, then a cut metrics append.
    name: 'mid-run checkpoint writes',
    kills: [
      { stage: 'temp', n: 2 }, { stage: 'tensors', n: 1 }, { stage: 'state', n: 1 }, { stage: 'extra', n: 1 },
      { stage: 'replay', n: 1 }, { stage: 'manifest', n: 1 }, { stage: 'swap', n: 1 }, { stage: 'metrics', n: 1 },
    ],
  },
  {
    // config.json of a new run (no checkpoint yet: it starts over), final/, then two re-saves of the existing
    // checkpoints/3000 by resumes that have no steps left.
    name: 'config, final/ and re-saves',
    kills: [{ stage: 'config', n: 1 }, { stage: 'final.manifest', n: 1 }, { stage: 'backup', n: 1 }, { stage: 'cleanup', n: 1 }],
  },
  { name: 'random moments', kills: [{ random: true }, { random: true }] },
];

let root: string;
let reports: TrialReport[];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-faults-'));
  ({ reports } = await runTrials(trials, { spec, dir: root, seed: 7 }));
}, 180_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const byName = (name: string): TrialReport => reports.find((r) => r.name === name)!;
const killAt = (r: TrialReport, stage: string): KillReport => r.kills.find((k) => k.stage === stage)!;

describe('SIGKILL during training, then resume', () => {
  it('every run completes without errors, every targeted kill fired, and no kill lost a checkpoint', () => {
    for (const r of reports) {
      expect(r.errors, r.name).toEqual([]);
      expect(r.completed, r.name).toBe(true);
      for (const k of r.kills) {
        if (k.stage !== 'random') expect(k.fired, `${r.name}: ${k.stage}`).toBe(true);
        expect(k.lost, `${r.name}: ${k.stage}`).toBe(false);
      }
    }
  });

  it('after each kill the newest complete checkpoint is the one the stage leaves', () => {
    const mid = byName('mid-run checkpoint writes');
    // Killed before the new checkpoint's manifest is in place: checkpoints/1000 stays the newest.
    for (const stage of ['temp', 'tensors', 'state', 'extra', 'replay', 'manifest']) expect(killAt(mid, stage).checkpoint, stage).toBe(1000);
    expect(killAt(mid, 'swap').checkpoint).toBe(2000);
    expect(mid.resumedFrom.slice(0, 7)).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 2000]);
    const fin = byName('config, final/ and re-saves');
    expect(killAt(fin, 'config')).toMatchObject({ noCheckpointYet: true, checkpoint: null });
    expect(fin.restarts).toBe(1);
    expect(killAt(fin, 'final.manifest').checkpoint).toBe(3000);
    // Between the two renames of a re-save the real name is empty: the previous copy is found instead.
    expect(killAt(fin, 'backup')).toMatchObject({ checkpoint: 3000, fellBack: true });
    expect(killAt(fin, 'cleanup')).toMatchObject({ checkpoint: 3000, fellBack: false });
  });

  it('metrics.jsonl never holds a duplicate, broken or backward row; a cut-off line is repaired by the resume', () => {
    for (const r of reports) {
      for (const k of r.kills) expect([k.stage, k.metrics.duplicates, k.metrics.broken, k.metrics.backwards]).toEqual([k.stage, 0, 0, 0]);
      expect(r.finalMetrics, r.name).toMatchObject({ duplicates: 0, broken: 0, backwards: 0, cutLast: false });
    }
    // The metrics kill point really cut a line (the check above then proves the resume removed it).
    expect(killAt(byName('mid-run checkpoint writes'), 'metrics').metrics.cutLast).toBe(true);
    expect(byName('config, final/ and re-saves').missingEpisodes).toBe(0);
  });

  it('no kill loses an episode row: the session flushes the metrics before it writes a checkpoint', () => {
    // A kill at "swap" (the checkpoint complete, the session not yet past it) once lost the rows logged before it.
    for (const r of reports) expect([r.name, r.missingEpisodes]).toEqual([r.name, 0]);
  });

  it('every completed run ends with the uninterrupted run\'s final parameters and episode rows (exact resume)', () => {
    for (const r of reports) {
      expect([r.name, r.sameFinal, r.differentRows]).toEqual([r.name, true, 0]);
      expect(r.identical, r.name).toBe(true);
    }
    expect(byName('config, final/ and re-saves').identical).toBe(true);
    // Exact resume: this run was resumed eight times from checkpoints taken mid-run.
    expect(byName('mid-run checkpoint writes').sameFinal).toBe(true);
  });
});
