import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DQN, sink } from './helpers.js';
import { WebSocket } from 'ws';
import { trainCommand } from '../../cli/commands/train.js';
import type { LiveViewer } from '../../render/live.js';
import type { LiveServerMessage } from '../../render/server-ws.js';


let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-watch-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rxgym train --watch', () => {
  it('serves the live viewer: a WebSocket client gets scenes and metrics rows, and the server closes at the end', async () => {
    const messages: LiveServerMessage[] = [];
    let socket: WebSocket | null = null;
    let closed: Promise<number> | null = null;
    let url = '';
    const stdout = sink();
    const outcome = await trainCommand(
      'dqn',
      'CartPole-v1',
      { steps: 3000, seed: 6, set: TINY_DQN, out: join(root, 'runs'), watch: true, port: 0, plain: true, evalEpisodes: 2 },
      {
        stdout,
        stderr: sink(),
        viewerBuild: 'never',
        // After training the viewer keeps serving until Ctrl-C; here it is released at once.
        keepServing: () => Promise.resolve(),
        // Connect as the viewer does before training starts, so the short run cannot finish first.
        onViewer: (viewer: LiveViewer) =>
          new Promise<void>((resolve, reject) => {
            url = viewer.url;
            const ws = new WebSocket(`${viewer.url.replace(/^http/, 'ws')}ws`);
            socket = ws;
            closed = new Promise((r) => ws.on('close', (code) => r(code)));
            ws.on('message', (data) => {
              const msg = JSON.parse(String(data)) as LiveServerMessage;
              messages.push(msg);
              if (msg.type === 'hello') resolve();
            });
            ws.on('error', reject);
          }),
      },
    );
    expect(outcome.stopped).toBe('done');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(stdout.text()).toContain(`Live viewer: ${url}?live`);
    expect(stdout.text()).toContain(`Training finished; the viewer keeps serving ${url} until Ctrl-C.`);
    expect(messages[0]).toMatchObject({ type: 'hello', live: true });

    const scenes = messages.filter((m): m is Extract<LiveServerMessage, { type: 'scene' }> => m.type === 'scene');
    expect(scenes.length).toBeGreaterThanOrEqual(1);
    const shapes = scenes[0]!.scene.shapes;
    expect(scenes[0]!.scene.width).toBe(600);
    expect(shapes.map((s) => s.type)).toEqual(['line', 'rect', 'rect', 'circle']); // a cart-pole
    expect(scenes[0]!.meta.env).toBe('CartPole-v1');
    // Captioned with the run's step and episode (read from the agent's counters).
    for (const sc of scenes) {
      expect(sc.meta.step).toBeGreaterThanOrEqual(0);
      expect(sc.meta.step).toBeLessThan(3000);
      expect(Number.isInteger(sc.meta.episode)).toBe(true);
    }
    expect(scenes.at(-1)!.meta.step).toBeGreaterThan(0);
    // and with the latest step's place in its episode, reward and max Q (CartPole pays 1 per step).
    const captioned = scenes.filter((sc) => sc.meta.t !== undefined);
    expect(captioned.length).toBeGreaterThanOrEqual(1);
    for (const sc of captioned) {
      expect(sc.meta.t).toBeGreaterThanOrEqual(1);
      expect(sc.meta.t).toBeLessThanOrEqual(500);
      expect(sc.meta.reward).toBe(1);
      expect(Number.isFinite(sc.meta.value)).toBe(true);
    }

    const rows = messages.flatMap((m) => (m.type === 'metrics' ? m.rows : []));
    const kinds = new Set(rows.map((r) => r.kind));
    expect(kinds.has('episode')).toBe(true);
    expect(kinds.has('log')).toBe(true);
    expect(kinds.has('eval')).toBe(true); // the evaluation after training reaches the curve before the close
    expect(Math.max(...rows.map((r) => r.step))).toBe(3000);

    // Shut down cleanly: the client was disconnected and the port no longer accepts connections.
    expect(await closed).toBeGreaterThan(0);
    expect(socket!.readyState).toBe(WebSocket.CLOSED);
    const refused = await new Promise<string>((resolve) => {
      const again = new WebSocket(`${url.replace(/^http/, 'ws')}ws`);
      again.on('open', () => resolve('open'));
      again.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('closes the viewer when training is interrupted (Ctrl-C)', async () => {
    const controller = new AbortController();
    let closed: Promise<number> | null = null;
    const outcome = await trainCommand(
      'dqn',
      'CartPole-v1',
      { steps: 400_000, seed: 7, set: TINY_DQN, out: join(root, 'runs'), watch: true, port: 0, plain: true },
      {
        stdout: sink(),
        stderr: sink(),
        signal: controller.signal,
        viewerBuild: 'never',
        onViewer: (viewer: LiveViewer) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(`${viewer.url.replace(/^http/, 'ws')}ws`);
            closed = new Promise((r) => ws.on('close', (code) => r(code)));
            ws.on('message', (data) => {
              const msg = JSON.parse(String(data)) as LiveServerMessage;
              if (msg.type === 'hello') resolve();
              if (msg.type === 'scene') controller.abort(); // as Ctrl-C does, once the live view works
            });
            ws.on('error', reject);
          }),
      },
    );
    expect(outcome.stopped).toBe('aborted');
    expect(outcome.step).toBeLessThan(400_000);
    expect(await closed).toBeGreaterThan(0);
  });

  it('rejects a bad --port with the expected message', async () => {
    await expect(trainCommand('dqn', 'CartPole-v1', { steps: 10, watch: true, port: 'x' }, { stdout: sink(), stderr: sink() })).rejects.toThrow(
      'Expected --port to be a whole number from 0 to 65535 (digits only), got "x".',
    );
  });
});
