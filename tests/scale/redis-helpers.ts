/** A real redis-server for the scale tests, on a free loopback port, and rxgym commands as child processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's package puts it (.ci/run installs it). */
export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? null;

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A running redis-server (no persistence, loopback only); `stop()` kills it, `start()` starts it again on the same port. */
export interface RedisServer {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts redis-server, or fails saying it is missing (the tests never skip). */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  if (REDIS_SERVER === null) throw new Error('redis-server is not installed (Debian package redis-server; .ci/run installs it): the Redis scale tests need a real server.');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rxgym-redis-'));
  let child: ChildProcess | null = null;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const c = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${out}`)), 10_000);
        c.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ready to accept connections')) (clearTimeout(timer), resolve());
        });
        c.once('exit', (code) => (clearTimeout(timer), reject(new Error(`redis-server exited with code ${code}: ${out}`))));
      });
    },
    async stop() {
      const c = child;
      child = null;
      if (c === null || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}

/** An rxgym command as a child process, with its output kept. */
export interface Command {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves once the output matches `pattern` (rejects after `ms`). */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
}

/** Runs `node bin/rxgym.js ...args` in the repository. */
export function rxgym(args: string[]): Command {
  const child = spawn(process.execPath, ['bin/rxgym.js', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: (() => void)[] = [];
  const add = (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Expected output matching ${pattern} within ${ms} ms, got:\n${text.slice(-3000)}`)), ms);
        const check = () => {
          const m = pattern.exec(text);
          if (m) (clearTimeout(timer), resolve(m[0]));
          else if (child.exitCode !== null) (clearTimeout(timer), reject(new Error(`Expected output matching ${pattern}, but the command exited (${child.exitCode}):\n${text.slice(-3000)}`)));
          else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** A temp folder for run folders. */
export function tempRuns(): string {
  return mkdtempSync(join(tmpdir(), 'rxgym-scale-runs-'));
}
