import type * as tf from '@tensorflow/tfjs-core';

/** Options of a network call. */
export interface ApplyOptions {
  /** Training mode: dropout (and condition dropout) active. Default false. */
  training?: boolean;
  /**
   * Seed of the dropout masks. Calls with the same seed draw the same masks, so several
   * evaluations of one network inside a loss (a map and its JVP, say) see the same
   * sub-network, as `vmap(randomness="same")` does in the reference.
   */
  dropoutSeed?: number;
}

/**
 * Directions for a forward-mode (tangent) pass: the derivative of the output along
 * `x -> x + eps*dx, s -> s + eps*ds, t -> t + eps*dt`. Missing entries are zero.
 */
export interface InputTangent {
  x?: tf.Tensor3D;
  s?: tf.Tensor1D;
  t?: tf.Tensor1D;
}

/** Output of a forward-mode pass: the output and its directional derivative. */
export interface OutputWithTangent {
  y: tf.Tensor3D;
  dy: tf.Tensor3D;
}

/**
 * The one network contract every architecture implements, so every loss and sampler works
 * with every network.
 *
 * Shapes: `x: [B, H, A]` action chunk, `s, t: [B]` times, `cond: [B, To, E]` observation
 * embedding (or `null`: treated as zeros), output `[B, H, A]`.
 */
export interface Network {
  /** The architecture's name (`'mlp'`, `'chiunet'`, ...). */
  readonly kind: string;
  /** The options that rebuild this network with {@link createNetwork}-style factories. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Prediction horizon H. */
  readonly horizon: number;
  /** Action dimension A. */
  readonly actDim: number;
  /** Observation steps To. */
  readonly obsSteps: number;
  /** Width E of the observation embedding the network is conditioned on. */
  readonly condDim: number;

  /** y = f(x, s, t, cond). */
  apply(
    x: tf.Tensor3D,
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    cond: tf.Tensor3D | null,
    options?: ApplyOptions,
  ): tf.Tensor3D;

  /**
   * Forward-mode pass: `y = f(x, s, t, cond)` and `dy = J f · (dx, ds, dt)` in one sweep, built
   * from explicit derivative formulas of each layer. Exact, differentiable with ordinary reverse
   * mode, and the fast path of the JVP losses. Optional: the {@link FlowMap} falls back to the
   * double-VJP identity when a network lacks it.
   */
  applyWithTangent?(
    x: tf.Tensor3D,
    s: tf.Tensor1D,
    t: tf.Tensor1D,
    cond: tf.Tensor3D | null,
    tangent: InputTangent,
    options?: ApplyOptions,
  ): OutputWithTangent;

  /** Every variable of the network, trainable ones first, in a stable order with unique names. */
  readonly variables: readonly tf.Variable[];

  /**
   * The variables with their stable, network-relative names (`blocks.0/fc1/kernel`), in the
   * order of {@link variables}. Optional; weights I/O names variables by index when absent.
   */
  readonly namedVariables?: readonly { readonly name: string; readonly variable: tf.Variable }[];

  /** Frees the network's variables. */
  dispose(): void;
}
