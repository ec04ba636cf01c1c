import type { Command } from 'commander';
import { describeSpace } from '../../core/spaces.js';
import '../../envs/builtin.js';
import { make, registeredSpecs } from '../../envs/registry.js';

/** One row of `rxgym list`. */
export interface EnvListing {
  id: string;
  observationSpace: string;
  actionSpace: string;
  maxEpisodeSteps: number | null;
  rewardThreshold: number | null;
}

/** Every registered environment with its spaces and limits (builds each once to read its spaces). */
export function listEnvs(): EnvListing[] {
  return registeredSpecs().map((s) => {
    const env = make(s.id);
    try {
      return {
        id: s.id,
        observationSpace: describeSpace(env.observationSpace),
        actionSpace: describeSpace(env.actionSpace),
        maxEpisodeSteps: s.maxEpisodeSteps ?? null,
        rewardThreshold: s.rewardThreshold ?? null,
      };
    } finally {
      env.close();
    }
  });
}

/** Formats rows as an aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `rxgym list [--json]`. */
export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('list every registered environment with its spaces, max episode steps and reward threshold')
    .option('--json', 'print JSON instead of a table')
    .action((opts: { json?: boolean }) => {
      const rows = listEnvs();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const table = formatTable(
        ['id', 'observation space', 'action space', 'max steps', 'reward threshold'],
        rows.map((r) => [r.id, r.observationSpace, r.actionSpace, String(r.maxEpisodeSteps ?? '-'), String(r.rewardThreshold ?? '-')]),
      );
      process.stdout.write(`${table}\n`);
    });
}
