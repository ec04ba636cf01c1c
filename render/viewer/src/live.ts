/**
 * The viewer's side of live mode: a WebSocket to the server's `/ws` that delivers sampled scenes and
 * metrics rows, reconnecting with a growing delay when the training process restarts.
 */
import type { LiveClientMessage, LiveServerMessage } from '../../server-ws.js';

/** What the live connection reports. */
export interface LiveHandlers {
  onMessage(msg: LiveServerMessage): void;
  onStatus(status: 'connecting' | 'open' | 'closed'): void;
}

/** A self-reconnecting live connection. */
export class LiveConnection {
  private socket: WebSocket | null = null;
  private retry = 500;
  private stopped = false;

  constructor(private readonly handlers: LiveHandlers) {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.handlers.onStatus('connecting');
    const url = new URL('ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.onopen = () => {
      this.retry = 500;
      this.handlers.onStatus('open');
    };
    ws.onmessage = (e) => {
      try {
        this.handlers.onMessage(JSON.parse(String(e.data)) as LiveServerMessage);
      } catch {
        // a message we cannot read is dropped; the next scene replaces it
      }
    };
    ws.onclose = () => {
      this.socket = null;
      this.handlers.onStatus('closed');
      if (!this.stopped) setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 8000);
    };
  }

  /** Sends a command when connected. */
  send(msg: LiveClientMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  /** Closes for good. */
  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }
}
