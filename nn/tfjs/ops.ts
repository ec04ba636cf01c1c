/**
 * The tfjs ops the tfjs engine builds layers from, with the gradients tfjs-wasm 4.22 needs: a matMul whose
 * gradient transposes explicitly (wasm runs matMul with transpose flags ~10x slower, and the stock gradient uses
 * those flags) and a 'valid' conv2d whose filter gradient is itself a conv2d (wasm has no Conv2DBackpropFilter).
 * Every function here makes tensors: call it inside `tf.tidy` (or a gradient function).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../types.js';

/** torch's LayerNorm epsilon. */
export const LN_EPS = 1e-5;

/** A 2-d matrix product [n, k] x [k, m] -> [n, m]. */
export type MatMul = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** tfjs's own matMul (its gradient uses transpose flags: fine on cpu and native TensorFlow). */
export const stockMatMul: MatMul = (a, b) => tf.matMul(a, b);

/** matMul whose gradient is dA = dY transpose(B), dB = transpose(A) dY, with explicit transposes (fast on wasm). */
export const transposedMatMul: MatMul = (() => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const a = args[0] as tf.Tensor2D;
    const b = args[1] as tf.Tensor2D;
    const save = args[2] as tf.GradSaveFunc;
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        return [tf.matMul(d, tf.transpose(sb)), tf.matMul(tf.transpose(sa), d)];
      },
    };
  });
  return (a: tf.Tensor2D, b: tf.Tensor2D) => f(a, b) as tf.Tensor2D;
})();

/** The matMul for a backend: the explicit-transpose one on wasm, tfjs's own elsewhere. */
export function matMulFor(backend: string): MatMul {
  return backend === 'wasm' ? transposedMatMul : stockMatMul;
}

type Conv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/**
 * 'valid' conv2d of stride s whose filter gradient is a conv2d of the transposed input and dy (dilation = s):
 * dFilter[kh, kw, c, f] = sum over b, i, j of x[b, i*s + kh, j*s + kw, c] dy[b, i, j, f].
 */
function makeConvValid(stride: number, inputGrad: boolean): Conv {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor4D;
    const w = args[1] as tf.Tensor4D;
    const save = args[2] as tf.GradSaveFunc;
    save([x, w]);
    return {
      value: tf.conv2d(x, w, stride, 'valid'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        const d = dy as tf.Tensor4D;
        const [k, , c, nf] = sw.shape;
        // The input gradient (conv2dTranspose, the slowest op of a step on wasm) is skipped when nobody reads it.
        const dx = inputGrad ? tf.conv2dTranspose(d, sw, sx.shape, stride, 'valid') : tf.zerosLike(sx);
        // The dilated conv's output can exceed k x k when (h - k) is not a multiple of the stride: keep k x k.
        const g = tf.conv2d(tf.transpose(sx, [3, 1, 2, 0]), tf.transpose(d, [1, 2, 0, 3]), 1, 'valid', 'NHWC', stride);
        const dw = tf.transpose(tf.slice(g, [0, 0, 0, 0], [c, k, k, nf]), [1, 2, 0, 3]);
        return [dx, dw];
      },
    };
  });
  return (x, w) => f(x, w) as tf.Tensor4D;
}

const convCache = new Map<string, Conv>();

/**
 * 'valid' conv2d, x [n, h, w, cin] with filter w [k, k, cin, cout] and the given stride, to
 * [n, floor((h - k) / s) + 1, floor((w - k) / s) + 1, cout]. `inputGrad` false makes dx zeros (first layer).
 */
export function convValid(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, inputGrad = true): tf.Tensor4D {
  const key = `${stride}/${inputGrad}`;
  let f = convCache.get(key);
  if (!f) {
    f = makeConvValid(stride, inputGrad);
    convCache.set(key, f);
  }
  return f(x, w);
}

/** Applies an activation elementwise (any shape). */
export function activate<T extends tf.Tensor>(z: T, fn: Activation): T {
  switch (fn) {
    case 'relu':
      return tf.relu(z);
    case 'tanh':
      return tf.tanh(z);
    case 'elu':
      return tf.elu(z);
    default:
      return z;
  }
}

/** Layer norm over the features of each row of z [n, d]: (z - mean) / sqrt(var + 1e-5), biased variance (torch's). */
export function layerNorm(z: tf.Tensor2D, gain?: tf.Tensor, bias?: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(z, 1, true);
  let y: tf.Tensor2D = tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, LN_EPS)));
  if (gain) y = tf.mul(y, gain);
  if (bias) y = tf.add(y, bias);
  return y;
}
