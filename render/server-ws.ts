/**
 * The live channel of the viewer's server: a WebSocket endpoint (`/ws`) that pushes sampled scenes and
 * metrics rows to every connected viewer. Clients send small JSON commands; a message that is not JSON, not
 * a known command, or larger than `MAX_CLIENT_MESSAGE` bytes is refused (an error reply, or close code 1009
 * for an oversized one) and the server keeps running for everyone else.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Scene } from '../core/scene.js';
import type { MetricsRow } from './server-api.js';

/** Largest client message in bytes; commands are a few dozen bytes. */
export const MAX_CLIENT_MESSAGE = 1024;
/** Rejected messages after which a client is disconnected (close code 1008). */
const MAX_ERRORS = 20;
/** Metrics rows kept for viewers that connect mid-run. */
const HISTORY = 20_000;

/** Where a live scene comes from in the run. */
export interface LiveSceneMeta {
  /** Run step, from 0. */
  step?: number;
  /** Episode index, from 0. */
  episode?: number;
  /** Step within the episode, from 0. */
  t?: number;
  /** Reward of the step that led to this scene. */
  reward?: number;
  /** A value estimate for this state, when the agent has one. */
  value?: number;
  /** The spread of Q over the agent's posterior (std over bootstrap heads or dropout masks), when it has one. */
  qSpread?: number;
  /** Env id, shown in the viewer's title. */
  env?: string;
}

/** Server-to-client messages. */
export type LiveServerMessage =
  | { type: 'hello'; protocol: 1; live: boolean; maxFps: number }
  | { type: 'scene'; scene: Scene; meta: LiveSceneMeta }
  | { type: 'metrics'; rows: MetricsRow[] }
  | { type: 'pong' }
  | { type: 'error'; message: string };

/** Client-to-server commands: `ping`; `rate` caps this client's scenes per second; `pause` stops scenes. */
export type LiveClientMessage = { type: 'ping' } | { type: 'rate'; fps: number } | { type: 'pause'; paused: boolean };

interface Client {
  socket: WebSocket;
  paused: boolean;
  /** Minimum ms between scenes for this client. */
  interval: number;
  lastScene: number;
  errors: number;
}

/** Why `value` is not a client command, or the command. */
export function parseClientMessage(data: string): LiveClientMessage | string {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return 'Expected a JSON command, got text that is not JSON.';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `Expected a JSON object command, got ${Array.isArray(v) ? 'an array' : typeof v}.`;
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'ping':
      return { type: 'ping' };
    case 'rate':
      if (typeof m.fps !== 'number' || !Number.isFinite(m.fps) || m.fps < 1 || m.fps > 60) return 'Expected rate.fps to be a number from 1 to 60.';
      return { type: 'rate', fps: m.fps };
    case 'pause':
      if (typeof m.paused !== 'boolean') return 'Expected pause.paused to be a boolean.';
      return { type: 'pause', paused: m.paused };
    default:
      return `Expected a command type ping, rate or pause, got ${JSON.stringify(m.type) ?? 'none'}.`;
  }
}

/** The set of live viewers and what was last sent to them. */
export class LiveHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly history: MetricsRow[] = [];
  private latest: string | null = null;

  constructor(
    /** Scenes per second each client gets at most. */
    readonly maxFps: number,
    /** Whether a run is publishing (false for a plain `rxgym watch`). */
    readonly live: boolean,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE, perMessageDeflate: false });
  }

  /** Connected viewers. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Whether any connected, unpaused viewer would take a scene `now` (ms, performance.now()). */
  wantsScene(now: number): boolean {
    for (const c of this.clients) if (!c.paused && now - c.lastScene >= c.interval) return true;
    return false;
  }

  /** Takes over an HTTP upgrade request for `/ws`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws));
  }

  private add(socket: WebSocket): void {
    const client: Client = { socket, paused: false, interval: 1000 / this.maxFps, lastScene: -Infinity, errors: 0 };
    this.clients.add(client);
    socket.on('close', () => this.clients.delete(client));
    // An oversized frame makes ws close the socket with 1009; the error event must be handled or it throws.
    socket.on('error', () => this.clients.delete(client));
    socket.on('message', (data, isBinary) => this.onMessage(client, data, isBinary));
    this.send(client, JSON.stringify({ type: 'hello', protocol: 1, live: this.live, maxFps: this.maxFps } satisfies LiveServerMessage));
    if (this.history.length > 0) this.send(client, JSON.stringify({ type: 'metrics', rows: this.history } satisfies LiveServerMessage));
    if (this.latest !== null) this.send(client, this.latest);
  }

  private onMessage(client: Client, data: RawData, isBinary: boolean): void {
    const text = isBinary ? null : data.toString();
    const msg = text === null ? 'Expected a text JSON command, got a binary message.' : parseClientMessage(text);
    if (typeof msg === 'string') {
      client.errors++;
      if (client.errors >= MAX_ERRORS) {
        client.socket.close(1008, 'too many malformed commands');
        return;
      }
      this.send(client, JSON.stringify({ type: 'error', message: msg } satisfies LiveServerMessage));
      return;
    }
    if (msg.type === 'ping') this.send(client, JSON.stringify({ type: 'pong' } satisfies LiveServerMessage));
    else if (msg.type === 'rate') client.interval = 1000 / Math.min(msg.fps, this.maxFps);
    else client.paused = msg.paused;
  }

  private send(client: Client, text: string): void {
    // A viewer that cannot keep up gets fewer scenes rather than an ever-growing buffer.
    if (client.socket.readyState === client.socket.OPEN && client.socket.bufferedAmount < 4 * 1024 * 1024) client.socket.send(text);
  }

  /** Sends `scene` to every viewer whose rate allows it at `now` (ms); returns how many got it. */
  publishScene(scene: Scene, meta: LiveSceneMeta, now: number): number {
    let text: string | null = null;
    let sent = 0;
    for (const c of this.clients) {
      if (c.paused || now - c.lastScene < c.interval) continue;
      text ??= JSON.stringify({ type: 'scene', scene, meta } satisfies LiveServerMessage);
      c.lastScene = now;
      this.send(c, text);
      sent++;
    }
    if (text !== null) this.latest = text;
    return sent;
  }

  /** Sends metrics rows to every viewer and keeps them for viewers that connect later. */
  publishMetrics(rows: MetricsRow[]): void {
    if (rows.length === 0) return;
    for (const r of rows) this.history.push(r);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    if (this.clients.size === 0) return;
    const text = JSON.stringify({ type: 'metrics', rows } satisfies LiveServerMessage);
    for (const c of this.clients) this.send(c, text);
  }

  /** Disconnects every viewer (close code 1001, going away). */
  close(): void {
    for (const c of this.clients) c.socket.close(1001, 'server closing');
    this.clients.clear();
    this.wss.close();
  }
}
