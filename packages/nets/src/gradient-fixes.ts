import * as tf from '@tensorflow/tfjs-core';

type GradFunc = tf.GradConfig['gradFunc'];

let higherOrderFixInstalled = false;
let fastMatMulInstalled = false;

/** Kernels whose gradient is zero everywhere (boolean outputs). */
const ZERO_GRADIENT_BINARY = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'] as const;

/**
 * Re-registers the TF.js 4.22 gradients that break higher-order differentiation.
 *
 * Why: a gradient that saves its kernel's OUTPUT (Sigmoid, Tanh, Exp, Softmax, LogSoftmax, Pow)
 * reuses that output tensor inside the gradient graph, and a second (or third) differentiation
 * treats it as a constant: SiLU, Mish, tanh and tanh-GELU nets then get silently wrong JVP-loss
 * gradients (1-4% off). The replacements save the INPUT and recompute the output inside the
 * gradient, so every order is exact. Also registers zero gradients for LogicalNot and the
 * comparison kernels, which appear inside the gradients of `where`, leakyRelu, selu and relu and
 * otherwise make third-order gradients throw ("no gradient").
 *
 * Global (TF.js's gradient registry is global) and idempotent. Call it once at start-up in
 * anything that differentiates a loss containing a JVP; it does not change first-order values.
 */
export function installHigherOrderGradientFix(): void {
  if (higherOrderFixInstalled) return;
  higherOrderFixInstalled = true;
  const unary = (kernelName: string, grad: (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor) =>
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[]) => ({ x: () => grad(saved[0], dy) })) as GradFunc,
    });
  // d sigma = sigma (1 - sigma)
  unary('Sigmoid', (x, dy) => {
    const y = tf.sigmoid(x);
    return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
  });
  // d tanh = 1 - tanh^2
  unary('Tanh', (x, dy) => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x)))));
  // d exp = exp
  unary('Exp', (x, dy) => tf.mul(dy, tf.exp(x)));
  tf.registerGradient({
    kernelName: 'Softmax',
    inputsToSave: ['logits'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const dim = attrs.dim as number;
      return {
        logits: () => {
          const y = tf.softmax(saved[0], dim);
          const dyy = tf.mul(dy, y);
          return tf.sub(dyy, tf.mul(tf.sum(dyy, [dim], true), y));
        },
      };
    }) as GradFunc,
  });
  tf.registerGradient({
    kernelName: 'LogSoftmax',
    inputsToSave: ['logits'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const axis = attrs.axis as number;
      return {
        logits: () => tf.sub(dy, tf.mul(tf.sum(dy, axis, true), tf.softmax(saved[0], axis))),
      };
    }) as GradFunc,
  });
  tf.registerGradient({
    kernelName: 'Pow',
    inputsToSave: ['a', 'b'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [a, b] = saved;
      const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const reduceTo = (g: tf.Tensor, shape: number[]) => {
        const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
        return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
      };
      return {
        a: () => {
          const bf = tf.cast(b, 'float32');
          return reduceTo(tf.mul(dy, tf.mul(bf, tf.pow(a, tf.sub(bf, 1)))), a.shape);
        },
        b: () => {
          const logA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
          return reduceTo(tf.mul(dy, tf.mul(tf.pow(a, b), logA)), b.shape);
        },
      };
    }) as GradFunc,
  });
  tf.registerGradient({
    kernelName: 'LogicalNot',
    gradFunc: ((dy: tf.Tensor) => ({ x: () => tf.zerosLike(dy) })) as GradFunc,
  });
  for (const kernelName of ZERO_GRADIENT_BINARY) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: ((_dy: tf.Tensor, saved: tf.Tensor[]) => ({
        a: () => tf.zerosLike(saved[0]),
        b: () => tf.zerosLike(saved[1]),
      })) as GradFunc,
    });
  }
}

/** Swaps the last two axes. */
function transposeLast2(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/**
 * Re-registers the BatchMatMul gradient (`tf.matMul`'s kernel) to transpose operands explicitly
 * with `tf.transpose` and then multiply with no transpose flags.
 *
 * Why: the stock gradient asks the kernel for transposed operands, which takes the wasm backend
 * off its fast path (a 256x512x512 product: 7 ms plain, 48-120 ms transposed); explicit
 * transposes make wasm training 4-7x faster. Values equal the stock gradient (up to float
 * rounding) and higher orders stay intact (transpose and matMul are differentiable). Global and
 * idempotent.
 *
 * With y = A B, A = op(a), B = op(b): dA = dy B^T, dB = A^T dy, and the gradient of a transposed
 * operand is the transpose of that.
 */
export function installFastMatMulGradient(): void {
  if (fastMatMulInstalled) return;
  fastMatMulInstalled = true;
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [a, b] = saved;
      const transposeA = attrs.transposeA as boolean;
      const transposeB = attrs.transposeB as boolean;
      const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y);
      return {
        a: () => {
          const bOp = transposeB ? transposeLast2(b) : b;
          // dA = dy B^T; a = A^T when transposed: da = B dy^T.
          return transposeA ? mm(bOp, transposeLast2(dy)) : mm(dy, transposeLast2(bOp));
        },
        b: () => {
          const aOp = transposeA ? transposeLast2(a) : a;
          // dB = A^T dy; b = B^T when transposed: db = dy^T A.
          return transposeB ? mm(transposeLast2(dy), aOp) : mm(transposeLast2(aOp), dy);
        },
      };
    }) as GradFunc,
  });
}
