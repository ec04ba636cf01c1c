/** `rxgym info [--backend name] [--json]`: the tfjs backend, SIMD, threads, and versions of rxgym, tfjs, node. */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { describeBackend, initBackend, type BackendName } from '../../nn/backend.js';
import { kernelInfo } from '../../nn/kernels/simd.js';

/** What `rxgym info` reports. */
export interface InfoReport {
  rxgym: string;
  node: string;
  tfjs: string;
  backend: string;
  simd: boolean | null;
  threads: boolean | null;
  /** One line, e.g. "tfjs 4.22.0 on wasm (SIMD on, threads off)". */
  description: string;
  /** The plain engine's matrix kernel: WebAssembly SIMD, or the JS loops where SIMD is missing. */
  kernel: 'simd' | 'js';
  platform: string;
  cpus: number;
}

/** Loads the backend (as training would) and reports versions; exported for tests. */
export async function infoCommand(opts: { backend?: string; json?: boolean } = {}, io: { stdout?: NodeJS.WritableStream } = {}): Promise<InfoReport> {
  const stdout = io.stdout ?? process.stdout;
  // cli/commands/ in a checkout, dist/cli/commands/ when installed.
  const candidates = [new URL('../../package.json', import.meta.url), new URL('../../../package.json', import.meta.url)];
  const pkgUrl = candidates.find((u) => existsSync(u) && (JSON.parse(readFileSync(u, 'utf8')) as { name?: string }).name === 'rxgym') ?? candidates[0]!;
  const pkg = JSON.parse(readFileSync(pkgUrl, 'utf8')) as { version: string };
  const info = await initBackend((opts.backend ?? 'auto') as 'auto' | BackendName);
  const report: InfoReport = {
    rxgym: pkg.version,
    node: process.versions.node,
    tfjs: info.tfjsVersion,
    backend: info.name,
    simd: info.simd,
    threads: info.threads,
    description: describeBackend(info),
    kernel: kernelInfo().kernel,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
  };
  if (opts.json) {
    stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const flag = (v: boolean | null) => (v === null ? 'n/a' : v ? 'yes' : 'no');
    stdout.write(
      [
        `rxgym    ${report.rxgym}`,
        `node     ${report.node} (${report.platform}, ${report.cpus} cpus)`,
        `tfjs     ${report.tfjs}`,
        `backend  ${report.backend}${info.nodeBindings ? ' (native TensorFlow)' : ''}`,
        `SIMD     ${flag(report.simd)}`,
        `threads  ${flag(report.threads)}`,
        `kernel   ${report.kernel === 'simd' ? 'WebAssembly SIMD (rxgym plain engine)' : 'JS loops (no WebAssembly SIMD)'}`,
        '',
      ].join('\n'),
    );
  }
  return report;
}

/** Registers `rxgym info`. */
export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('show the tensor backend (SIMD, threads) and the versions of rxgym, tfjs and node')
    .option('--backend <name>', 'backend to load: auto, wasm, cpu or tensorflow', 'auto')
    .option('--json', 'print JSON')
    .action(async (opts: { backend?: string; json?: boolean }) => {
      await infoCommand(opts);
    });
}
