import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sink } from './helpers.js';
import { trainCommand } from '../../cli/commands/train.js';
import { evalCommand } from '../../cli/commands/eval.js';
import { buildProgram } from '../../cli/main.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-algos-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Each algorithm, a small config, and an env it takes: the same CLI shape for every one. */
const CASES: { algo: string; env: string; set: string[]; steps: number }[] = [
  { algo: 'reinforce', env: 'CartPole-v1', set: ['hidden=[16]'], steps: 1500 },
  { algo: 'ddpg', env: 'Pendulum-v1', set: ['hidden=[16]', 'batchSize=16', 'learningStarts=100'], steps: 600 },
  { algo: 'td3', env: 'Pendulum-v1', set: ['hidden=[16]', 'batchSize=16', 'learningStarts=100'], steps: 600 },
];

describe('every algorithm through the same commands: train, interrupt, --resume, eval, --record-every, eval --record, render', () => {
  for (const c of CASES) {
    it(`${c.algo} on ${c.env}`, async () => {
      const out = join(root, c.algo);
      const controller = new AbortController();
      const stderr = sink();
      const first = await trainCommand(c.algo, c.env, { steps: c.steps, seed: 1, set: c.set, recordEvery: 2, evalEpisodes: 0, out, plain: true }, {
        stdout: sink(), stderr,
        // Interrupt as Ctrl-C does once the first checkpoint is written.
        signal: (() => {
          const timer = setInterval(() => {
            const r = existsSync(out) ? readdirSync(out) : [];
            const cps = r.length ? join(out, r[0]!, 'checkpoints') : '';
            if (cps && existsSync(cps) && readdirSync(cps).some((n) => /^\d+$/.test(n))) {
              clearInterval(timer);
              controller.abort();
            }
          }, 2);
          return controller.signal;
        })(),
      });
      expect(stderr.text()).toContain(`${c.algo}: engine plain`);
      const stdout = sink();
      const done = first.stopped === 'aborted' ? await trainCommand(undefined, undefined, { resume: first.run.dir, plain: true, evalEpisodes: 2 }, { stdout, stderr: sink() }) : first;
      expect(done.stopped).toBe('done');
      expect(done.step).toBeGreaterThanOrEqual(c.steps);
      expect(JSON.parse(readFileSync(first.run.config, 'utf8'))).toMatchObject({ algo: c.algo, env: c.env });

      // Training recordings, with the agent's values (Q(s, a) or V(s)), exist and render.
      const episodes = readdirSync(join(first.run.dir, 'episodes')).filter((f) => /^episode-\d+\.ndjson$/.test(f));
      expect(episodes.length).toBeGreaterThan(0);
      const gif = join(root, `${c.algo}.gif`);
      await buildProgram().parseAsync(['node', 'rxgym', 'render', first.run.dir, '--episode', episodes[0]!, '--out', gif]);
      expect(statSync(gif).size).toBeGreaterThan(1000);

      // eval (greedy) and eval --record with the agent's value estimates.
      const report = await evalCommand(first.run.dir, { episodes: 2, seed: 5, record: true }, { stdout: sink(), stderr: sink() });
      expect(report.returns).toHaveLength(2);
      expect(report.recorded).toHaveLength(2);
      const line = JSON.parse(readFileSync(report.recorded[0]!, 'utf8').split('\n')[2]!) as { q?: number[]; value?: number };
      expect(Number.isFinite(line.value) || Array.isArray(line.q)).toBe(true);
    });
  }
});
