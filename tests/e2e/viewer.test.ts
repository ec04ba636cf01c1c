/**
 * The viewer in a real browser: Debian's headless chromium opens recorded CartPole episodes served by
 * startServer, steps frames with the keyboard, and the screenshot's pixels must put the cart and the pole
 * where the recorded state says.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RectShape } from '../../core/scene.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { liveViewer } from '../../render/live.js';
import { startServer, type ViewerServer } from '../../render/server.js';
import { sceneView } from '../../render/view.js';
import { headerLine, recordCartPole, writeRun, type RecordedStep } from '../render/server-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const RUN = 'dqn-CartPole-v1-20261123-230000';

let root: string;
let server: ViewerServer;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
// Episode 0 falls to the right while pushed left; episode 1 falls to the left while pushed right.
const episodes: RecordedStep[][] = [recordCartPole([-1.2, 0, 0.1, 0], 0), recordCartPole([1.1, 0, -0.1, 0], 1)];

/** `path` when chromium is there; otherwise the failure CI shows (never a skip). */
function requireChromium(path: string): string {
  if (!existsSync(path)) {
    throw new Error(`Expected Debian's chromium at ${path}, got no such file: install the Debian package with \`apt-get install -y chromium\`.`);
  }
  return path;
}

beforeAll(async () => {
  requireChromium(CHROMIUM);
  root = mkdtempSync(join(tmpdir(), 'rxgym-e2e-'));
  const dir = writeRun(join(root, 'runs'), RUN, episodes);
  writeFileSync(join(dir, 'episodes', 'episode-2.ndjson'), `${headerLine(2)}\n{"t":0,"sce`);
  server = await startServer({ runsDir: join(root, 'runs'), build: 'build' });
  expect(server.viewerReady).toBe(true);
  context = await chromium.launchPersistentContext(join(root, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** RGBA pixels of the scene canvas as the browser shows it. */
async function canvasPixels(): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const png = await page.locator('#scene-canvas').screenshot();
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: g.getImageData(0, 0, img.width, img.height).data };
}

/** Per row (top to bottom), the columns of the longest run of pixels matching `match`. */
function rowsOf(px: { width: number; height: number; data: Uint8ClampedArray }, match: (r: number, g: number, b: number) => boolean): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y < px.height; y++) {
    let best: number[] = [];
    let run: number[] = [];
    for (let x = 0; x < px.width; x++) {
      const i = (y * px.width + x) * 4;
      if (match(px.data[i]!, px.data[i + 1]!, px.data[i + 2]!)) run.push(x);
      else run = [];
      if (run.length > best.length) best = run;
    }
    rows.push(best);
  }
  return rows;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Checks the cart's and the pole's pixels against recorded step `k` of `steps`. */
async function expectFrameMatches(steps: RecordedStep[], k: number, lean: 'left' | 'right'): Promise<void> {
  const px = await canvasPixels();
  if (process.env.RXGYM_E2E_SHOTS) await page.locator('#scene-canvas').screenshot({ path: join(process.env.RXGYM_E2E_SHOTS, `frame-${k}-${lean}.png`) });
  const scene = steps[k]!.scene;
  const view = sceneView(scene, px.width, px.height);
  const cart = scene.shapes[1] as RectShape;
  const cartWidthPx = cart.width * view.sx;
  // Cart rows: dark runs about one cart wide below the track line (above it the pole and the axle cover
  // part of the cart; the track line itself spans the whole frame).
  const dark = rowsOf(px, (r, g, b) => r < 70 && g < 70 && b < 70);
  const cartRows = dark.filter((cols, y) => y > view.oy + 1 && cols.length > cartWidthPx * 0.6 && cols.length < cartWidthPx * 1.4);
  expect(cartRows.length).toBeGreaterThan(cart.height * view.sy * 0.3);
  const cartCol = mean(cartRows.flat());
  const expectedCol = view.ox + steps[k]!.state[0]! * view.sx;
  expect(Math.abs(cartCol - expectedCol), `frame ${k}: cart at column ${cartCol.toFixed(1)}, expected ${expectedCol.toFixed(1)} (x = ${steps[k]!.state[0]}, ${px.width} px wide)`).toBeLessThan(2);
  // The pole (#ca9865): its top rows lean the way theta says (theta > 0 leans right).
  const pole = rowsOf(px, (r, g, b) => Math.abs(r - 0xca) < 40 && Math.abs(g - 0x98) < 40 && Math.abs(b - 0x65) < 40);
  const poleRows = pole.filter((cols) => cols.length > 0);
  expect(poleRows.length).toBeGreaterThan(40);
  const top = mean(poleRows.slice(0, 5).flat());
  const theta = steps[k]!.state[2]!;
  expect(Math.sign(theta)).toBe(lean === 'right' ? 1 : -1);
  // The pole is 1 m long from the axle: its top is about sin(theta) m to the side of the cart.
  const expectedOffset = Math.sin(theta) * view.sx;
  expect(lean === 'right' ? top - cartCol : cartCol - top).toBeGreaterThan(Math.abs(expectedOffset) * 0.6);
  expect(Math.abs(top - cartCol - expectedOffset)).toBeLessThan(Math.abs(expectedOffset) * 0.4 + 4);
}

const frameIs = (k: number) => page.waitForSelector(`#app[data-state=ready][data-frame="${k}"]`, { timeout: 10_000 });

describe('the viewer in headless chromium', () => {
  it('lists the run and its episodes with return and length, marking the corrupt one', async () => {
    await page.goto(`${server.url}?run=${RUN}&episode=episode-0.ndjson`);
    await frameIs(0);
    await expect(page.locator('#runs li').count()).resolves.toBe(1);
    const items = page.locator('#episodes li');
    await expect(items.count()).resolves.toBe(3);
    await expect(items.nth(0).locator('.len').textContent()).resolves.toBe(String(episodes[0]!.length));
    await expect(items.nth(0).locator('.ret b').textContent()).resolves.toBe(String(episodes[0]!.length)); // +1 a step
    await expect(items.nth(2).getAttribute('class')).resolves.toContain('corrupt');
    await expect(items.nth(2).getAttribute('title')).resolves.toBe('Expected JSON on line 2 of episode-2.ndjson, got a truncated last line.');
    await expect(page.locator('#frame-label').textContent()).resolves.toBe(`1 / ${episodes[0]!.length}`);
  });

  it('steps frames with the arrow keys and draws the cart and pole where the recording says', async () => {
    const last = episodes[0]!.length - 1;
    await expectFrameMatches(episodes[0]!, 0, 'right');
    for (let i = 0; i < last; i++) await page.keyboard.press('ArrowRight');
    await frameIs(last);
    await expectFrameMatches(episodes[0]!, last, 'right');
    await page.keyboard.press('ArrowLeft');
    await frameIs(last - 1);
    await expect(page.locator('#ro-return').textContent()).resolves.toBe(String(last)); // frames 0 .. last - 1
  });

  it('moves to the next episode with ArrowDown and to its last frame with End', async () => {
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('#crumb-episode:text("episode-1.ndjson")');
    await frameIs(0);
    await page.keyboard.press('End');
    const last = episodes[1]!.length - 1;
    await frameIs(last);
    await expectFrameMatches(episodes[1]!, last, 'left');
  });

  it('plays with space and stops at the end', async () => {
    await page.keyboard.press('Home');
    await frameIs(0);
    await page.keyboard.press('Space');
    await frameIs(episodes[1]!.length - 1);
    await expect(page.locator('#app').getAttribute('class')).resolves.not.toContain('playing');
    expect(pageErrors).toEqual([]);
  });

  it('clears the cards on a run without recordings, labels the eval line, and scales runs of other envs per run', async () => {
    // A greedy evaluation every 30 episodes in the CartPole run, and a MountainCar run (returns -200 .. -100) with no recordings.
    const evalRows = [30, 60, 90].map((e) => JSON.stringify({ kind: 'eval', step: e * 200, mean: 300 + e, std: 10, episodes: 5 }));
    appendFileSync(join(root, 'runs', RUN, 'metrics.jsonl'), `${evalRows.join('\n')}\n`);
    const other = join(root, 'runs', 'dqn-MountainCar-v0-20261124-100000');
    mkdirSync(other);
    writeFileSync(join(other, 'config.json'), JSON.stringify({ algo: 'dqn', env: 'MountainCar-v0' }));
    const rows = Array.from({ length: 50 }, (_, e) => JSON.stringify({ kind: 'episode', step: (e + 1) * 200, episode: e, return: -200 + 2 * e, length: 200 }));
    writeFileSync(join(other, 'metrics.jsonl'), `${rows.join('\n')}\n`);

    await page.setViewportSize({ width: 1280, height: 800 });
    try {
      await page.goto(`${server.url}?run=${RUN}&episode=episode-0.ndjson`);
      await frameIs(0);
      await page.keyboard.press('ArrowRight');
      await frameIs(1);
      const cards = () => page.locator('.readouts .v').allTextContents();
      expect(await cards()).toEqual(['1', '2', '9.5', '0']); // reward, return, value (10 - t / 2), action
      // The value card shows its whole text at 1280 x 800.
      const cut = await page.locator('#ro-value').evaluate((e) => e.scrollWidth > e.clientWidth);
      expect(cut).toBe(false);
      // Only the CartPole run is plotted: one shared axis, and the dashed eval line has its legend entry.
      await expect(page.locator('#per-run').isChecked()).resolves.toBe(false);
      await expect(page.locator('#legend .key-eval').textContent()).resolves.toBe('greedy eval (mean)');

      await page.locator('#runs li[data-run="dqn-MountainCar-v0-20261124-100000"]').click();
      await page.waitForSelector('#stage-empty:text("This run has no recorded episodes")');
      expect(await cards()).toEqual(['—', '—', '—', '—']);
      await expect(page.locator('#ro-q').textContent()).resolves.toBe('');
      await expect(page.locator('#frame-label').textContent()).resolves.toBe('0 / 0');
      // Two envs plotted together: each run gets its own scale, until the toggle says otherwise.
      await expect(page.locator('#legend').textContent()).resolves.toContain('MountainCar-v0 · DQN 10:00');
      await expect(page.locator('#per-run').isChecked()).resolves.toBe(true);
      await page.locator('#per-run').click();
      await expect(page.locator('#per-run').isChecked()).resolves.toBe(false);
      expect(pageErrors).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('shows live scenes pushed over the WebSocket', async () => {
    const viewer = await liveViewer({ runsDir: join(root, 'runs'), envId: 'CartPole-v1' });
    const env = make('CartPole-v1');
    try {
      env.reset({ options: { state: [0.9, 0, 0.15, 0] } });
      const scene = env.scene!();
      await page.goto(viewer.url);
      await page.waitForSelector('#runs li.live.selected');
      // Publish until the viewer shows it (the first may arrive before the page subscribes).
      for (let i = 0; i < 100 && !(await page.locator('#crumb-episode').textContent())?.includes('step 7'); i++) {
        viewer.publishScene(scene, { step: 7, episode: 2, t: 3, reward: 1 });
        await page.waitForTimeout(50);
      }
      await expect(page.locator('#crumb-episode').textContent()).resolves.toBe('live · episode 2 · step 7');
      await page.waitForSelector('#app[data-state=ready]');
      await page.waitForTimeout(100);
      const state = (env.unwrapped as unknown as { state: Float64Array }).state;
      await expectFrameMatches([{ state: [...state], scene, reward: 1, action: 0, value: 0, done: false }], 0, 'right');
      expect(pageErrors).toEqual([]);
    } finally {
      env.close();
      await viewer.close();
    }
  });

  it('fails, naming the Debian package, when chromium is missing', () => {
    expect(() => requireChromium('/nonexistent/chromium')).toThrow(
      "Expected Debian's chromium at /nonexistent/chromium, got no such file: install the Debian package with `apt-get install -y chromium`.",
    );
  });
});
