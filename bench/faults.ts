/**
 * Fault injection at scale: `npm run bench -- faults [--trials T] [--steps N] [--seed S] [--lanes L]`. Each trial
 * trains a tiny DQN on CartPole-v1 with the real CLI and SIGKILLs it one to three times, at a file-write stage
 * (RXGYM_FAULT_KILL, taken round-robin so every stage gets its turn, with a random n) or at a random moment, and
 * resumes until the run completes (tests/faults/harness.ts does the checks). Prints kills injected, resumes, runs
 * identical to an uninterrupted one, checkpoints lost and bad metrics rows (both must be 0), overall and per stage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { parseIntFlag } from '../agents/config.js';
import { runTrials, summarize, type FaultTrial, type Kill } from '../tests/faults/harness.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * The kills the bench takes turns with, each with the largest useful n (writes per process: about one a checkpoint,
 * and final/ once). `backup` and `cleanup` fire only in a re-save of an existing checkpoint, which a resume with no
 * steps left does: they come after a kill in final/'s write.
 */
function killPool(checkpoints: number): { stages: string[]; maxN: number }[] {
  const writes = checkpoints + 1;
  return [
    { stages: ['config'], maxN: 1 },
    ...['temp', 'tensors', 'state', 'extra', 'manifest', 'swap'].map((stage) => ({ stages: [stage], maxN: writes })),
    { stages: ['replay'], maxN: checkpoints },
    { stages: ['metrics'], maxN: 2 * checkpoints },
    ...['final.temp', 'final.manifest', 'final.swap'].map((stage) => ({ stages: [stage], maxN: 1 })),
    { stages: ['final.manifest', 'backup'], maxN: 1 },
    { stages: ['final.swap', 'cleanup'], maxN: 1 },
    { stages: ['random'], maxN: 1 },
    { stages: ['random'], maxN: 1 },
    { stages: ['random'], maxN: 1 },
  ];
}

/** Runs the trials and prints the figures. */
export async function main(args: string[]): Promise<void> {
  const trialCount = parseIntFlag(option(args, '--trials') ?? '12', '--trials', 1);
  const steps = parseIntFlag(option(args, '--steps') ?? '3000', '--steps', 1000);
  const seed = parseIntFlag(option(args, '--seed') ?? '1', '--seed', 0);
  const lanes = parseIntFlag(option(args, '--lanes') ?? '2', '--lanes', 1);
  const checkpointEvery = Math.ceil(steps / 3);
  const spec = { steps, seed, checkpointEvery };
  const rng = new Rng(seed);
  const pool = killPool(Math.ceil(steps / checkpointEvery));
  let turn = 0;
  const trials: FaultTrial[] = Array.from({ length: trialCount }, (_, i) => {
    const kills: Kill[] = Array.from({ length: 1 + (i % 3) }, () => {
      const { stages, maxN } = pool[turn++ % pool.length]!;
      return stages.map((stage): Kill => (stage === 'random' ? { random: true } : { stage, n: 1 + rng.int(maxN) }));
    }).flat();
    return { name: `trial ${i}`, kills };
  });
  const dir = await mkdtemp(join(tmpdir(), 'rxgym-bench-faults-'));
  console.log(`faults: ${trialCount} trials of dqn CartPole-v1 --steps ${steps} --checkpoint-every ${checkpointEvery} --checkpoint-replay, ${lanes} at a time`);
  const started = performance.now();
  try {
    const { reports } = await runTrials(trials, { spec, dir, seed, lanes });
    const s = summarize(reports, steps);
    const seconds = (performance.now() - started) / 1000;
    const rows: string[][] = [['stage', 'planned', 'kills', 'no ckpt yet', 'fell back', 'ckpt lost', 'bad rows', 'run identical']];
    for (const [stage, st] of [...s.stages].sort(([a], [b]) => a.localeCompare(b))) {
      rows.push([stage, st.planned, st.kills, st.noCheckpointYet, st.fellBack, st.lost, st.badRows, st.identical].map(String));
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    console.log('');
    console.log(`kills injected:                     ${s.kills}`);
    console.log(`resumes:                            ${s.resumes} (and ${s.restarts} new runs after a kill before the first checkpoint)`);
    console.log(`runs completed:                     ${s.completed} / ${reports.length}`);
    console.log(`runs identical to uninterrupted:    ${s.identical} / ${s.completed} (of those resumed before the last step: ${s.identicalResumedMidRun} / ${s.resumedMidRun})`);
    console.log(`checkpoints lost:                   ${s.lost} (must be 0)`);
    console.log(`metrics rows duplicated or broken:  ${s.badRows} (must be 0)`);
    console.log(`episode rows missing:               ${s.missingEpisodes} (rows logged before a checkpoint, not yet flushed when it was killed)`);
    console.log(`errors:                             ${s.errors}`);
    for (const r of reports) {
      const kills = r.kills.filter((k) => k.fired).map((k) => k.stage).join(', ');
      if (r.missingEpisodes > 0) console.log(`  ${r.name} (killed at ${kills}): ${r.missingEpisodes} episode rows missing`);
      if (r.completed && !r.identical) console.log(`  ${r.name} (killed at ${kills}): final/ ${r.sameFinal ? 'same' : 'different'}, ${r.differentRows} episode rows different`);
      for (const e of r.errors) console.log(`  ${r.name}: ${e}`);
    }
    console.log(`${seconds.toFixed(1)} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
