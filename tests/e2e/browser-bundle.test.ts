/**
 * rxgym/core, rxgym/envs, rxgym/replay and rxgym/nn run in a browser: each entry bundles with esbuild for the
 * browser with nothing external (a Node built-in anywhere below it fails the build), and a page built from
 * browser-scenario.ts runs in Debian's headless chromium and reports the same numbers as Node.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildFailure } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type ScenarioResult } from './browser-scenario.js';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../../', import.meta.url));
const BROWSER_SAFE = ['core/index.ts', 'envs/index.ts', 'replay/index.ts', 'nn/index.ts', 'index.ts'];

/** Bundles `entry` for the browser; resolves to the bundle's source files, rejects with esbuild's errors. */
async function browserBundle(entry: string): Promise<{ inputs: string[]; code: string }> {
  const result = await build({
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { inputs: Object.keys(result.metafile.inputs), code: result.outputFiles[0]!.text };
}

/** The esbuild error texts of a failed build ('' when it built). */
async function buildErrors(entry: string): Promise<string> {
  try {
    await browserBundle(entry);
    return '';
  } catch (err) {
    return (err as BuildFailure).errors.map((e) => `${e.location?.file ?? '?'}: ${e.text}`).join('\n');
  }
}

describe('browser-safe entries', () => {
  for (const entry of BROWSER_SAFE) {
    it(`${entry} bundles for the browser with no Node built-in and none of rxgym's node/ modules`, async () => {
      expect(await buildErrors(entry)).toBe('');
      const { inputs } = await browserBundle(entry);
      expect(inputs.filter((f) => !f.startsWith('node_modules/') && /(^|\/)node(\/|\.ts$)/.test(f))).toEqual([]);
    });
  }

  it('the check fails for the Node-only entry (so it can catch a node: import)', async () => {
    expect(await buildErrors('node.ts')).toMatch(/Could not resolve "node:/);
  });
});

describe('in headless chromium', () => {
  let dir: string;
  let server: Server;
  let context: BrowserContext;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Expected Debian's chromium at ${CHROMIUM}, got no such file: install it with \`apt-get install -y chromium\`.`);
    }
    dir = mkdtempSync(join(tmpdir(), 'rxgym-bundle-'));
    const page = await build({
      stdin: {
        contents: `import { runScenario } from './browser-scenario.ts';
          try { window.__result = runScenario(); } catch (err) { window.__result = { error: String(err && err.stack || err) }; }`,
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
        loader: 'ts',
      },
      absWorkingDir: root,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const script = page.outputFiles[0]!.text;
    const html = '<!doctype html><meta charset="utf-8"><title>rxgym bundle</title><script type="module" src="/page.js"></script>';
    server = createServer((req, res) => {
      const js = req.url === '/page.js';
      res.writeHead(js || req.url === '/' ? 200 : 404, { 'content-type': js ? 'text/javascript' : 'text/html' });
      res.end(js ? script : req.url === '/' ? html : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('steps CartPole, samples replay and runs a plain-engine net exactly as Node does', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout: 30_000 });
    const inBrowser = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as ScenarioResult | { error: string };
    expect(errors).toEqual([]);
    expect('error' in inBrowser ? inBrowser.error : '').toBe('');
    const browser = inBrowser as ScenarioResult;
    const node = runScenario();
    expect(browser.observations).toHaveLength(31);
    expect(browser.observations[0]).toEqual(node.observations[0]);
    expect(browser).toEqual(node);
    expect(browser.batchSize).toBe(8);
    expect(browser.stored).toBe(30);
    expect(browser.netEngine).toBe('plain');
    expect(browser.kernel).toBe('simd');
    expect(browser.netOutput).toHaveLength(10);
  });
});
