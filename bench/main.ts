/**
 * Benchmark entry: `npm run bench -- <name> [args]` runs bench/<name>.ts, whose `main(args)` prints what it
 * measured. Benchmarks print figures; they never pass or fail on a threshold.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`Expected a benchmark name, one of: ${available.join(', ')}; got ${name ? `"${name}"` : 'none'}.`);
  console.error('Usage: npm run bench -- <name> [args]');
  process.exit(2);
}
const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { main: (args: string[]) => Promise<void> };
await mod.main(args);
