/**
 * The rxgym command line: `rxgym list | check-env | train | learner | actor | eval | info | watch | render`. Each command lives
 * in cli/commands/<name>.ts and registers itself on the program; this file only wires them and turns
 * rxgym's typed errors into a one-line message and exit code 1.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { RxgymError } from '../core/errors.js';
import { registerActorCommand } from './commands/actor.js';
import { registerCheckEnvCommand } from './commands/check-env.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerInfoCommand } from './commands/info.js';
import { registerLearnerCommand } from './commands/learner.js';
import { registerListCommand } from './commands/list.js';
import { registerRenderCommand } from './commands/render.js';
import { registerTrainCommand } from './commands/train.js';
import { registerWatchCommand } from './commands/watch.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the program with every command registered (exported for tests). */
export function buildProgram(): Command {
  const program = new Command();
  program.name('rxgym').description('Reinforcement-learning gym and agents for Node.js').version(pkg.version);
  registerListCommand(program);
  registerCheckEnvCommand(program);
  registerTrainCommand(program);
  registerLearnerCommand(program);
  registerActorCommand(program);
  registerEvalCommand(program);
  registerInfoCommand(program);
  registerWatchCommand(program);
  registerRenderCommand(program);
  return program;
}

/** Runs the CLI on `argv` (process.argv form). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof RxgymError) {
      process.stderr.write(`rxgym: ${err.name}: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    // Anything else is a bug or an unexpected failure: one line still, the stack on request.
    if (process.env['RXGYM_DEBUG']) throw err;
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`rxgym: unexpected ${e.name}: ${e.message.split('\n')[0]} (RXGYM_DEBUG=1 prints the stack; please report it)\n`);
    process.exitCode = 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:main\.[jt]s|rxgym(?:\.js)?)$/.test(process.argv[1]);
if (invokedDirectly) await main(process.argv);
