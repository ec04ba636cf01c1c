import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DQN, sink } from './helpers.js';
import { CorruptFile, InvalidConfig, UnregisteredEnv } from '../../core/errors.js';
import { trainCommand, parseSet } from '../../cli/commands/train.js';
import { evalCommand } from '../../cli/commands/eval.js';
import { infoCommand } from '../../cli/commands/info.js';
import { describeProgress, progressBar } from '../../cli/progress.js';


let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-train-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rxgym train dqn', () => {
  it('makes a run folder, checkpoints, stops on abort with a resume hint, resumes, and evaluates', async () => {
    const out = join(root, 'runs');
    const stdout = sink();
    const stderr = sink();
    const controller = new AbortController();
    let seen = 0;
    // Abort (as Ctrl-C does) once the second checkpoint exists: the run is mid-way then.
    const timer = setInterval(() => {
      const runs = existsSync(out) ? readdirSync(out) : [];
      const cps = runs.length ? join(out, runs[0]!, 'checkpoints') : '';
      seen = cps && existsSync(cps) ? readdirSync(cps).length : 0;
      if (seen >= 2) controller.abort();
    }, 5);
    const first = await trainCommand(
      'dqn',
      'CartPole-v1',
      { steps: 400_000, out, seed: 3, set: TINY_DQN, checkpointEvery: 1000, checkpointReplay: true, plain: true },
      { stdout, stderr, signal: controller.signal },
    );
    clearInterval(timer);
    expect(first.stopped).toBe('aborted');
    expect(first.step).toBeGreaterThanOrEqual(2000);
    expect(first.step).toBeLessThan(400_000);
    const run = first.run;
    expect(run.name).toMatch(/^dqn-CartPole-v1-\d{8}-\d{6}$/);
    const text = stdout.text();
    expect(text).toContain(`Interrupted at step ${first.step}/400000: checkpoint written to`);
    expect(text).toMatch(/Resume with: rxgym train --resume \S+/);
    expect(existsSync(join(run.checkpoints, String(first.step), 'manifest.json'))).toBe(true);
    expect(existsSync(join(run.checkpoints, String(first.step), 'replay', 'replay.json'))).toBe(true);
    expect(stderr.text()).toContain('dqn: engine plain');
    // The progress line shows DQN's own metrics, named by its registry entry.
    expect(stderr.text()).toMatch(/dqn CartPole-v1 \d+\/400000 .* eps [\d.]+  loss [-\d.e]+/);

    // config.json and metrics.jsonl: one line per episode and per log interval.
    const config = JSON.parse(readFileSync(run.config, 'utf8'));
    expect(config).toMatchObject({ algo: 'dqn', env: 'CartPole-v1', steps: 400_000, checkpointEvery: 1000, preset: 'CartPole-v1' });
    expect(config.config).toMatchObject({ seed: 3, batchSize: 16, hidden: [16], learningRate: 0.0023 });
    const lines = readFileSync(run.metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const episodes = lines.filter((l) => l.kind === 'episode');
    const logs = lines.filter((l) => l.kind === 'log');
    expect(episodes.length).toBeGreaterThan(10);
    expect(episodes[0]).toMatchObject({ kind: 'episode', episode: 0 });
    expect(Object.keys(episodes[0]).sort()).toEqual(['episode', 'epsilon', 'kind', 'length', 'return', 'step', 'terminated', 'truncated']);
    expect(logs.map((l) => l.step).slice(0, 3)).toEqual([500, 1000, 1500]);
    expect(Object.keys(logs[0])).toEqual(expect.arrayContaining(['step', 'loss', 'epsilon', 'fps', 'meanReturn']));

    // A save that crashed: a newer checkpoint without manifest, and one with a truncated file.
    const crashed = join(run.checkpoints, String(first.step + 1000));
    await mkdir(crashed);
    await writeFile(join(crashed, 'tensors.bin'), 'partial');
    const cut = join(run.checkpoints, String(first.step + 2000));
    await mkdir(cut);
    const { cp } = await import('node:fs/promises');
    await cp(join(run.checkpoints, String(first.step)), cut, { recursive: true });
    await truncate(join(cut, 'tensors.bin'), 5);

    const stdout2 = sink();
    const stderr2 = sink();
    const second = await trainCommand('dqn', undefined, { resume: run.dir, steps: first.step + 600, plain: true, evalEpisodes: 2 }, { stdout: stdout2, stderr: stderr2 });
    expect(stdout2.text()).toContain(`from step ${first.step} `);
    expect(stderr2.text()).toContain(`skipping damaged checkpoint`);
    expect(stderr2.text()).toContain(String(first.step + 1000));
    expect(stderr2.text()).toContain(String(first.step + 2000));
    expect(stderr2.text()).toContain('tensors.bin');
    expect(second.stopped).toBe('done');
    expect(second.step).toBe(first.step + 600);
    expect(stdout2.text()).toMatch(/Greedy evaluation: [\d.]+ \+- [\d.]+ over 2 episodes\./);
    expect(existsSync(join(run.final, 'manifest.json'))).toBe(true);
    // The resumed run appends to the same metrics file, with global episode numbers.
    const after = readFileSync(run.metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const eps2 = after.filter((l) => l.kind === 'episode');
    expect(eps2.length).toBeGreaterThan(episodes.length);
    expect(eps2.at(-1).step).toBeLessThanOrEqual(first.step + 600);
    expect(after.at(-1)).toMatchObject({ kind: 'eval', step: first.step + 600, episodes: 2 });

    // rxgym eval <run> --json
    const evalOut = sink();
    const report = await evalCommand(run.dir, { episodes: 3, seed: 7, json: true }, { stdout: evalOut });
    expect(JSON.parse(evalOut.text())).toEqual(report);
    expect(report).toMatchObject({ env: 'CartPole-v1', episodes: 3, seed: 7, step: first.step + 600 });
    expect(report.returns).toHaveLength(3);
    const plainOut = sink();
    await evalCommand(run.dir, { episodes: 2, seed: 7 }, { stdout: plainOut });
    expect(plainOut.text()).toMatch(/^CartPole-v1: greedy return [\d.]+ \+- [\d.]+ over 2 episodes \(seed 7, .*final, step \d+\)\n$/);
  });

  it('gives typed errors that say what to do', async () => {
    const io = { stdout: sink(), stderr: sink() };
    await expect(trainCommand('ppo', 'CartPole-v1', {}, io)).rejects.toThrow('Expected an algorithm, one of dqn, reinforce, ddpg, td3; got "ppo".');
    await expect(trainCommand('dqn', 'CartPol-v1', { out: root }, io)).rejects.toThrow(UnregisteredEnv);
    await expect(trainCommand('dqn', 'CartPol-v1', { out: root }, io)).rejects.toThrow(/Did you mean `CartPole-v1`\?/);
    await expect(trainCommand('dqn', 'Pendulum-v1', { out: root }, io)).rejects.toThrow(/^Expected a discrete action space for dqn, got Box/);
    await expect(trainCommand('dqn', 'CartPole-v1', { out: root, set: ['batchSize=-4'] }, io)).rejects.toThrow(
      new InvalidConfig('Expected dqn.batchSize to be an integer from 1 to 1e6, got -4.'),
    );
    await expect(trainCommand('dqn', 'CartPole-v1', { out: root, set: ['gamma'] }, io)).rejects.toThrow('Expected --set key=value (e.g. --set learningRate=0.001), got "gamma".');
    await expect(trainCommand('dqn', 'CartPole-v1', { out: root, steps: 'many' }, io)).rejects.toThrow('Expected --steps to be a whole number >= 1 (digits only), got "many".');
    await expect(trainCommand('dqn', 'CartPole-v1', { out: root, steps: '0x10' }, io)).rejects.toThrow('Expected --steps to be a whole number >= 1 (digits only), got "0x10".');
    await expect(trainCommand('dqn', 'CartPole-v1', { out: root, steps: ' 7 ' }, io)).rejects.toThrow('Expected --steps to be a whole number >= 1 (digits only), got " 7 ".');
    await expect(trainCommand('dqn', 'CartPole-v1', { out: root, set: ['__proto__={"x":1}'] }, io)).rejects.toThrow('Expected --set to name a config field (letters, digits, _), got "__proto__".');
    await expect(evalCommand(join(root, 'nothing'), { episodes: '1e9' })).rejects.toThrow('Expected --episodes to be a whole number from 1 to 100000 (digits only), got "1e9".');
    await expect(trainCommand('dqn', undefined, { resume: 'no-such-run', out: root }, io)).rejects.toThrow(/^Expected a run folder \(with config.json\), got "no-such-run"\./);
    await expect(evalCommand(join(root, 'nothing'))).rejects.toThrow(InvalidConfig);
  });

  it('eval falls back from a corrupt final checkpoint to the newest complete one, and says so', async () => {
    const out = join(root, 'corrupt');
    const r = await trainCommand('dqn', 'CartPole-v1', { out, steps: 300, set: TINY_DQN, plain: true, evalEpisodes: 0 }, { stdout: sink(), stderr: sink() });
    await truncate(join(r.run.final, 'tensors.bin'), 7);
    const stderr = sink();
    const report = await evalCommand(r.run.dir, { episodes: 1 }, { stdout: sink(), stderr });
    expect(report.checkpoint).toBe(join(r.run.checkpoints, '300'));
    expect(report.fellBack?.from).toBe(r.run.final);
    expect(stderr.text()).toMatch(/^rxgym: evaluating .*checkpoints\/300 instead of .*final: .*tensors\.bin/);
    // With every checkpoint damaged, eval names the file.
    for (const step of readdirSync(r.run.checkpoints)) await truncate(join(r.run.checkpoints, step, 'tensors.bin'), 7);
    const err = await evalCommand(r.run.dir, { episodes: 1 }, { stdout: sink(), stderr: sink() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as CorruptFile).message).toContain('tensors.bin');
  });

  it('parses --set values as JSON where they parse', () => {
    expect(parseSet(['learningRate=1e-3', 'hidden=[32,32]', 'double=true', 'activation=tanh', 'maxGradNorm=null'])).toEqual({
      learningRate: 0.001,
      hidden: [32, 32],
      double: true,
      activation: 'tanh',
      maxGradNorm: null,
    });
  });

  it('Ctrl-C (SIGINT) in a real process writes a checkpoint and exits with a resume hint', async () => {
    const out = join(root, 'sigint');
    const script = `import { trainCommand } from ${JSON.stringify(join(process.cwd(), 'cli/commands/train.ts'))};
      const o = await trainCommand('dqn', 'CartPole-v1', { steps: 10000000, out: ${JSON.stringify(out)}, set: ${JSON.stringify(TINY_DQN)}, plain: true });
      process.exitCode = o.stopped === 'aborted' ? 130 : 0;`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
      // Interrupt once training runs (the first progress line is out).
      if (stderr.includes('dqn CartPole-v1 ') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).toContain('Ctrl-C: finishing the current step and writing a checkpoint');
    expect(code).toBe(130);
    expect(stdout).toMatch(/Interrupted at step \d+\/10000000: checkpoint written to .*checkpoints[\\/]\d+\./);
    expect(stdout).toMatch(/Resume with: rxgym train --resume \S+/);
    const step = /Interrupted at step (\d+)/.exec(stdout)![1]!;
    const run = readdirSync(out)[0]!;
    expect(existsSync(join(out, run, 'checkpoints', step, 'manifest.json'))).toBe(true);
  });
});

describe('rxgym info', () => {
  it('reports the backend and versions', async () => {
    const out = sink();
    const r = await infoCommand({ backend: 'cpu', json: true }, { stdout: out });
    expect(JSON.parse(out.text())).toEqual(r);
    expect(r).toMatchObject({ backend: 'cpu', tfjs: '4.22.0', node: process.versions.node, simd: null, threads: null });
    expect(r.rxgym).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('progress bar', () => {
  it('prints plain lines when stderr is not a terminal, throttled', () => {
    const out = sink();
    const bar = progressBar({ stream: out as unknown as NodeJS.WriteStream, tty: false, plainInterval: 3600, label: 'dqn CartPole-v1' });
    bar.update({ step: 10, total: 100, fps: 1234.5, meanReturn: 21.5, fields: [{ label: 'eps', value: 0.5, digits: 3 }, { label: 'loss', value: 0.25, digits: 4 }], episodes: 2 });
    bar.update({ step: 20, total: 100 }); // throttled
    bar.done({ step: 100, total: 100, fps: 1000, meanReturn: 500, fields: [{ label: 'eps', value: 0.04, digits: 3 }, { label: 'loss', value: 0.0001, digits: 4 }] });
    expect(out.text()).toBe(
      'dqn CartPole-v1 10/100 (10%)  fps 1235  return 21.5  eps 0.500  loss 0.2500  ep 2\n' +
        'dqn CartPole-v1 100/100 (100%)  fps 1000  return 500.0  eps 0.040  loss 1.00e-4\n',
    );
  });

  it('redraws one line on a terminal', () => {
    const out = sink();
    const bar = progressBar({ stream: out as unknown as NodeJS.WriteStream, tty: true, redrawInterval: 0 });
    bar.update({ step: 50, total: 100 });
    bar.done();
    expect(out.text()).toContain('\r\x1b[2K[###############---------------] 50/100 (50%)');
    expect(out.text().endsWith('\n')).toBe(true);
    expect(describeProgress({ step: 0, total: 0 })).toBe('0/0 (0%)  fps -  return -');
  });
});

describe('fmtReturn', () => {
  it('keeps one decimal for returns, three where one would round a small return away', async () => {
    const { fmtReturn } = await import('../../cli/progress.js');
    expect(fmtReturn(500)).toBe('500.0');
    expect(fmtReturn(-85.71)).toBe('-85.7');
    expect(fmtReturn(0.976)).toBe('0.976');
    expect(fmtReturn(0)).toBe('0.0');
  });
});
