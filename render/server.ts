/**
 * The viewer's server: serves the built web viewer, a small JSON API over a runs folder and a WebSocket for
 * live mode, on the loopback interface only.
 *
 * API (GET): `/api/runs`, `/api/runs/<run>/metrics`, `/api/runs/<run>/episodes`,
 * `/api/runs/<run>/episodes/<file>`, `/api/info`; WebSocket: `/ws` (see server-ws.ts).
 * Only files inside `runsDir` are served: every path segment is decoded and checked, and every file is opened
 * through its real path, so `..`, `%2e%2e`, absolute paths and symlinks out of the folder get 403 or 404.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../core/errors.js';
import { listEpisodes, listRuns, readEpisodeData, readMetrics, runDir } from './server-api.js';
import { BUILD_COMMAND, buildViewer, defaultViewerDir, viewerNeedsBuild } from './server-build.js';
import { ForbiddenPath, pathSegments, resolveFileInside } from './server-files.js';
import { LiveHub } from './server-ws.js';

/** Options of `startServer`. */
export interface ServerOptions {
  /** A folder of run folders, or one run folder. */
  runsDir: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to bind: '127.0.0.1' (default), '::1' or 'localhost'. Other hosts are refused. */
  host?: string;
  /** Built viewer folder (default: the package's dist/viewer/). */
  viewerDir?: string;
  /**
   * What to do when the built viewer is missing or older than its sources: 'build' runs Vite (default
   * in a checkout), 'never' serves a page that says how to build it.
   */
  build?: 'build' | 'never';
  /** Whether a training run publishes to this server (the viewer then opens on the live view). */
  live?: boolean;
  /** Most scenes per second sent to one viewer (default 30). */
  maxFps?: number;
  /** Called with a one-line note (building the viewer, a failed build). */
  log?: (line: string) => void;
}

/** A running server. */
export interface ViewerServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  host: string;
  /** The live channel: publish scenes and metrics through it. */
  hub: LiveHub;
  /** Whether the built viewer is being served (false: only the API and a how-to-build page). */
  viewerReady: boolean;
  /** Stops accepting connections, disconnects viewers and resolves once the port is free. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

const notFound = (res: ServerResponse, what: string): void => sendJson(res, 404, { error: `Expected an existing ${what}, got none.` });

function howToBuildPage(): string {
  return `<!doctype html><meta charset="utf-8"><title>rxgym viewer</title>
<body style="font:15px system-ui;background:#0f1218;color:#d6dbe4;padding:48px">
<h1 style="font-weight:600">The rxgym viewer is not built</h1>
<p>Build it once with <code style="background:#1c212b;padding:2px 6px;border-radius:4px">${BUILD_COMMAND}</code> and reload this page.</p>
<p>The JSON API is up: <a style="color:#7aa2f7" href="/api/runs">/api/runs</a>.</p></body>`;
}

/** Starts the viewer's server on a loopback address; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<ViewerServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new InvalidConfig(`Expected a loopback host (127.0.0.1, ::1 or localhost), got ${describeValue(host)}: the viewer serves your run files and must not be reachable from the network.`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidConfig(`Expected port to be an integer from 0 to 65535, got ${describeValue(port)}.`);
  const maxFps = options.maxFps ?? 30;
  if (!(maxFps > 0 && maxFps <= 60)) throw new InvalidConfig(`Expected maxFps to be a number in (0, 60], got ${describeValue(maxFps)}.`);
  const runsDir = resolve(options.runsDir);
  try {
    if (!(await stat(runsDir)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new InvalidConfig(`Expected a runs folder or a run folder, got ${describeValue(options.runsDir)}, which is not a folder. Train first (rxgym train ...) or pass the folder that holds your runs.`);
  }
  const log = options.log ?? (() => {});

  const viewerDir = resolve(options.viewerDir ?? defaultViewerDir());
  let viewerReady = !viewerNeedsBuild(viewerDir);
  if (!viewerReady && (options.build ?? 'build') === 'build') {
    log('building the viewer (once) ...');
    try {
      await buildViewer(viewerDir);
      viewerReady = true;
    } catch (err) {
      log(`could not build the viewer: ${(err as Error).message}. Build it with ${BUILD_COMMAND}.`);
    }
  }
  // An out-of-date build still beats none.
  if (!viewerReady) viewerReady = await stat(resolve(viewerDir, 'index.html')).then(() => true, () => false);

  const hub = new LiveHub(maxFps, options.live ?? false);
  let allowedHosts = new Set<string>();

  const api = async (seg: string[], res: ServerResponse): Promise<void> => {
    if (seg.length === 2 && seg[1] === 'info') return sendJson(res, 200, { live: hub.live, maxFps, viewers: hub.clientCount });
    if (seg[1] !== 'runs') return notFound(res, 'API path');
    if (seg.length === 2) return sendJson(res, 200, await listRuns(runsDir));
    const dir = await runDir(runsDir, seg[2]!);
    if (dir === null) return notFound(res, `run ${JSON.stringify(seg[2])}`);
    if (seg.length === 4 && seg[3] === 'metrics') return sendJson(res, 200, await readMetrics(dir, seg[2]!));
    if (seg.length === 4 && seg[3] === 'episodes') return sendJson(res, 200, await listEpisodes(dir));
    if (seg.length === 5 && seg[3] === 'episodes') {
      try {
        const ep = await readEpisodeData(dir, seg[4]!);
        return ep === null ? notFound(res, `episode ${JSON.stringify(seg[4])}`) : sendJson(res, 200, ep);
      } catch (err) {
        if (err instanceof CorruptFile) return sendJson(res, 422, { error: err.message, file: seg[4] });
        throw err;
      }
    }
    return notFound(res, 'API path');
  };

  const staticFile = async (seg: string[], req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!viewerReady) {
      if (seg.length > 0) return notFound(res, 'file');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(howToBuildPage());
      return;
    }
    const path = await resolveFileInside(viewerDir, seg.length === 0 ? ['index.html'] : seg);
    if (path === null) return notFound(res, 'file');
    const s = await stat(path);
    res.writeHead(200, {
      'content-type': MIME[extname(path)] ?? 'application/octet-stream',
      'content-length': s.size,
      'x-content-type-options': 'nosniff',
      // Hashed asset names never change; index.html must be re-read after a rebuild.
      'cache-control': seg[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(path).pipe(res);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page on another site could reach a loopback port through DNS rebinding; it would name its own host.
    if (!allowedHosts.has(req.headers.host ?? '')) return sendJson(res, 403, { error: `Expected a request to this machine's viewer, got Host ${describeValue(req.headers.host ?? '')}.` });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: `Expected GET or HEAD, got ${req.method}.` });
    }
    let seg: string[];
    try {
      seg = pathSegments(req.url ?? '/');
      if (seg[0] === 'api') return await api(seg, res);
      return await staticFile(seg, req, res);
    } catch (err) {
      if (err instanceof ForbiddenPath) return sendJson(res, 403, { error: err.message });
      if (!res.headersSent) sendJson(res, 500, { error: `Expected to answer ${req.url}, got an internal error: ${(err as Error).message}` });
      else res.destroy();
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('upgrade', (req, socket, head) => {
    let seg: string[] = [];
    try {
      seg = pathSegments(req.url ?? '/');
    } catch {
      // refused below
    }
    const origin = req.headers.origin;
    const originOk = origin === undefined || [...allowedHosts].some((h) => origin === `http://${h}`);
    if (seg.length !== 1 || seg[0] !== 'ws' || !allowedHosts.has(req.headers.host ?? '') || !originOk) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    hub.handleUpgrade(req, socket, head);
  });

  await new Promise<void>((ok, fail) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      hub.close();
      if (err.code === 'EADDRINUSE') fail(new InvalidConfig(`Expected port ${port} on ${host} to be free, got one in use: pass another port, or 0 for any free one.`));
      else fail(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      ok();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`]);
  const urlHost = host === '::1' ? '[::1]' : host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${bound}/`,
    port: bound,
    host,
    hub,
    viewerReady,
    close() {
      closing ??= new Promise<void>((ok) => {
        hub.close();
        server.close(() => ok());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
