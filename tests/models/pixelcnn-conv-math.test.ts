// PixelCNN's convolution machinery (models/pixelcnn-conv.ts) against definitions: the causal taps by hand, the JS
// matrix kernel against a plain triple loop (and the SIMD kernel's contract), the padded layout, and a causal
// convolution's forward and backward against the convolution written over image coordinates with zeros outside
// the image; the gate against tanh(a) sigmoid(b) and its backward against finite differences. `npm run mutate`
// runs this file against the whole of pixelcnn-conv.ts.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { simdGemm, type SimdGemm } from '../../nn/kernels/simd.js';
import {
  CausalConv, gate, gateBackward, horizontalRuns, jsGemm, layoutOf, singleTap, verticalRuns, zeroPads, type Layout, type Run,
} from '../../models/pixelcnn-conv.js';

const simd = simdGemm();
const kernels: [string, SimdGemm][] = [['js', jsGemm], ...(simd ? [['simd', simd] as [string, SimdGemm]] : [])];
const random = (rng: Rng, length: number): Float32Array => Float32Array.from({ length }, () => rng.normal());

describe('the causal taps', () => {
  it('vertical: rows -r .. 0, each a run of k columns -r .. r, weight rows in order', () => {
    expect(verticalRuns(3)).toEqual([{ dy: -1, dx0: -1, len: 3, tap0: 0 }, { dy: 0, dx0: -1, len: 3, tap0: 3 }]);
    expect(verticalRuns(5)).toEqual([
      { dy: -2, dx0: -2, len: 5, tap0: 0 }, { dy: -1, dx0: -2, len: 5, tap0: 5 }, { dy: 0, dx0: -2, len: 5, tap0: 10 },
    ]);
  });

  it('horizontal: columns -r .. 0 of the own row, or -r .. -1 (strictly before the pixel) in the first layer', () => {
    expect(horizontalRuns(3, false)).toEqual([{ dy: 0, dx0: -1, len: 2, tap0: 0 }]);
    expect(horizontalRuns(3, true)).toEqual([{ dy: 0, dx0: -1, len: 1, tap0: 0 }]);
    expect(horizontalRuns(5, true)).toEqual([{ dy: 0, dx0: -2, len: 2, tap0: 0 }]);
    expect(singleTap(-1, 0)).toEqual([{ dy: -1, dx0: 0, len: 1, tap0: 0 }]);
  });
});

/** out (rows x cols) = A B (+ bias) with A[i, k] = a[i saI + k saK], relu'd, or added to out when `accumulate`. */
function gemmByHand(a: Float32Array, saI: number, saK: number, b: Float32Array, bias: Float32Array | null, out: Float32Array,
  rows: number, inner: number, cols: number, relu: boolean, accumulate: boolean): void {
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) {
      let s = accumulate ? out[i * cols + c]! : bias ? bias[c]! : 0;
      for (let k = 0; k < inner; k++) s += a[i * saI + k * saK]! * b[k * cols + c]!;
      out[i * cols + c] = relu && !accumulate ? Math.max(0, s) : s;
    }
  }
}

describe('the matrix kernel', () => {
  for (const [name, gemm] of kernels) {
    it(`${name}: A B + bias through both strides, relu, accumulate, zeros in A`, () => {
      const rng = new Rng(1);
      const [rows, inner, cols] = [5, 4, 3];
      const a = random(rng, rows * inner + 3);
      a[2] = 0;
      a[7] = 0;
      const b = random(rng, inner * cols);
      const bias = random(rng, cols);
      for (const [saI, saK] of [[inner, 1], [1, rows], [2, 1]] as const) {
        for (const relu of [false, true]) {
          for (const accumulate of [false, true]) {
            for (const withBias of [false, true]) {
              const start = random(new Rng(2), rows * cols + 2);
              const want = start.slice();
              const got = start.slice();
              gemmByHand(a, saI, saK, b, withBias ? bias : null, want, rows, inner, cols, relu, accumulate);
              gemm(a, saI, saK, b, withBias ? bias : null, got, rows, inner, cols, relu, accumulate);
              const what = `strides ${saI},${saK} relu ${relu} accumulate ${accumulate} bias ${withBias}`;
              for (let k = 0; k < want.length; k++) expect(got[k]! - want[k]!, `${what}: ${k}`).toBeCloseTo(0, 5);
            }
          }
        }
      }
    });
  }
});

describe('the padded layout', () => {
  it('layoutOf: wp = w + 2r, hp = h + r, outputs from image 0 pixel 0 to r before the end', () => {
    expect(layoutOf(2, 3, 4, 1)).toEqual({ n: 2, h: 3, w: 4, r: 1, wp: 6, hp: 4, rows: 48, start: 7, end: 47 });
    expect(layoutOf(1, 2, 2, 2)).toEqual({ n: 1, h: 2, w: 2, r: 2, wp: 6, hp: 4, rows: 24, start: 14, end: 22 });
  });

  it('zeroPads zeroes the r rows above each image and r columns either side, and nothing else', () => {
    for (const [n, h, w, r, ch] of [[2, 3, 4, 1, 2], [1, 2, 3, 2, 1]] as const) {
      const L = layoutOf(n, h, w, r);
      const a = new Float32Array(L.rows * ch).fill(1);
      zeroPads(a, ch, L);
      for (let row = 0; row < L.rows; row++) {
        const y = Math.floor(row / L.wp) % L.hp;
        const x = row % L.wp;
        const pad = y < r || x < r || x >= L.wp - r;
        for (let c = 0; c < ch; c++) expect(a[row * ch + c], `row ${row} (y ${y}, x ${x})`).toBe(pad ? 0 : 1);
      }
    }
  });
});

interface Case { L: Layout; conv: CausalConv; params: Float32Array; input: Float32Array; image: Float32Array }

/** A convolution of `runs` with random weights at offset 3 of params, and a random image (n x h x w x cin) in layout. */
function convCase(runs: Run[], cin: number, cout: number, seed: number): Case {
  const rng = new Rng(seed);
  const [n, h, w, r] = [2, 3, 4, 1];
  const L = layoutOf(n, h, w, r);
  const conv = new CausalConv('test', cin, cout, runs, 3);
  const params = random(rng, 3 + conv.size + 2);
  const image = random(rng, n * h * w * cin);
  const input = new Float32Array(L.rows * cin);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    input.set(image.subarray(((b * h + y) * w + x) * cin, ((b * h + y) * w + x + 1) * cin), ((b * L.hp + y + r) * L.wp + x + r) * cin);
  }
  return { L, conv, params, input, image };
}

/** Each tap of `runs` as (dy, dx, weight row). */
const tapsOf = (runs: readonly Run[]): [number, number, number][] =>
  runs.flatMap((run) => Array.from({ length: run.len }, (_, j) => [run.dy, run.dx0 + j, run.tap0 + j] as [number, number, number]));

/** Row of pixel (b, y, x) in the layout. */
const rowOf = (L: Layout, b: number, y: number, x: number): number => (b * L.hp + y + L.r) * L.wp + x + L.r;

/** conv(image)[b, y, x, c] = bias[c] + sum over taps and input channels of image[b, y + dy, x + dx, k] W[tap cin + k, c], 0 outside. */
function convByHand({ L, conv, params, image }: Case, b: number, y: number, x: number, c: number): number {
  const { cin, cout } = conv;
  let s = params[conv.bOff + c]!;
  for (const [dy, dx, tap] of tapsOf(conv.runs)) {
    if (y + dy < 0 || x + dx < 0 || x + dx >= L.w) continue;
    for (let k = 0; k < cin; k++) s += image[((b * L.h + y + dy) * L.w + x + dx) * cin + k]! * params[conv.wOff + (tap * cin + k) * cout + c]!;
  }
  return s;
}

const pixels = (L: Layout): [number, number, number][] =>
  Array.from({ length: L.n * L.h * L.w }, (_, i) => [Math.floor(i / (L.h * L.w)), Math.floor(i / L.w) % L.h, i % L.w]);

describe('CausalConv', () => {
  const shapes: [string, Run[]][] = [['vertical', verticalRuns(3)], ['horizontal', horizontalRuns(3, false)], ['first horizontal', horizontalRuns(3, true)], ['1x1', singleTap(0, 0)]];

  it('sizes: taps x cin x cout weights, then cout biases', () => {
    const conv = new CausalConv('v', 2, 5, verticalRuns(3), 10);
    expect([conv.taps, conv.inner, conv.bOff, conv.size]).toEqual([6, 12, 10 + 60, 65]);
  });

  for (const [gemmName, gemm] of kernels) {
    for (const [name, runs] of shapes) {
      it(`${gemmName} ${name}: forward is the convolution over image coordinates, or adds it when accumulating`, () => {
        const c = convCase(runs, 2, 3, 3);
        const out = new Float32Array(c.L.rows * 3);
        c.conv.forward(gemm, c.params, c.input, out, c.L, false);
        const acc = random(new Rng(4), c.L.rows * 3);
        const before = acc.slice();
        c.conv.forward(gemm, c.params, c.input, acc, c.L, true);
        for (const [b, y, x] of pixels(c.L)) {
          for (let ch = 0; ch < 3; ch++) {
            const row = rowOf(c.L, b, y, x);
            expect(out[row * 3 + ch]! - convByHand(c, b, y, x, ch), `${b},${y},${x},${ch}`).toBeCloseTo(0, 5);
            expect(acc[row * 3 + ch]! - before[row * 3 + ch]! - convByHand(c, b, y, x, ch)).toBeCloseTo(0, 5);
          }
        }
      });

      it(`${gemmName} ${name}: backward adds windows^T dOut, sum dOut and dOut W^T at each tap`, () => {
        const c = convCase(runs, 2, 3, 5);
        const { L, conv, params, input } = c;
        const out = new Float32Array(L.rows * 3);
        conv.forward(gemm, params, input, out, L, false);
        // dOut on image pixels only (the layer zeroes it at the padding).
        const rng = new Rng(6);
        const dOut = new Float32Array(L.rows * 3);
        for (const [b, y, x] of pixels(L)) for (let ch = 0; ch < 3; ch++) dOut[rowOf(L, b, y, x) * 3 + ch] = rng.normal();
        const grads = new Float32Array(params.length).fill(0.25);
        const dIn = new Float32Array(L.rows * 2).fill(0.5);
        conv.backward(gemm, params, grads, input, dOut, L, dIn);
        // The loss sum(dOut * conv(image)) is linear in W, b and the image: its gradient by hand.
        const wantW = new Float64Array(conv.inner * 3);
        const wantB = new Float64Array(3);
        const wantIn = new Float64Array(L.rows * 2);
        for (const [b, y, x] of pixels(L)) {
          for (let ch = 0; ch < 3; ch++) {
            const g = dOut[rowOf(L, b, y, x) * 3 + ch]!;
            wantB[ch] = wantB[ch]! + g;
            for (const [dy, dx, tap] of tapsOf(conv.runs)) {
              if (y + dy < 0 || x + dx < 0 || x + dx >= L.w) continue;
              const src = rowOf(L, b, y + dy, x + dx);
              for (let k = 0; k < 2; k++) {
                wantW[tap * 2 * 3 + k * 3 + ch] = wantW[tap * 2 * 3 + k * 3 + ch]! + input[src * 2 + k]! * g;
                wantIn[src * 2 + k] = wantIn[src * 2 + k]! + params[conv.wOff + (tap * 2 + k) * 3 + ch]! * g;
              }
            }
          }
        }
        for (let k = 0; k < wantW.length; k++) expect(grads[conv.wOff + k]! - 0.25 - wantW[k]!, `dW ${k}`).toBeCloseTo(0, 4);
        for (let ch = 0; ch < 3; ch++) expect(grads[conv.bOff + ch]! - 0.25 - wantB[ch]!, `db ${ch}`).toBeCloseTo(0, 4);
        expect(grads[2]).toBe(0.25);
        expect(grads[conv.bOff + 3]).toBe(0.25);
        for (const [b, y, x] of pixels(L)) {
          for (let k = 0; k < 2; k++) expect(dIn[rowOf(L, b, y, x) * 2 + k]! - 0.5 - wantIn[rowOf(L, b, y, x) * 2 + k]!, `dIn ${b},${y},${x}`).toBeCloseTo(0, 4);
        }
        // Without dIn only the parameter gradients are added.
        const again = new Float32Array(params.length);
        conv.backward(gemm, params, again, input, dOut, L, null);
        for (let k = 0; k < again.length; k++) expect(again[k]).toBeCloseTo(grads[k]! - 0.25, 4);
      });
    }

    for (const [name, runs] of shapes) {
      for (const accumulate of [false, true]) {
        it(`${gemmName} ${name}: relu applies to the whole sum${accumulate ? ', accumulated output included' : ''}`, () => {
          const c = convCase(runs, 2, 3, 7);
          const out = random(new Rng(8), c.L.rows * 3);
          const before = out.slice();
          c.conv.forward(gemm, c.params, c.input, out, c.L, accumulate, true);
          let clipped = 0;
          for (const [b, y, x] of pixels(c.L)) {
            for (let ch = 0; ch < 3; ch++) {
              const row = rowOf(c.L, b, y, x);
              const want = (accumulate ? before[row * 3 + ch]! : 0) + convByHand(c, b, y, x, ch);
              if (want < 0) clipped++;
              expect(out[row * 3 + ch]! - Math.max(0, want), `${b},${y},${x},${ch}`).toBeCloseTo(0, 5);
            }
          }
          // Some outputs are clipped and some are not (48 in all).
          expect(clipped).toBeGreaterThan(2);
          expect(clipped).toBeLessThan(45);
        });
      }
    }
  }
});

describe('the gate', () => {
  it('gate = tanh(a) sigmoid(b) on rows [from, to), keeping tanh and sigmoid', () => {
    const C = 2;
    const pre = Float32Array.from([9, 9, 9, 9, 0.5, -1, -1, 2, 9, 9, 9, 9]);
    const act = new Float32Array(12).fill(7);
    const out = new Float32Array(6).fill(7);
    gate(pre, act, out, 1, 2, C);
    expect(Array.from(out)).toEqual([7, 7, expect.closeTo(Math.tanh(0.5) / (1 + Math.E), 6), expect.closeTo(Math.tanh(-1) / (1 + Math.exp(-2)), 6), 7, 7]);
    expect(Array.from(act.subarray(4, 8))).toEqual([Math.tanh(0.5), Math.tanh(-1), 1 / (1 + Math.E), 1 / (1 + Math.exp(-2))].map((v) => expect.closeTo(v, 6)));
    expect(act[3]).toBe(7);
    expect(act[8]).toBe(7);
  });

  it('gateBackward matches finite differences of sum(dOut gate(pre)) on rows [from, to)', () => {
    const C = 3;
    const rng = new Rng(8);
    const pre = random(rng, 4 * 2 * C);
    const dOut = random(rng, 4 * C);
    const act = new Float32Array(pre.length);
    const out = new Float32Array(4 * C);
    const loss = (p: Float32Array): number => {
      gate(p, act, out, 1, 3, C);
      let s = 0;
      for (let i = C; i < 3 * C; i++) s += dOut[i]! * out[i]!;
      return s;
    };
    loss(pre);
    const dPre = new Float32Array(pre.length).fill(7);
    gateBackward(act, dOut, dPre, 1, 3, C);
    const h = 1e-2;
    for (let k = 2 * C; k < 6 * C; k++) {
      const up = pre.slice();
      up[k] = up[k]! + h;
      const down = pre.slice();
      down[k] = down[k]! - h;
      expect(dPre[k]! - (loss(up) - loss(down)) / (2 * h), `pre ${k}`).toBeCloseTo(0, 3);
    }
    expect(dPre[2 * C - 1]).toBe(7);
    expect(dPre[6 * C]).toBe(7);
  });
});
