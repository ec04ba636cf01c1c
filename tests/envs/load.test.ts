/**
 * Loading a user's TypeScript environment from a folder outside the repository whose package.json does not
 * say `"type": "module"`, or that has no package.json at all: both used to fail with "Cannot require() ES
 * Module ... in a cycle".
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../envs/load.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** The README's corridor, split over two files so that a relative import is loaded too. */
function writeEnv(dir: string, rxgymCore: string): void {
  writeFileSync(
    join(dir, 'walls.ts'),
    `export const LENGTH: number = await Promise.resolve(6); // top-level await needs an ES module\n`,
  );
  writeFileSync(
    join(dir, 'corridor.ts'),
    `import { BaseEnv, box, discrete, type ResetArgs } from ${JSON.stringify(rxgymCore)};
import { LENGTH } from './walls.js';

export default class Corridor extends BaseEnv<Float32Array, number> {
  readonly observationSpace = box({ low: 0, high: 1, shape: [1] });
  readonly actionSpace = discrete(2);
  private pos = 0;
  reset({ seed }: ResetArgs = {}) {
    this.seedRng(seed);
    this.pos = this.rng.int(LENGTH - 1);
    return { obs: Float32Array.of(this.pos / (LENGTH - 1)), info: {} };
  }
  step(action: number) {
    this.pos = Math.max(0, Math.min(LENGTH - 1, this.pos + (action === 1 ? 1 : -1)));
    const done = this.pos === LENGTH - 1;
    return { obs: Float32Array.of(this.pos / (LENGTH - 1)), reward: done ? 1 : -0.01, terminated: done, truncated: false, info: {} };
  }
}
`,
  );
}

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rxgym-load-'));
  folders.push(dir);
  return dir;
}

/** A folder with `{ "name": ... }` but no "type", that imports `rxgym/core` as an installed package. */
function folderWithoutType(): string {
  const dir = tempFolder();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-envs', private: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'rxgym'), 'dir');
  writeEnv(dir, 'rxgym/core');
  return dir;
}

/** A folder with no package.json, that imports rxgym's sources by path. */
function folderWithoutPackageJson(): string {
  const dir = tempFolder();
  writeEnv(dir, pathToFileURL(join(root, 'core', 'index.ts')).href);
  return dir;
}

function checkEnvCli(cwd: string, target: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'rxgym.js'), 'check-env', target], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number(err.code ?? 1), stdout, stderr });
    });
  });
}

describe('loadEnv on a TypeScript module outside an ES-module package', () => {
  it.each([
    ['a package.json without "type"', folderWithoutType],
    ['no package.json', folderWithoutPackageJson],
  ])('rxgym check-env loads it from a folder with %s', async (_kind, make) => {
    const dir = make();
    const { code, stdout, stderr } = await checkEnvCli(dir, './corridor.ts');
    expect(stderr).toBe('');
    expect(stdout).toContain('13 checks passed.');
    expect(code).toBe(0);
  });

  it('loadEnv gives the default export, constructed, with its relative import evaluated', async () => {
    const dir = folderWithoutPackageJson();
    const env = await loadEnv(join(dir, 'corridor.ts'));
    const { obs } = env.reset({ seed: 3 });
    expect(obs).toBeInstanceOf(Float32Array);
    // LENGTH comes from walls.ts: 6 cells, so positions are multiples of 1/5.
    expect(Math.round((obs as Float32Array)[0]! * 5) / 5).toBeCloseTo((obs as Float32Array)[0]!, 6);
    env.close();
  });
});
