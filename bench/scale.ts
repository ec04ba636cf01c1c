/**
 * `npm run bench -- scale [--seeds 0,1,2] [--only vector,threads,redis] [--ns 1,4,16] [--json]` (issue 13): how
 * training scales out. `vector.*` comes from bench/scale-vector.ts (N envs in this thread); `threads.*` and `redis.*`
 * from bench/scale-threads.ts and bench/scale-redis.ts (actors in worker threads, and over Redis). Prints figures;
 * asserts nothing.
 */
import { redisFigures } from './scale-redis.js';
import { threadFigures } from './scale-threads.js';
import { listFlag, vectorFigures } from './scale-vector.js';

type Figures = (opts: { seeds: number[]; ns: number[]; log: (s: string) => void }) => Promise<Record<string, unknown>>;
const PARTS = ['vector', 'threads', 'redis'] as const;

export async function main(args: string[]): Promise<void> {
  const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : [...PARTS];
  const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`Expected --only to list parts of ${PARTS.join(', ')}, got ${unknown.join(', ')}.`);
  const opts = { seeds: listFlag(args, '--seeds', [0, 1, 2]), ns: listFlag(args, '--ns', [1, 4, 16]), log: (s: string) => console.error(s) };
  const figures: Record<string, unknown> = {};
  for (const part of only) {
    const run: Figures = part === 'vector' ? vectorFigures : part === 'threads' ? threadFigures : redisFigures;
    Object.assign(figures, await run(opts));
  }
  if (args.includes('--json')) console.log(JSON.stringify(figures));
  else for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${format(v)}`);
}

/** A figure on one line: mean +- std (n values), or the value as JSON. */
function format(v: unknown): string {
  const s = v as { mean?: number | null; std?: number | null; values?: number[] };
  if (s !== null && typeof s === 'object' && 'values' in s && Array.isArray(s.values)) {
    return s.mean === null || s.mean === undefined ? `none (${s.values.length} values)` : `${s.mean.toPrecision(4)} +- ${s.std!.toPrecision(3)} (${s.values.length} values)`;
  }
  return JSON.stringify(v);
}
