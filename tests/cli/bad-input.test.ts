/**
 * Bad input to the command line, run as a user runs it (the CLI entry in a child process): each case ends
 * with exit code 1 and ONE line on stderr starting with `rxgym:`, never a stack trace. The only other
 * stderr line allowed is the engine line `train` prints before a run starts (`dqn: engine ...`), which
 * comes before an error raised by the env's first reset.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../cli/commands/train.js';
import { TINY_DQN, sink } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let tmp: string;
let aFile: string;
let run: string;
let nullRun: string;

/** `node --import tsx cli/main.ts <args>` from the repository root. */
function rxgym(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 90_000 });
  return { status: res.status, stderr: res.stderr, stdout: res.stdout };
}

/** Exit code 1 and one `rxgym:` line on stderr (besides the engine line), with no stack trace. */
function expectOneLine(res: { status: number | null; stderr: string }, message: RegExp): void {
  expect(res.stderr, res.stderr).not.toMatch(/^\s+at /m);
  const lines = res.stderr.split('\n').filter((l) => l !== '' && !/^\w+: engine /.test(l));
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^rxgym: /);
  expect(lines[0]).toMatch(message);
  expect(res.status).toBe(1);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rxgym-bad-input-'));
  aFile = join(tmp, 'a-file.txt');
  writeFileSync(aFile, 'not a folder\n');
  const trained = await trainCommand('dqn', 'CartPole-v1', { steps: 300, seed: 1, set: TINY_DQN, out: join(tmp, 'runs'), plain: true, evalEpisodes: 0 }, { stdout: sink(), stderr: sink() });
  run = trained.run.dir;
  nullRun = join(tmp, 'runs', 'dqn-CartPole-v1-null-config');
  mkdirSync(nullRun, { recursive: true });
  writeFileSync(join(nullRun, 'config.json'), 'null\n');
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('rxgym on bad input: one line on stderr, exit code 1', () => {
  const out = (): string => join(tmp, 'runs');
  it.each<[string, () => string[], RegExp]>([
    ['train --out <a file>', () => ['train', 'dqn', 'CartPole-v1', '--out', aFile, '--steps', '300'], /to be a folder/],
    ['eval --record-dir <a file>', () => ['eval', run, '--record-dir', aFile], /^rxgym: InvalidConfig: Expected --record-dir to be a folder, got ".*a-file\.txt", which is a file\.$/],
    ['train --set hidden=[100000,100000]', () => ['train', 'dqn', 'CartPole-v1', '--out', out(), '--steps', '300', '--set', 'hidden=[100000,100000]'], /1\.00e\+10 parameters: 40\.0 GB a copy, about 200 GB to train/],
    ['train on a custom env whose reset() returns undefined', () => ['train', 'dqn', './tests/fixtures/bad-envs.ts:NullReset', '--out', out(), '--steps', '300'], /NullReset.*reset\(\).*got undefined/],
    ['train --resume of a run whose config.json is null', () => ['train', '--resume', nullRun], /config\.json.*got null/],
    ['train --steps 0x10', () => ['train', 'dqn', 'CartPole-v1', '--out', out(), '--steps', '0x10'], /--steps.*"0x10"/],
    ['train --steps " 7 "', () => ['train', 'dqn', 'CartPole-v1', '--out', out(), '--steps', ' 7 '], /--steps.*" 7 "/],
    ['train --set __proto__=1', () => ['train', 'dqn', 'CartPole-v1', '--out', out(), '--steps', '300', '--set', '__proto__=1'], /"__proto__"/],
    ['eval --episodes 1e9', () => ['eval', run, '--episodes', '1e9'], /--episodes.*"1e9"/],
  ])('%s', (_name, args, message) => {
    expectOneLine(rxgym(...args()), message);
  }, 120_000);
});
