/**
 * Assembles the plain engine's WebAssembly SIMD kernel from its text source, nn/kernels/gemm.wat, with wabt, and
 * writes the bytes as base64 into nn/kernels/gemm-wasm.ts (committed, browser-safe, no toolchain at run time).
 * Run after editing gemm.wat: `npm run build:kernel`. tests/nn/kernel.test.ts fails while the two disagree.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const WAT = fileURLToPath(new URL('../nn/kernels/gemm.wat', import.meta.url));
const OUT = fileURLToPath(new URL('../nn/kernels/gemm-wasm.ts', import.meta.url));

/** Assembles WebAssembly text (SIMD enabled, no debug names) into module bytes. */
export async function assembleWat(text: string, filename = 'gemm.wat'): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(filename, text, { simd: true });
  try {
    mod.validate();
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

/** The generated TypeScript module for the kernel bytes. */
export function kernelModuleSource(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 100) lines.push(`  '${b64.slice(i, i + 100)}'`);
  return [
    '// Generated from gemm.wat by scripts/build-kernel.ts (npm run build:kernel): do not edit.',
    '',
    '/** The assembled gemm.wat module (WebAssembly SIMD), base64. */',
    `export const GEMM_WASM_BASE64 =\n${lines.join(' +\n')};`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const bytes = await assembleWat(await readFile(WAT, 'utf8'));
  await writeFile(OUT, kernelModuleSource(bytes));
  console.log(`gemm-wasm.ts: ${bytes.length} bytes from gemm.wat`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
