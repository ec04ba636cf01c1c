import type { Command } from 'commander';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { checkEnv, type EnvCheckReport } from '../../envs/checker.js';
import { loadEnv } from '../../envs/load.js';

function parseCount(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidConfig(`Expected ${what} to be a non-negative integer, got ${describeValue(value)}.`);
  return n;
}

/** The report as text: one line per check (`ok` / `FAIL`), then warnings and a verdict. */
export function formatReport(target: string, report: EnvCheckReport): string {
  const lines = [`check-env ${target}`];
  for (const c of report.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}${c.ok ? '' : `\n        ${c.message}`}`);
  for (const w of report.warnings) lines.push(`  warn  ${w}`);
  const failed = report.checks.filter((c) => !c.ok).length;
  lines.push(failed === 0 ? `${report.checks.length} checks passed.` : `${failed} of ${report.checks.length} checks failed.`);
  return lines.join('\n');
}

/** `rxgym check-env <id | ./module.ts[:Export]>`: exit code 1 when a check fails. */
export function registerCheckEnvCommand(program: Command): void {
  program
    .command('check-env')
    .description('run the conformance checks on a registered id or a module path such as ./my-env.ts:MyEnv')
    .argument('<target>', 'a registered id (CartPole-v1) or a module path (./my-env.ts or ./my-env.ts:ExportName)')
    .option('--seed <n>', 'seed of the resets and random actions', '42')
    .option('--steps <n>', 'random steps per checked trajectory', '100')
    .option('--kwargs <json>', 'keyword arguments for the environment, as JSON', '{}')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, opts: { seed: string; steps: string; kwargs: string; json?: boolean }) => {
      let kwargs: Record<string, unknown>;
      try {
        kwargs = JSON.parse(opts.kwargs) as Record<string, unknown>;
      } catch {
        throw new InvalidConfig(`Expected --kwargs to be a JSON object, got ${describeValue(opts.kwargs)}.`);
      }
      const env = await loadEnv(target, kwargs, { disableEnvChecker: true });
      const report = checkEnv(env, { seed: parseCount(opts.seed, '--seed'), steps: parseCount(opts.steps, '--steps') });
      process.stdout.write(`${opts.json ? JSON.stringify(report, null, 2) : formatReport(target, report)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
