/**
 * The JS side of the WebAssembly SIMD matrix kernel (gemm.wat, assembled into gemm-wasm.ts): instantiation,
 * operand copies into the module's memory, and the fallback report. Browser-safe and synchronous.
 *
 * Operands are copied into one wasm memory per call: for the nets the plain engine serves that costs a few
 * percent of the multiply work, and it keeps the engine's own arrays plain JS.
 */
import { GEMM_WASM_BASE64 } from './gemm-wasm.js';

/**
 * out (rows x cols) = act(A b + bias), or out += A b when `accumulate` (bias and relu then ignored), where
 * A(i, k) = a[i * saI + k * saK] (element strides) and b is [inner, cols] row-major.
 */
export type SimdGemm = (
  a: Float32Array, saI: number, saK: number, b: Float32Array, bias: Float32Array | null, out: Float32Array,
  rows: number, inner: number, cols: number, relu: boolean, accumulate: boolean,
) => void;

type Kernel = (a: number, saI: number, saK: number, b: number, ldb: number, out: number, ldo: number, bias: number,
  blocks: number, k: number, nBytes: number, relu: number, accumulate: number) => void;

/** Decodes base64 without Node's Buffer (browser-safe). */
function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The committed kernel module's bytes. */
export function gemmWasmBytes(): Uint8Array<ArrayBuffer> {
  return fromBase64(GEMM_WASM_BASE64);
}

/** Instantiates kernel module bytes (exports gemm4 and gemm1) and wraps them; throws where that fails. */
export function instantiateGemm(bytes: Uint8Array<ArrayBuffer>): SimdGemm {
  if (typeof WebAssembly !== 'object') throw new Error('this runtime has no WebAssembly');
  if (!WebAssembly.validate(bytes)) throw new Error('WebAssembly SIMD is not supported here (the kernel does not validate)');
  const memory = new WebAssembly.Memory({ initial: 4 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const gemm4 = inst.exports['gemm4'] as Kernel;
  const gemm1 = inst.exports['gemm1'] as Kernel;
  let heap = new Float32Array(memory.buffer);
  // Views of the heap by offset and length, kept so that a steady stream of calls allocates nothing.
  const views = new Map<number, Map<number, Float32Array>>();
  const view = (off: number, len: number): Float32Array => {
    let byLen = views.get(off);
    if (!byLen) {
      byLen = new Map();
      views.set(off, byLen);
    }
    let v = byLen.get(len);
    if (!v) {
      v = heap.subarray(off, off + len);
      byLen.set(len, v);
    }
    return v;
  };
  const copyIn = (src: Float32Array, len: number, off: number) => {
    if (len === src.length) heap.set(src, off);
    else for (let i = 0; i < len; i++) heap[off + i] = src[i]!;
  };

  return (a, saI, saK, b, bias, out, rows, inner, cols, relu, accumulate) => {
    if (accumulate) bias = null;
    const cp = (cols + 7) & ~7; // padded column count: whole blocks of 2 x f32x4
    const aLen = (rows - 1) * saI + (inner - 1) * saK + 1;
    // Layout (floats, 16-byte aligned): [0, 4) unused so that bias pointer 0 means "none"; a; b; bias; out.
    const aOff = 4;
    const bOff = aOff + ((aLen + 3) & ~3);
    const biasOff = bOff + inner * cp;
    const outOff = biasOff + cp;
    const need = (outOff + rows * cp) * 4;
    if (need > memory.buffer.byteLength) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      heap = new Float32Array(memory.buffer);
      views.clear();
    }
    copyIn(a, aLen, aOff);
    if (cp === cols) {
      copyIn(b, inner * cols, bOff);
    } else {
      // Narrow matrices (an output layer of 2 actions): element loops beat a subarray per row.
      for (let k = 0; k < inner; k++) {
        const row = bOff + k * cp;
        const src = k * cols;
        for (let c = 0; c < cols; c++) heap[row + c] = b[src + c]!;
        for (let c = cols; c < cp; c++) heap[row + c] = 0;
      }
    }
    if (bias) {
      for (let c = 0; c < cols; c++) heap[biasOff + c] = bias[c]!;
      for (let c = cols; c < cp; c++) heap[biasOff + c] = 0;
    }
    if (accumulate) {
      // The kernel adds into out in wasm memory: two block copies beat a JS add loop (3x at one row, 64 x 64).
      if (cp === cols) copyIn(out, rows * cols, outOff);
      else {
        for (let r = 0; r < rows; r++) {
          const dst = outOff + r * cp;
          const src = r * cols;
          for (let c = 0; c < cols; c++) heap[dst + c] = out[src + c]!;
          for (let c = cols; c < cp; c++) heap[dst + c] = 0;
        }
      }
    }
    const r4 = rows >> 2;
    const biasPtr = bias ? biasOff * 4 : 0;
    const rl = relu && !accumulate ? 1 : 0;
    const acc = accumulate ? 1 : 0;
    if (r4 > 0) gemm4(aOff * 4, saI * 4, saK * 4, bOff * 4, cp * 4, outOff * 4, cp * 4, biasPtr, r4, inner, cp * 4, rl, acc);
    const done = r4 * 4;
    if (done < rows) {
      gemm1((aOff + done * saI) * 4, saI * 4, saK * 4, bOff * 4, cp * 4, (outOff + done * cp) * 4, cp * 4, biasPtr, rows - done, inner, cp * 4, rl, acc);
    }
    if (cp === cols) {
      out.set(view(outOff, rows * cols), 0); // the offset: set(view) alone allocates (Node 20)
    } else {
      for (let r = 0; r < rows; r++) {
        const src = outOff + r * cp;
        const dst = r * cols;
        for (let c = 0; c < cols; c++) out[dst + c] = heap[src + c]!;
      }
    }
  };
}

/** Which matrix kernel the plain engine runs in this process, and why not SIMD when it is not. */
export interface KernelInfo {
  kernel: 'simd' | 'js';
  reason?: string;
}

let loaded: { gemm: SimdGemm | null; info: KernelInfo } | null = null;
let warned = false;

function load(): { gemm: SimdGemm | null; info: KernelInfo } {
  if (!loaded) {
    try {
      loaded = { gemm: instantiateGemm(gemmWasmBytes()), info: { kernel: 'simd' } };
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      loaded = { gemm: null, info: { kernel: 'js', reason } };
    }
  }
  return loaded;
}

/** The kernel the plain engine uses by default: 'simd', or 'js' with the reason SIMD failed to load. */
export function kernelInfo(): KernelInfo {
  const { info } = load();
  return info.reason === undefined ? { kernel: info.kernel } : { kernel: info.kernel, reason: info.reason };
}

/**
 * The SIMD kernel, or null (the JS loops run instead). The first null returned prints one warning line per
 * process, saying which kernel runs and why: never a silent fallback.
 */
export function simdGemm(): SimdGemm | null {
  const { gemm, info } = load();
  if (gemm === null && !warned) {
    warned = true;
    console.warn(`rxgym nn: the plain engine runs its JS matrix loops (several times slower), not the WebAssembly SIMD kernel: ${info.reason}.`);
  }
  return gemm;
}
