/**
 * The README's "Use rxgym in your own project", for real: build the package into a staging folder (what
 * `npm pack` packs: package.json, README, bin, presets and dist, here without the viewer's vite build and
 * without touching the checkout's dist/), pack it, `npm install --prefer-offline` the tarball into a fresh
 * project outside the repository, and run the section's JavaScript block there with plain node. Its
 * `// prints:` line must appear in the output. About 30 s, most of it npm install.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OWN_PROJECT, readmeBlocks } from '../readme-blocks.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8')).filter((b) => b.section === OWN_PROJECT);
const work = mkdtempSync(join(tmpdir(), 'rxgym-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a command; resolves to its exit code and output (never rejects). */
function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 240_000, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

describe(`README "${OWN_PROJECT}"`, () => {
  it('installs from an npm pack tarball into a fresh project, where its example runs with node', async () => {
    const js = blocks.filter((b) => b.lang === 'js');
    expect(js, `one js block in the README section "${OWN_PROJECT}"`).toHaveLength(1);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
    const tarball = `${pkg.name}-${pkg.version}.tgz`;
    // The README names the tarball npm pack writes; a version bump must update it.
    expect(blocks.filter((b) => b.lang === 'sh').map((b) => b.code).join('')).toContain(tarball);

    const stage = join(work, 'stage');
    mkdirSync(stage);
    for (const f of ['package.json', 'README.md', 'bin', 'presets']) cpSync(join(root, f), join(stage, f), { recursive: true });
    const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], root);
    expect(tsc.out).toBe('');
    expect(tsc.code).toBe(0);
    const pack = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], stage);
    expect(pack.code).toBe(0);
    expect(readdirSync(work)).toContain(tarball);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'module' }));
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], app);
    expect(install.code, install.out).toBe(0);
    writeFileSync(join(app, 'main.mjs'), js[0]!.code);
    const main = await run(process.execPath, ['main.mjs'], app);
    expect(main.code, main.out).toBe(0);
    const prints = [...js[0]!.code.matchAll(/\/\/ prints: (.+)$/gm)].map((m) => m[1]!.trim());
    expect(prints.length).toBeGreaterThan(0);
    for (const text of prints) expect(main.out).toContain(text);
  }, 300_000);
});
