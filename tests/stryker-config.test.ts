// `npm run mutate` mutates parts of some files by line ranges, which stryker.config.mjs computes from function names.
// These tests check that every range starts at the declaration of the function it names and ends at that function's
// last line, so a range that no longer fits its function fails here, not silently in a mutation run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Range { name: string; start: number; end: number }
interface StrykerConfigModule {
  default: { mutate: string[]; testFiles: string[] };
  FUNCTIONS: Record<string, string[]>;
  functionRanges(file: string, names: string[]): Range[];
}

const configUrl = new URL('../stryker.config.mjs', import.meta.url);
const config = (await import(configUrl.href)) as StrykerConfigModule;
const lines = (file: string): string[] => readFileSync(fileURLToPath(new URL(`../${file}`, import.meta.url)), 'utf8').split('\n');
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The line that declares `name` (a function, a const or, for `Class.method`, a method), by its own pattern. */
function declares(line: string, name: string): boolean {
  const method = name.split('.').at(-1)!;
  const modifiers = '(?:(?:export|async|function|const|protected|private|public|override|static)\\s+)*';
  return new RegExp(`^\\s*${modifiers}${escape(method)}\\s*(?:[(<]|=\\s)`).test(line);
}

/** The last line of the declaration starting at line `start` (1-based): the closing brace at its indentation, or its own line. */
function endOf(text: string[], start: number): number {
  const first = text[start - 1]!;
  const indent = /^\s*/.exec(first)![0];
  if (/;\s*$/.test(first)) return start; // a one-line const
  for (let i = start; i < text.length; i++) if (text[i] === `${indent}}`) return i + 1;
  return -1;
}

describe('stryker.config.mjs', () => {
  const entries = Object.entries(config.FUNCTIONS).flatMap(([file, names]) =>
    config.functionRanges(file, names).map((range, i) => ({ file, name: names[i]!, range })));

  it('lists some functions of every partly mutated file', () => {
    expect(entries.length).toBeGreaterThan(10);
    expect(Object.keys(config.FUNCTIONS)).toEqual(expect.arrayContaining(['replay/prioritized.ts', 'agents/dqn.ts', 'agents/ddpg.ts']));
  });

  it('each range starts at the declaration of the function it names and ends at its last line', () => {
    for (const { file, name, range } of entries) {
      const text = lines(file);
      expect(declares(text[range.start - 1]!, name), `${file}:${range.start} should declare ${name}: ${text[range.start - 1]}`).toBe(true);
      expect(range.end, `${file} ${name}`).toBe(endOf(text, range.start));
      // The line before the range is not part of the function: a comment, a blank line or the end of the previous one.
      expect(declares(text[range.start - 2] ?? '', name)).toBe(false);
    }
  });

  it('mutates exactly those ranges and the whole files', () => {
    const ranges = entries.map(({ file, range }) => `${file}:${range.start}-${range.end}`);
    expect(config.default.mutate.filter((m) => m.includes(':'))).toEqual(ranges);
    for (const m of config.default.mutate) expect(existsSync(fileURLToPath(new URL(`../${m.split(':')[0]}`, import.meta.url))), m).toBe(true);
  });

  it("covers the model zoo's losses and likelihoods, with every models/*-math test", () => {
    expect(Object.keys(config.FUNCTIONS)).toEqual(expect.arrayContaining([
      'models/vae.ts', 'models/rbm.ts', 'models/bayes/heteroscedastic.ts', 'models/bayes/fit-data.ts', 'models/flow.ts', 'models/made.ts',
      'models/pixelcnn.ts', 'models/gan.ts', 'models/gan-penalty.ts', 'models/bayes/mc-dropout.ts', 'models/bayes/ensemble.ts',
    ]));
    expect(config.default.mutate).toEqual(expect.arrayContaining(['models/vae-bounds.ts', 'models/rbm-energy.ts', 'models/rbm-log-z.ts']));
    const mathTests = readdirSync(fileURLToPath(new URL('./models/', import.meta.url))).filter((f) => f.endsWith('-math.test.ts'));
    expect(mathTests.length).toBeGreaterThanOrEqual(8);
    for (const f of mathTests) expect(config.default.testFiles, f).toContain(`tests/models/${f}`);
  });

  it('runs test files that exist', () => {
    for (const f of config.default.testFiles) expect(existsSync(fileURLToPath(new URL(`../${f}`, import.meta.url))), f).toBe(true);
  });

  it('stops with the name to fix when a function is missing or ambiguous', () => {
    expect(() => config.functionRanges('agents/dqn.ts', ['tdTargetz'])).toThrow(
      'stryker.config.mjs: expected one function tdTargetz in agents/dqn.ts, found 0: update FUNCTIONS',
    );
    // A method needs its class: ReplayBuffer.sampleInto, not sampleInto.
    expect(() => config.functionRanges('replay/replay-buffer.ts', ['sampleInto'])).toThrow('found 0');
  });

  it('finds a method, a function and a one-line const by hand-checked lines', () => {
    const [find] = config.functionRanges('replay/sum-tree.ts', ['SumTree.find']);
    const text = lines('replay/sum-tree.ts');
    expect(text[find!.start - 1]).toBe('  find(mass: number): number {');
    expect(text[find!.end - 1]).toBe('  }');
    expect(text.slice(find!.start, find!.end - 1).some((l) => l.includes('return i - base;'))).toBe(true);
    const [valueLoss] = config.functionRanges('agents/reinforce.ts', ['valueLoss']);
    expect(valueLoss!.start).toBe(valueLoss!.end);
    expect(lines('agents/reinforce.ts')[valueLoss!.start - 1]).toMatch(/^export const valueLoss = /);
  });
});
