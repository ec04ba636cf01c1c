/**
 * `rxgym actor --redis URL --run NAME [--envs N]`: acts for the learner of run NAME: reads the algorithm, env and
 * config from Redis, steps N envs with the newest published parameters, sends batches of experience, and exits
 * when the learner has finished (or on Ctrl-C / SIGTERM).
 */
import type { Command } from 'commander';
import { parseIntFlag } from '../../agents/config.js';
import { runRedisActor } from '../../scale/redis-commands.js';

/** Registers `rxgym actor`. */
export function registerActorCommand(program: Command): void {
  program
    .command('actor')
    .description('collect experience for the learner of a run through Redis (everything else comes from the run)')
    .requiredOption('--redis <url>', 'redis://[:password@]host:port or rediss:// (TLS)')
    .requiredOption('--run <name>', 'the run name the learner was started with')
    .option('--envs <n>', 'envs stepped side by side', '1')
    .action(async (opts: { redis: string; run: string; envs: string }) => {
      const envs = parseIntFlag(opts.envs, '--envs', 1, 4096);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const log = (line: string) => void process.stderr.write(`rxgym: ${line}\n`);
      try {
        const r = await runRedisActor({ url: opts.redis, run: opts.run, envs, log, signal: controller.signal });
        process.stdout.write(`Actor done: ${r.steps} steps, ${r.episodes} episodes, ${r.messages} batches sent.\n`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
