import * as tf from '@tensorflow/tfjs-core';
import type { Dual } from './module.js';

/** An elementwise activation and its forward-mode pass `dy = f'(x) dx`. */
export interface Activation {
  readonly name: ActivationName;
  apply(x: tf.Tensor): tf.Tensor;
  applyDual(x: tf.Tensor, dx: tf.Tensor): Dual;
}

export const ACTIVATION_NAMES = [
  'gelu',
  'gelu-tanh',
  'relu',
  'leaky-relu',
  'silu',
  'mish',
  'tanh',
  'sigmoid',
  'softplus',
] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_GELU_C = Math.sqrt(2 / Math.PI);
const TANH_GELU_K = 0.044715;
/** PyTorch's `nn.LeakyReLU()` default slope. */
export const LEAKY_RELU_SLOPE = 0.01;

function make(
  name: ActivationName,
  f: (x: tf.Tensor) => tf.Tensor,
  df: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor,
): Activation {
  return {
    name,
    apply: (x) => tf.tidy(() => f(x)),
    applyDual: (x, dx) =>
      tf.tidy(() => {
        const y = f(x);
        return [y, tf.mul(df(x, y), dx)] as Dual;
      }),
  };
}

/** Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF. */
function normalCdf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1), 0.5);
}

/**
 * Exact GELU `x Phi(x) = x (1 + erf(x / sqrt 2)) / 2`; f' = Phi(x) + x phi(x).
 * The forward-mode pass computes Phi(x) once for the value and the slope (one erf, not two: erf
 * and its gradient are among the dearest elementwise kernels of a JVP-loss step).
 */
export const gelu: Activation = {
  name: 'gelu',
  apply: (x) => tf.tidy(() => tf.mul(x, normalCdf(x))),
  applyDual: (x, dx) =>
    tf.tidy(() => {
      const cdf = normalCdf(x);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
      return [tf.mul(x, cdf), tf.mul(tf.add(cdf, tf.mul(x, pdf)), dx)] as Dual;
    }),
};

/**
 * Tanh-approximated GELU `x (1 + tanh(u)) / 2`, `u = sqrt(2/pi) (x + 0.044715 x^3)`;
 * f' = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2.
 */
export const geluTanh = make(
  'gelu-tanh',
  (x) => {
    const u = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), TANH_GELU_K)), TANH_GELU_C);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(u), 1));
  },
  (x) => {
    const x2 = tf.square(x);
    const u = tf.mul(tf.mul(x, tf.add(tf.mul(x2, TANH_GELU_K), 1)), TANH_GELU_C);
    const th = tf.tanh(u);
    const du = tf.mul(tf.add(tf.mul(x2, 3 * TANH_GELU_K), 1), TANH_GELU_C);
    return tf.add(tf.mul(tf.add(th, 1), 0.5), tf.mul(tf.mul(tf.mul(x, 0.5), tf.sub(1, tf.square(th))), du));
  },
);

/** ReLU; f' = step(x) (0 at 0, as PyTorch). */
export const relu = make(
  'relu',
  (x) => tf.relu(x),
  (x) => tf.cast(tf.greater(x, 0), 'float32'),
);

/** LeakyReLU with slope 0.01; f' = 1 where x > 0, else 0.01. */
export const leakyRelu = make(
  'leaky-relu',
  (x) => tf.leakyRelu(x, LEAKY_RELU_SLOPE),
  (x) => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, LEAKY_RELU_SLOPE)),
);

/** SiLU `x sigma(x)`; f' = sigma(x) (1 + x (1 - sigma(x))). */
export const silu = make(
  'silu',
  (x) => tf.mul(x, tf.sigmoid(x)),
  (x) => {
    const s = tf.sigmoid(x);
    return tf.mul(s, tf.add(tf.mul(x, tf.sub(1, s)), 1));
  },
);

/** Mish `x tanh(softplus x)`; f' = tanh(sp) + x (1 - tanh^2(sp)) sigma(x). */
export const mish = make(
  'mish',
  (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
  (x) => {
    const th = tf.tanh(tf.softplus(x));
    return tf.add(th, tf.mul(tf.mul(x, tf.sub(1, tf.square(th))), tf.sigmoid(x)));
  },
);

/** tanh; f' = 1 - tanh^2. */
export const tanh = make(
  'tanh',
  (x) => tf.tanh(x),
  (_x, y) => tf.sub(1, tf.square(y)),
);

/** Logistic sigmoid; f' = sigma (1 - sigma). */
export const sigmoid = make(
  'sigmoid',
  (x) => tf.sigmoid(x),
  (_x, y) => tf.mul(y, tf.sub(1, y)),
);

/** Softplus `log(1 + e^x)`; f' = sigma(x). */
export const softplus = make(
  'softplus',
  (x) => tf.softplus(x),
  (x) => tf.sigmoid(x),
);

const TABLE: Readonly<Record<ActivationName, Activation>> = {
  gelu,
  'gelu-tanh': geluTanh,
  relu,
  'leaky-relu': leakyRelu,
  silu,
  mish,
  tanh,
  sigmoid,
  softplus,
};

/** The activation of the given name; the error lists the valid names. */
export function activationByName(name: string): Activation {
  const a = (TABLE as Record<string, Activation | undefined>)[name];
  if (!a) throw new Error(`unknown activation '${name}'; valid: ${ACTIVATION_NAMES.join(', ')}`);
  return a;
}
