import * as tf from '@tensorflow/tfjs-core';
import { InitRandom } from './init.js';

/** A variable and its stable, network-relative name (`blocks.0/fc1/kernel`). */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly trainable: boolean;
}

/**
 * The variable registry of one network: every layer creates its variables through a
 * {@link VariableScope} of the store, which gives each a unique stable name built from the scope
 * path. The names are independent of TF.js's global variable names (which must be unique in the
 * whole process), so two networks of the same architecture have the same names, which is what
 * weights I/O and EMA copies match on.
 */
export class VariableStore {
  private readonly entries: NamedVariable[] = [];
  private readonly names = new Set<string>();
  /** Root random source of the initialisers (seeded). */
  readonly rng: InitRandom;

  constructor(seed = 0) {
    this.rng = new InitRandom(seed);
  }

  /** The root scope. */
  root(): VariableScope {
    return new VariableScope(this, '');
  }

  /** Registers a variable under a unique name. Called by {@link VariableScope.variable}. */
  register(name: string, initial: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.names.has(name)) throw new Error(`duplicate variable name '${name}'`);
    this.names.add(name);
    const variable = tf.variable(initial, trainable);
    initial.dispose();
    this.entries.push({ name, variable, trainable });
    return variable;
  }

  /** Trainable variables first, then the fixed ones; each group in creation order. */
  get namedVariables(): readonly NamedVariable[] {
    return [...this.entries.filter((e) => e.trainable), ...this.entries.filter((e) => !e.trainable)];
  }

  /** The variables in {@link namedVariables} order. */
  get variables(): tf.Variable[] {
    return this.namedVariables.map((e) => e.variable);
  }

  /** Trainable variables only. */
  get trainableVariables(): tf.Variable[] {
    return this.entries.filter((e) => e.trainable).map((e) => e.variable);
  }

  dispose(): void {
    for (const e of this.entries) e.variable.dispose();
    this.entries.length = 0;
    this.names.clear();
  }
}

/** A named position in a {@link VariableStore}: `scope.child('fc1').variable('kernel', ...)`. */
export class VariableScope {
  readonly store: VariableStore;
  /** The path of this scope, `''` at the root, else ending in `/`. */
  readonly prefix: string;

  constructor(store: VariableStore, prefix: string) {
    this.store = store;
    this.prefix = prefix;
  }

  /** A sub-scope: names become `<prefix><name>/...`. */
  child(name: string | number): VariableScope {
    const n = String(name);
    if (n.length === 0 || n.includes('/'))
      throw new Error(`scope name must be non-empty without '/', got '${n}'`);
    return new VariableScope(this.store, `${this.prefix}${n}/`);
  }

  /** The full name of a variable or sub-layer of this scope. */
  path(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** A fresh initialiser stream for one parameter. */
  rng(): InitRandom {
    return this.store.rng.fork();
  }

  /** Creates and registers a variable (takes ownership of `initial`). */
  variable(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    return this.store.register(this.path(name), initial, trainable);
  }
}

/** A tensor and its tangent (directional derivative) in a forward-mode pass. */
export type Dual<T extends tf.Tensor = tf.Tensor> = [primal: T, tangent: T];

/**
 * What every layer with a forward-mode pass provides:
 * `apply(x)` and `applyDual(x, dx) -> [y, dy]` with `dy = J_x y · dx`.
 */
export interface DualLayer {
  apply(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor;
  applyDual(x: tf.Tensor, dx: tf.Tensor, ctx?: ForwardContext): Dual;
}

/**
 * Per-call state of a network: training mode and the seed of the dropout masks. A primal pass and
 * its tangent pass use the same context, so they see the same masks.
 */
export interface ForwardContext {
  readonly training: boolean;
  readonly seed: number;
}

/** An evaluation-mode context (dropout off). */
export const EVAL_CONTEXT: ForwardContext = { training: false, seed: 0 };

/**
 * The context of one network call from its options: when training without a seed, one seed is
 * drawn here (per call), so every layer of the call and its tangent pass share it.
 */
export function forwardContext(options?: { training?: boolean; dropoutSeed?: number }): ForwardContext {
  const training = options?.training ?? false;
  const seed = options?.dropoutSeed ?? (training ? drawSeed() : 0);
  return { training, seed };
}

/** A fresh 32-bit seed from the host RNG. */
export function drawSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
