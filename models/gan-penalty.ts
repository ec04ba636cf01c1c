/**
 * WGAN-GP's gradient penalty lambda mean_i (||grad_x C(x_i)|| - 1)^2 (Gulrajani et al.) for a critic that is a
 * plain-engine MLP. The penalty's gradient with respect to the critic's parameters is a second derivative, which
 * the Net interface does not offer (it gives first derivatives only), so this file rebuilds the critic's dense
 * layers in tfjs from the flat parameters and differentiates twice (tf.grad inside tf.grads) on the current tfjs
 * backend. The critic itself stays a plain Net: its forward passes and the generator's input gradients run there.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { Activation, Net } from '../nn/types.js';

/**
 * The activations whose second derivative tfjs gets right. tfjs's tanh and elu gradients read the op's saved
 * output, which is not linked back to the parameters on the outer tape: a finite-difference check of the penalty's
 * gradient (tests/models/gan.test.ts) is off by up to 100% with tanh and exact with relu, whose gradient reads the input.
 */
const PENALTY_ACTIVATIONS: readonly (Activation | undefined)[] = ['relu', 'identity', undefined];

function act(h: tf.Tensor2D, a: Activation | undefined): tf.Tensor2D {
  return a === 'relu' ? tf.relu(h) : h;
}

/** Throws InvalidConfig unless `net` is dense layers with relu or no activation (what `gradientPenalty` differentiates twice correctly). */
export function checkDenseOnly(net: Net): void {
  for (const layer of net.spec.layers) {
    if (layer.kind !== 'dense') throw new InvalidConfig(`Expected a critic of dense layers only for the gradient penalty, got a '${describeValue(layer.kind)}' layer.`);
    if (!PENALTY_ACTIVATIONS.includes(layer.activation)) {
      throw new InvalidConfig(`Expected a critic with relu activations for the gradient penalty (tfjs differentiates tanh and elu only once), got ${describeValue(layer.activation)}.`);
    }
  }
}

/**
 * Adds the gradient of lambda mean_i (||grad_x C(x_i)|| - 1)^2 over `rows` points x (rows x inputSize) into
 * `critic.grads` and returns the penalty's value. C is `critic` with its current `params`.
 */
export function gradientPenalty(critic: Net, x: Float32Array, rows: number, lambda: number): number {
  checkDenseOnly(critic);
  const shapes = critic.paramShapes();
  const layers = critic.spec.layers;
  return tf.tidy(() => {
    const xs = tf.tensor2d(x.subarray(0, rows * critic.inputSize), [rows, critic.inputSize]);
    const ps = shapes.map((s) => tf.tensor(critic.params.subarray(s.offset, s.offset + s.size), s.shape));
    const penalty = (...w: tf.Tensor[]): tf.Scalar => {
      const c = (input: tf.Tensor): tf.Tensor => {
        let h = input as tf.Tensor2D;
        layers.forEach((layer, i) => {
          // Stryker disable next-line ConditionalExpression: checkDenseOnly above refused every other kind; this narrows the type
          if (layer.kind !== 'dense') return;
          h = act(tf.add(tf.matMul(h, w[2 * i] as tf.Tensor2D), w[2 * i + 1]!), layer.activation);
        });
        return tf.sum(h);
      };
      const g = tf.grad(c)(xs);
      // 1e-12 keeps the norm's derivative finite where the input gradient vanishes.
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), 1), 1e-12));
      const value = tf.mul(tf.mean(tf.square(tf.sub(norm, 1))), lambda);
      // The output bias does not reach grad_x C, and tfjs refuses a gradient for a tensor that nothing depends on:
      // 0 times every parameter keeps each one on the tape (its gradient is then exactly 0).
      return tf.add(value, tf.mul(0, tf.addN(w.map((t) => tf.sum(t))))) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(penalty)(ps);
    grads.forEach((g, k) => {
      const s = shapes[k]!;
      const d = g.dataSync();
      for (let j = 0; j < s.size; j++) critic.grads[s.offset + j] = critic.grads[s.offset + j]! + d[j]!;
    });
    return value.dataSync()[0]!;
  });
}
