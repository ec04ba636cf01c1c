/**
 * `rxgym learner <algo> <env> --redis URL --run NAME [train's options]`: trains from the experience that
 * `rxgym actor` processes send through Redis, into the run folder `<out>/NAME` (train's layout). Run again after
 * a crash, it resumes from the newest checkpoint and the stream's pending entries.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidConfig } from '../../core/errors.js';
import { parseIntFlag } from '../../agents/config.js';
import { redisLearnerSetup } from '../../scale/redis-commands.js';
import { trainCommand, type TrainOptions } from './train.js';

/** What `rxgym learner` accepts beyond train's options. */
export interface LearnerOptions extends TrainOptions {
  redis?: string;
  run?: string;
  publishEvery?: string | number;
  batchSteps?: string | number;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Registers `rxgym learner`. */
export function registerLearnerCommand(program: Command): void {
  program
    .command('learner')
    .description('learn from rxgym actor processes through Redis into the run folder <out>/<run> (resumes it when it exists)')
    .argument('<algo>', 'algorithm (dqn, ddpg, td3, reinforce)')
    .argument('<env>', 'environment id, as for train')
    .requiredOption('--redis <url>', 'redis://[:password@]host:port or rediss:// (TLS)')
    .requiredOption('--run <name>', 'run name: the Redis keys rxgym:<name>:* and the run folder <out>/<name>')
    .option('--publish-every <m>', 'learner updates between published parameters (off-policy)', '50')
    .option('--batch-steps <t>', 'steps of each actor env per message', '128')
    .option('--steps <n>', "total environment steps (default: the preset's)")
    .option('--seed <s>', 'seed of weights, exploration and resets')
    .option('--config <file.json>', 'JSON object of config fields over the preset')
    .option('--set <key=value>', 'override one config field (repeatable)', collect)
    .option('--preset <name>', "preset from presets/<algo>.json (default: the env id's, if any)")
    .option('--env-kwargs <json>', 'keyword arguments of the env')
    .option('--max-episode-steps <n>', 'cut episodes after n steps')
    .option('--out <dir>', 'folder that holds run folders', 'runs')
    .option('--checkpoint-every <n>', 'write checkpoints/<step>/ every n steps')
    .option('--keep-checkpoints <n>', 'keep the newest n checkpoints', '3')
    .option('--checkpoint-replay', 'include the replay buffer in checkpoints (exact resume)')
    .option('--eval-episodes <n>', 'greedy evaluation episodes after training (0 skips)', '10')
    .option('--eval-every <n>', 'steps between greedy evaluations that pick the best policy for final/')
    .action(async (algo: string, env: string, opts: LearnerOptions) => {
      const run = String(opts.run);
      const dir = join(opts.out ?? 'runs', run);
      const log = (line: string) => void process.stderr.write(`rxgym: ${line}\n`);
      const setup = redisLearnerSetup({
        url: String(opts.redis), run, log,
        publishEvery: parseIntFlag(opts.publishEvery ?? '50', '--publish-every', 1),
        laneLength: parseIntFlag(opts.batchSteps ?? '128', '--batch-steps', 1, 1_000_000),
      });
      if (existsSync(join(dir, 'config.json')) && opts.preset !== undefined) throw new InvalidConfig(`Expected no --preset when resuming the run in ${dir}.`);
      const resume = existsSync(join(dir, 'config.json')) ? { resume: dir } : {};
      const outcome = await trainCommand(algo, env, { ...opts, ...resume }, { distributed: setup });
      if (outcome.interrupted) process.exitCode = 130;
    });
}
