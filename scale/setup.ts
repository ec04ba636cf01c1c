/**
 * How `rxgym train --actors K` and `rxgym learner` turn a training session into a learner: the agent is built on
 * an `ExperienceEnv` (off-policy) instead of the env, the session drives a `DistributedAgent`, and the stream
 * cursor is kept beside the checkpoints so that a restarted learner serves no transition twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../core/env.js';
import { CorruptFile, InvalidConfig } from '../core/errors.js';
import { writeFileAtomic } from '../core/node/files.js';
import { flatdim, type AnySpace } from '../core/spaces.js';
import type { Agent } from '../agents/agent.js';
import type { AlgorithmEntry } from '../agents/registry.js';
import { runPaths, type RunDir } from '../agents/runs/run-folder.js';
import { ExperienceEnv, ExperienceSource, type Cursor } from './experience.js';
import { distributedLearner, type DistributedAgent, type LearnerLink } from './learner.js';
import type { RunSpec } from './run-spec.js';

/** What a training session asks of its distributed part. */
export interface DistributedSetup {
  /** The env the agent is built on: an ExperienceEnv with `env`'s spaces (off-policy), or `env` itself (on-policy). */
  wrapEnv(env: Env<unknown, unknown>, at: { entry: AlgorithmEntry; config: object; run: RunDir | null; step: number }): Env<unknown, unknown>;
  /** The agent the session drives, learning from actors of the run `spec`. */
  wrapAgent(agent: Agent, spec: RunSpec, run: RunDir): Promise<DistributedAgent>;
  /** Creates the run folder (a fixed name for `rxgym learner --run NAME`); absent: train's timestamped one. */
  createRun?(root: string, config: unknown): Promise<RunDir>;
  /** Stops the actors and closes the link. */
  close(): Promise<void>;
}

const CURSORS = 'learner-cursors.json';
/** Cursors kept (one per checkpoint; more than the checkpoints a run keeps by default). */
const KEEP = 16;

/** A setup over the link `connect` opens once the run is known. */
export function distributedSetup(connect: (spec: RunSpec) => Promise<LearnerLink>, o: { publishEvery: number; log: (line: string) => void }): DistributedSetup {
  let source: ExperienceEnv<unknown, unknown> | null = null;
  let link: LearnerLink | null = null;
  return {
    wrapEnv(env, at) {
      const c = at.config as { numEnvs?: number; asyncEnvs?: boolean };
      if ((c.numEnvs ?? 1) > 1 || c.asyncEnvs) {
        throw new InvalidConfig(`Expected numEnvs 1 and asyncEnvs false for a learner of actors, got numEnvs ${c.numEnvs} and asyncEnvs ${c.asyncEnvs}: the actors step the envs (--envs N on each actor).`);
      }
      if (at.entry.name === 'reinforce') return env;
      const action = env.actionSpace as AnySpace;
      const cursor = at.run !== null && at.step > 0 ? readCursor(at.run.dir, at.step) : {};
      const src = new ExperienceSource(flatdim(env.observationSpace as AnySpace), action.kind === 'discrete' ? 1 : flatdim(action), cursor);
      const repeat = at.entry.name === 'dqn' ? ((at.config as { frameSkip?: number }).frameSkip ?? 1) : 1;
      return (source = new ExperienceEnv(src, env, repeat));
    },
    async wrapAgent(agent, spec, run) {
      link = await connect(spec);
      return distributedLearner(agent, source, link, { ...o, saveCursor: (step, cursor) => saveCursor(run.dir, step, cursor) });
    },
    async close() {
      await link?.close();
    },
  };
}

/** The stream cursor saved with the checkpoint at `step` ({} when none was: a run that never had actors there). */
export function readCursor(runDir: string, step: number): Cursor {
  const path = join(runDir, CURSORS);
  if (!existsSync(path)) return {};
  let all: Record<string, Cursor>;
  try {
    all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Cursor>;
  } catch (err) {
    throw new CorruptFile(path, `Expected ${path} to hold the learner's stream cursors (JSON), got unreadable content (${(err as Error).message}).`);
  }
  return all[String(step)] ?? {};
}

/** Records the cursor of the checkpoint about to be written at `step` (before it: a cursor without its checkpoint is never read). */
export async function saveCursor(runDir: string, step: number, cursor: Cursor): Promise<void> {
  const path = join(runDir, CURSORS);
  let all: Record<string, Cursor> = {};
  if (existsSync(path)) {
    try {
      all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Cursor>;
    } catch {
      all = {};
    }
  }
  all[String(step)] = cursor;
  const kept = Object.keys(all).map(Number).sort((a, b) => b - a).slice(0, KEEP);
  await writeFileAtomic(path, `${JSON.stringify(Object.fromEntries(kept.map((s) => [String(s), all[String(s)]])))}\n`);
}

/** A run folder at a fixed path (`<root>/<name>`), with checkpoints/ and config.json, for a learner's named run. */
export async function createNamedRun(root: string, name: string, config: unknown): Promise<RunDir> {
  if (!/^[\w.-]+$/.test(name)) throw new InvalidConfig(`Expected --run to be a name of letters, digits, '.', '_' or '-', got "${name}".`);
  const run = runPaths(join(root, name));
  await mkdir(run.checkpoints, { recursive: true });
  await writeFileAtomic(run.config, `${JSON.stringify(config, null, 2)}\n`);
  return run;
}
