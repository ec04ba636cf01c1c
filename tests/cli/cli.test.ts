import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rxgym = (...args: string[]) => spawnSync(process.execPath, ['bin/rxgym.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('rxgym CLI', () => {
  it('list prints every built-in env with spaces and limits', () => {
    const out = rxgym('list');
    expect(out.status).toBe(0);
    const line = out.stdout.split('\n').find((l) => l.startsWith('CartPole-v1'));
    expect(line).toMatch(/Box\(\[-4\.8, -inf, -0\.41887903, -inf\], \[4\.8, inf, 0\.41887903, inf\], \[4\], float32\)\s+Discrete\(2\)\s+500\s+475/);
    for (const id of ['MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1', 'FrozenLake-v1', 'FrozenLake8x8-v1', 'CliffWalking-v1', 'Taxi-v4', 'Blackjack-v1']) {
      expect(out.stdout).toContain(id);
    }
    const json = JSON.parse(rxgym('list', '--json').stdout) as { id: string; maxEpisodeSteps: number | null }[];
    expect(json.find((r) => r.id === 'Pendulum-v1')?.maxEpisodeSteps).toBe(200);
  });

  it('check-env passes the README example and a built-in, by path and by id', () => {
    const byPath = rxgym('check-env', './examples/corridor.ts');
    expect(byPath.status).toBe(0);
    expect(byPath.stdout).toContain('13 checks passed.');
    const named = rxgym('check-env', './examples/corridor.ts:Corridor', '--kwargs', '{"length": 4}');
    expect(named.status).toBe(0);
    const byId = rxgym('check-env', 'MountainCar-v0', '--json');
    expect(JSON.parse(byId.stdout).ok).toBe(true);
  });

  it('a misspelt id and a missing module give typed one-line errors and exit code 1', () => {
    const misspelt = rxgym('check-env', 'CartPol-v1');
    expect(misspelt.status).toBe(1);
    expect(misspelt.stderr.trim()).toBe('rxgym: UnregisteredEnv: Expected a registered environment id, got "CartPol-v1". Did you mean `CartPole-v1`?');
    const missing = rxgym('check-env', './nowhere/env.ts');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('rxgym: InvalidConfig: Expected an environment module at "./nowhere/env.ts", got no such file');
    const badExport = rxgym('check-env', './examples/corridor.ts:Nope');
    expect(badExport.stderr).toContain('Expected "./examples/corridor.ts" to export "Nope", got exports: Corridor.');
  });
});
