/**
 * The README's code runs as written: every fenced block is read from README.md at collection time, so editing a
 * block changes what runs here.
 * - TypeScript blocks a sentence names as a repository file ("This is `examples/corridor.ts`") must equal that
 *   file, and are written under that name into a scratch folder (`.scratch/`, git-ignored, so `rxgym/...`
 *   imports resolve to the sources): a `*.test.ts` block is imported here and its tests run in this file.
 * - Other TypeScript blocks run with tsx in the scratch folder (files they write stay there). Override: a
 *   `steps: N` above 2000 runs as `steps: 2_000` (training to a solved CartPole takes 50k steps).
 * - Shell blocks: `npx rxgym list | info | check-env` run as written; `train` runs with `--steps 300
 *   --eval-episodes 2 --out <scratch>/runs` appended; `eval <run>` runs on the run that `train dqn
 *   CartPole-v1` just wrote (for `<time>`); commands that serve (`watch`, `--watch`), resume or render a
 *   placeholder run are only parsed: the subcommand and every option must appear in its `--help`. `npx rxgym`
 *   runs as `node bin/rxgym.js` (what the bin is; npm 11.19's npx fails to run a package's own bin in its
 *   checkout). `npm ci` and `npm test` are checked against `.ci/run`, not run. The section "Use rxgym in your
 *   own project" is run for real by tests/e2e/package-install.test.ts.
 * A `// prints: text` line in a block means its output must contain `text`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OWN_PROJECT, readmeBlocks } from './readme-blocks.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const file = (path: string): string => readFileSync(join(root, path), 'utf8');

const blocks = readmeBlocks(readme);
const tsBlocks = blocks.filter((b) => b.lang === 'ts' && b.section !== OWN_PROJECT);
const named = tsBlocks.filter((b) => b.file !== undefined);
const scripts = tsBlocks.filter((b) => b.file === undefined);

mkdirSync(join(root, '.scratch'), { recursive: true });
const scratch = mkdtempSync(join(root, '.scratch', 'readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
for (const b of named) writeFileSync(join(scratch, basename(b.file!)), b.code);

/** Runs a command; resolves to its exit code and output (never rejects). */
function run(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** What a block's `// prints: text` lines say its output contains. */
const printed = (code: string): string[] => [...code.matchAll(/\/\/ prints: (.+)$/gm)].map((m) => m[1]!.trim());

describe('README TypeScript blocks', () => {
  it('has the blocks this test knows how to run', () => {
    expect(scripts.length).toBeGreaterThan(0);
    expect(named.map((b) => b.file)).toContain('examples/corridor.ts');
  });

  for (const b of named) {
    it(`shows ${b.file} exactly as the repository has it`, () => {
      expect(b.code).toBe(file(b.file!));
    });
  }

  scripts.forEach((b, i) => {
    const first = b.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? '';
    it(`runs block ${i + 1} of "${b.section}" (${first.trim().slice(0, 60)})`, async () => {
      const code = b.code.replace(/\bsteps: ([\d_]+)/g, (m, n: string) => (Number(n.replaceAll('_', '')) > 2000 ? 'steps: 2_000' : m));
      const path = join(scratch, `block-${i + 1}.ts`);
      writeFileSync(path, code);
      const r = await run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), path], scratch);
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.code).toBe(0);
      for (const text of printed(b.code)) expect(r.stdout).toContain(text);
    });
  });
});

// A `*.test.ts` block runs here: importing it registers its tests in this file (the README's conformance one-liner).
for (const b of named.filter((x) => x.file!.endsWith('.test.ts'))) {
  await import(pathToFileURL(join(scratch, basename(b.file!))).href);
}

/** One shell command of the README and what this test does with it. */
interface ShellCommand {
  line: string;
  section: string;
  how: 'run' | 'parse' | 'ci';
  args: string[];
}

/** Classifies the README's shell lines; throws for a line this test does not know, so a new one is never skipped. */
function shellCommands(): ShellCommand[] {
  const out: ShellCommand[] = [];
  for (const b of blocks.filter((x) => x.lang === 'sh' && x.section !== OWN_PROJECT)) {
    for (const raw of b.code.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line === '') continue;
      const words = (line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
      if (line === 'npm ci' || line === 'npm test') {
        out.push({ line, section: b.section, how: 'ci', args: words });
      } else if (words[0] === 'npx' && words[1] === 'rxgym') {
        const args = words.slice(2);
        const sub = args[0];
        const serves = sub === 'watch' || args.includes('--watch');
        const placeholder = args.some((a) => /<[^>]+>/.test(a));
        const runnable = sub === 'list' || sub === 'info' || sub === 'check-env' || (sub === 'train' && !args.includes('--resume')) || (sub === 'eval' && !serves);
        out.push({ line, section: b.section, how: runnable && !serves && (!placeholder || sub === 'eval') ? 'run' : 'parse', args });
      } else {
        throw new Error(`Expected a README shell command this test runs or parses (npm ci, npm test, npx rxgym ...), got "${line}": teach tests/readme.test.ts.`);
      }
    }
  }
  return out;
}

const commands = shellCommands();
const rxgym = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => run(process.execPath, [join(root, 'bin/rxgym.js'), ...args], root);
const helps = new Map<string, Promise<string>>();
const helpOf = (sub: string): Promise<string> => {
  if (!helps.has(sub)) helps.set(sub, rxgym([sub, '--help']).then((r) => (r.code === 0 ? r.stdout : `(no such subcommand: ${r.stderr})`)));
  return helps.get(sub)!;
};

describe('README shell commands', () => {
  it('has the commands this test knows how to run', () => {
    expect(commands.filter((c) => c.how === 'run').map((c) => c.args[0])).toEqual(expect.arrayContaining(['list', 'train', 'eval', 'check-env', 'info']));
  });

  it('tests with exactly what .ci/run runs, which installs chromium and ffmpeg when missing', () => {
    const ci = file('.ci/run');
    for (const c of commands.filter((x) => x.how === 'ci')) expect(ci).toMatch(new RegExp(`^${c.line}\\b`, 'm'));
    expect(commands.filter((x) => x.how === 'ci').map((c) => c.line)).toEqual(['npm ci', 'npm test']);
    expect(ci).toMatch(/apt-get install/);
    expect(ci).toMatch(/missing\+=\(chromium\)/);
    expect(ci).toMatch(/missing\+=\(ffmpeg\)/);
  });

  const runsDir = join(scratch, 'runs');
  for (const c of commands.filter((x) => x.how !== 'ci')) {
    it(`${c.how === 'run' ? 'runs' : 'parses'} \`${c.line}\` (${c.section})`, async () => {
      const sub = c.args[0]!;
      if (c.how === 'parse') {
        const help = await helpOf(sub);
        expect(help).toMatch(new RegExp(`^Usage: rxgym ${sub}\\b`, 'm'));
        for (const flag of c.args.filter((a) => a.startsWith('--'))) expect(help).toContain(flag);
        return;
      }
      let args = c.args;
      if (sub === 'train') {
        const at = args.indexOf('--steps');
        args = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
        args = [...args, '--steps', '300', '--eval-episodes', '2', '--out', runsDir];
      } else if (sub === 'eval') {
        const run = readdirSync(runsDir).filter((d) => d.startsWith('dqn-CartPole-v1-')).sort().at(-1);
        expect(run, 'a run folder from the README\'s `train dqn CartPole-v1`').toBeDefined();
        args = args.map((a) => (a.includes('<time>') ? join(runsDir, run!) : a));
      }
      const r = await rxgym(args);
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.code).toBe(0);
      if (sub === 'list') expect(r.stdout).toContain('CartPole-v1');
      if (sub === 'check-env') expect(r.stdout).not.toMatch(/FAIL/);
    });
  }
});
