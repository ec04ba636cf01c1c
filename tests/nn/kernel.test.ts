import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import wabtInit from 'wabt';
import { Rng } from '../../core/rng.js';
import { gemmWasmBytes, instantiateGemm, kernelInfo, simdGemm } from '../../nn/kernels/simd.js';

describe('gemm-wasm.ts', () => {
  it('holds exactly the bytes gemm.wat assembles to (run npm run build:kernel after editing the .wat)', async () => {
    const text = await readFile(new URL('../../nn/kernels/gemm.wat', import.meta.url), 'utf8');
    const wabt = await wabtInit();
    const mod = wabt.parseWat('gemm.wat', text, { simd: true });
    mod.validate();
    const bytes = mod.toBinary({ log: false, write_debug_names: false }).buffer;
    mod.destroy();
    expect(Array.from(gemmWasmBytes())).toEqual(Array.from(bytes));
  });
});

/** The naive product the kernel must match: out[i, c] = act(bias[c] + sum_k a[i saI + k saK] b[k cols + c]). */
function naive(a: Float32Array, saI: number, saK: number, b: Float32Array, bias: Float32Array | null, rows: number, inner: number, cols: number, relu: boolean): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) {
      let s = bias ? bias[c]! : 0;
      for (let k = 0; k < inner; k++) s += a[i * saI + k * saK]! * b[k * cols + c]!;
      out[i * cols + c] = relu ? Math.max(s, 0) : s;
    }
  }
  return out;
}

function expectClose(got: Float32Array, want: Float64Array | Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(want[i]!)));
}

describe('the SIMD kernel', () => {
  const gemm = instantiateGemm(gemmWasmBytes());
  const rng = new Rng(11);
  const rand = (n: number) => new Float32Array(n).map(() => rng.uniform(-1, 1));

  it('matches a naive loop for every size 1..9 x 1..9, with and without bias and relu', () => {
    for (let rows = 1; rows <= 9; rows++) {
      for (let cols = 1; cols <= 9; cols++) {
        for (const inner of [1, 3, 8]) {
          const a = rand(rows * inner);
          const b = rand(inner * cols);
          const bias = (rows + cols) % 2 === 0 ? rand(cols) : null;
          const relu = rows % 3 === 0;
          const out = new Float32Array(rows * cols);
          gemm(a, inner, 1, b, bias, out, rows, inner, cols, relu, false);
          expectClose(out, naive(a, inner, 1, b, bias, rows, inner, cols, relu));
        }
      }
    }
  });

  it('reads A transposed through strides (the kernel gradient x^T dz) and accumulates into out', () => {
    for (let n = 1; n <= 9; n++) {
      for (const batch of [1, 4, 7]) {
        const m = 10 - n;
        const x = rand(batch * n); // batch x n: A = x^T is n x batch, A(i, k) = x[k n + i]
        const dz = rand(batch * m);
        const start = rand(n * m);
        const out = start.slice();
        gemm(x, 1, n, dz, rand(m), out, n, batch, m, true, true); // bias and relu are ignored when accumulating
        const want = naive(x, 1, n, dz, null, n, batch, m, false).map((v, i) => v + start[i]!);
        expectClose(out, want);
      }
    }
  });

  it('is what kernelInfo() reports here, and simdGemm() returns it', () => {
    expect(kernelInfo()).toEqual({ kernel: 'simd' });
    expect(simdGemm()).not.toBeNull();
  });
});

describe('kernel fallback', () => {
  afterEach(() => {
    vi.doUnmock('../../nn/kernels/gemm-wasm.js');
    vi.resetModules();
    vi.restoreAllMocks();
  });

  it('says which kernel runs and why, with one warning per process, when the module does not load', async () => {
    vi.resetModules();
    vi.doMock('../../nn/kernels/gemm-wasm.js', () => ({ GEMM_WASM_BASE64: 'AGFzbQEAAAAB' })); // a truncated module
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fresh = await import('../../nn/kernels/simd.js');
    const info = fresh.kernelInfo();
    expect(info.kernel).toBe('js');
    expect(info.reason).toMatch(/\S/);
    expect(warn).not.toHaveBeenCalled();
    expect(fresh.simdGemm()).toBeNull();
    expect(fresh.simdGemm()).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/runs its JS matrix loops .*not the WebAssembly SIMD kernel: .+\.$/);
  });
});
