import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { isRunFolder } from '../../render/server-api.js';
import { startServer, type ServerOptions, type ViewerServer } from '../../render/server.js';

/** Options of `watchRuns`. */
export interface WatchOptions {
  /** TCP port on 127.0.0.1 (0 picks a free one). */
  port: number;
  /** Folder that bare run names are looked up in (default `runs`). */
  root?: string;
  /** One-line notes (building the viewer). */
  log?: (line: string) => void;
  /** See `ServerOptions.build` (default: build the viewer when it is missing or stale). */
  build?: ServerOptions['build'];
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The folder `target` names: a path, or a run name under `root`. Throws `InvalidConfig` listing recent runs. */
export function resolveWatchTarget(target: string, root = 'runs'): string {
  for (const candidate of [target, join(root, target)]) if (isDir(candidate)) return resolve(candidate);
  let recent = '';
  if (isDir(root)) {
    const names = readdirSync(root).sort().slice(-5);
    if (names.length > 0) recent = ` Recent runs in ${root}/: ${names.join(', ')}.`;
  }
  throw new InvalidConfig(`Expected a run folder or a folder of runs, got ${describeValue(target)}, which is not a folder.${recent}`);
}

/** Serves the viewer on 127.0.0.1 for a run or a runs folder; resolves with the server and the URL to open. */
export async function watchRuns(target: string, options: WatchOptions): Promise<{ server: ViewerServer; url: string }> {
  const dir = resolveWatchTarget(target, options.root);
  const server = await startServer({
    runsDir: dir,
    port: options.port,
    host: '127.0.0.1',
    ...(options.log ? { log: options.log } : {}),
    ...(options.build ? { build: options.build } : {}),
  });
  // A single run opens on itself.
  const url = (await isRunFolder(dir)) ? `${server.url}?run=${encodeURIComponent(basename(dir))}` : server.url;
  return { server, url };
}

/** Opens `url` in the desktop's browser; failures (no display, no opener) are ignored. */
export function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener: the URL is printed anyway
  }
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidConfig(`Expected --port to be an integer from 0 to 65535, got ${describeValue(value)}.`);
  return n;
}

/** `rxgym watch <run | runs-dir> [--port N] [--open]`. */
export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('serve the web viewer for a run or a folder of runs on 127.0.0.1 (episodes, learning curves)')
    .argument('[target]', 'a run folder, a run name under runs/, or a folder of runs', 'runs')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', '8080')
    .option('--open', 'open the viewer in the default browser')
    .action(async (target: string, opts: { port: string; open?: boolean }) => {
      if (target === 'runs' && !existsSync('runs')) {
        throw new InvalidConfig('Expected a runs/ folder here or a run to watch, got neither. Train first (rxgym train CartPole-v1) or pass a folder: rxgym watch <run | runs-dir>.');
      }
      const { server, url } = await watchRuns(target, { port: parsePort(opts.port), log: (line) => process.stderr.write(`rxgym: ${line}\n`) });
      process.stdout.write(`rxgym viewer: ${url}\n(serving ${target} on 127.0.0.1 only; Ctrl-C to stop)\n`);
      if (opts.open) openBrowser(url);
      const stop = (): void => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
