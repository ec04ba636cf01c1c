/**
 * A WebAssembly SIMD (f32x4) matrix-multiply kernel for the plain engine, assembled here from a few dozen opcodes
 * (no toolchain, no binary file). One kernel covers every pass of an MLP:
 *
 *   out[i, c] = act(bias[c] + sum_k A(i, k) * b[k, c]),  A(i, k) = a[i * saI + k * saK]
 *
 * so forward (A = x, b = W), the kernel gradient (A = x transposed through strides, b = dz) and the input gradient
 * (A = dz, b = W transposed) need no extra copies. Blocks of 4 rows x 8 columns keep eight f32x4 sums in
 * registers: each b vector loaded serves four rows and each splatted A value eight columns. Operands are copied into one module-wide wasm memory per call: for the
 * nets it serves that costs a few percent of the multiply work, and it keeps the engine's own arrays plain JS.
 *
 * `simdGemm` is null where WebAssembly SIMD is missing; the engine then runs its JS loops.
 */

// ---- a tiny assembler -------------------------------------------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];
}

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  geS: [0x4e],
  eqz: [0x45],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  ifV128: [0x04, V128],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (l: number) => [0x0c, ...uleb(l)],
  brIf: (l: number) => [0x0d, ...uleb(l)],
  f32load: [0x2a, 0x02, 0x00],
  v128load: [0xfd, ...uleb(0x00), 0x04, 0x00],
  v128store: [0xfd, ...uleb(0x0b), 0x04, 0x00],
  v128zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  splat: [0xfd, ...uleb(0x13)],
  fadd: [0xfd, ...uleb(0xe4)],
  fmul: [0xfd, ...uleb(0xe6)],
  fmax: [0xfd, ...uleb(0xe9)],
};

// Parameters of both kernels (all i32; pointers and strides in bytes).
const P_A = 0, P_SAI = 1, P_SAK = 2, P_B = 3, P_LDB = 4, P_OUT = 5, P_LDO = 6, P_BIAS = 7, P_BLOCKS = 8, P_K = 9, P_NBYTES = 10, P_RELU = 11;
const NPARAMS = 12;
// i32 locals.
const L_C = 12, L_K = 13, L_PB = 14, L_PA = 15; // L_PA .. L_PA + 3: row pointers into A
const L_OUT = 19;
const N_I32 = 8;
/** f32x4 groups per row in one column block: 2, i.e. 8 columns (eight accumulators for four rows). */
const VECS = 2;
// v128 locals: accumulators acc[r][v] at L_ACC + r * VECS + v, then b vectors, then the splatted A value.
const L_ACC = NPARAMS + N_I32;
const L_BV = L_ACC + 4 * VECS;
const L_S = L_BV + VECS;
const N_V128 = 4 * VECS + VECS + 1;

/** The body of a kernel that handles `rows` (1 or 4) rows per block, `blocks` blocks per call. */
function kernelBody(rows: number): number[] {
  const b: number[] = [];
  const e = (...xs: (number[] | number)[]) => {
    for (const x of xs) if (Array.isArray(x)) b.push(...x);
    else b.push(x);
  };
  const acc = (r: number, v: number) => L_ACC + r * VECS + v;
  e(op.block, op.loop); // rows loop
  e(op.get(P_BLOCKS), op.eqz, op.brIf(1));
  e(op.i32(0), op.set(L_C));
  e(op.block, op.loop); // column blocks of 4 * VECS
  e(op.get(L_C), op.get(P_NBYTES), op.geS, op.brIf(1));
  // acc[r][v] = bias ? bias[c + 4v .. c + 4v + 3] : 0
  for (let v = 0; v < VECS; v++) {
    e(op.get(P_BIAS), op.ifV128, op.get(P_BIAS), op.get(L_C), op.add, op.i32(16 * v), op.add, op.v128load, op.else, op.v128zero, op.end);
    for (let r = 0; r < rows - 1; r++) e(op.tee(acc(r, v)));
    e(op.set(acc(rows - 1, v)));
  }
  e(op.get(P_B), op.get(L_C), op.add, op.set(L_PB));
  e(op.get(P_A), op.set(L_PA));
  for (let r = 1; r < rows; r++) e(op.get(L_PA + r - 1), op.get(P_SAI), op.add, op.set(L_PA + r));
  e(op.get(P_K), op.set(L_K));
  e(op.block, op.loop); // inner loop over k
  e(op.get(L_K), op.eqz, op.brIf(1));
  for (let v = 0; v < VECS; v++) e(op.get(L_PB), op.i32(16 * v), op.add, op.v128load, op.set(L_BV + v));
  for (let r = 0; r < rows; r++) {
    e(op.get(L_PA + r), op.f32load, op.splat, op.set(L_S));
    for (let v = 0; v < VECS; v++) e(op.get(acc(r, v)), op.get(L_S), op.get(L_BV + v), op.fmul, op.fadd, op.set(acc(r, v)));
    e(op.get(L_PA + r), op.get(P_SAK), op.add, op.set(L_PA + r));
  }
  e(op.get(L_PB), op.get(P_LDB), op.add, op.set(L_PB));
  e(op.get(L_K), op.i32(1), op.sub, op.set(L_K));
  e(op.br(0), op.end, op.end);
  e(op.get(P_RELU), op.if);
  for (let r = 0; r < rows; r++) for (let v = 0; v < VECS; v++) e(op.get(acc(r, v)), op.v128zero, op.fmax, op.set(acc(r, v)));
  e(op.end);
  e(op.get(P_OUT), op.get(L_C), op.add, op.set(L_OUT));
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < VECS; v++) e(op.get(L_OUT), op.i32(16 * v), op.add, op.get(acc(r, v)), op.v128store);
    if (r < rows - 1) e(op.get(L_OUT), op.get(P_LDO), op.add, op.set(L_OUT));
  }
  e(op.get(L_C), op.i32(16 * VECS), op.add, op.set(L_C));
  e(op.br(0), op.end, op.end);
  // next block of rows
  for (let r = 0; r < rows; r++) {
    e(op.get(P_A), op.get(P_SAI), op.add, op.set(P_A));
    e(op.get(P_OUT), op.get(P_LDO), op.add, op.set(P_OUT));
  }
  e(op.get(P_BLOCKS), op.i32(1), op.sub, op.set(P_BLOCKS));
  e(op.br(0), op.end, op.end);
  e(op.end);
  const locals = vec([
    [...uleb(N_I32), I32],
    [...uleb(N_V128), V128],
  ]);
  return [...uleb(locals.length + b.length), ...locals, ...b];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec(new Array<number[]>(NPARAMS).fill([I32])), 0x00];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0x00], [0x00]])),
    ...section(7, vec([[...name('gemm4'), 0x00, 0x00], [...name('gemm1'), 0x00, 0x01]])),
    ...section(10, [...uleb(2), ...kernelBody(4), ...kernelBody(1)]),
  ];
  return new Uint8Array(bytes);
}

// ---- the JS side ------------------------------------------------------------------------------------------------

type Kernel = (a: number, saI: number, saK: number, b: number, ldb: number, out: number, ldo: number, bias: number,
  blocks: number, k: number, nBytes: number, relu: number) => void;

/** out (rows x cols) = act(A b + bias), A(i, k) = a[i * saI + k * saK] (element strides), b (inner x cols). */
export type SimdGemm = (
  a: Float32Array, saI: number, saK: number, b: Float32Array, bias: Float32Array | null, out: Float32Array,
  rows: number, inner: number, cols: number, relu: boolean,
) => void;

function create(): SimdGemm | null {
  if (typeof WebAssembly !== 'object') return null;
  const bytes = moduleBytes();
  if (!WebAssembly.validate(bytes)) return null;
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

  return (a, saI, saK, b, bias, out, rows, inner, cols, relu) => {
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
    const r4 = rows >> 2;
    const biasPtr = bias ? biasOff * 4 : 0;
    const rl = relu ? 1 : 0;
    if (r4 > 0) gemm4(aOff * 4, saI * 4, saK * 4, bOff * 4, cp * 4, outOff * 4, cp * 4, biasPtr, r4, inner, cp * 4, rl);
    const done = r4 * 4;
    if (done < rows) {
      gemm1((aOff + done * saI) * 4, saI * 4, saK * 4, bOff * 4, cp * 4, (outOff + done * cp) * 4, cp * 4, biasPtr, rows - done, inner, cp * 4, rl);
    }
    if (cp === cols) out.set(view(outOff, rows * cols));
    else {
      for (let r = 0; r < rows; r++) {
        const src = outOff + r * cp;
        const dst = r * cols;
        for (let c = 0; c < cols; c++) out[dst + c] = heap[src + c]!;
      }
    }
  };
}

/** The SIMD kernel, or null where WebAssembly SIMD is unavailable. */
export const simdGemm: SimdGemm | null = (() => {
  try {
    return create();
  } catch {
    return null;
  }
})();
