/**
 * The one error class of `@mipjs/envs`: bad input to an environment (a NaN action, a state or
 * action of the wrong length, a non-integer seed). It is thrown before anything is changed, so
 * the world is never left half-updated.
 *
 * @example
 * ```ts
 * try { env.step([NaN, 0]); } catch (e) { if (e instanceof EnvError) console.log(e.message); }
 * ```
 */
export class EnvError extends Error {
  override readonly name = 'EnvError';
  constructor(message: string) {
    super(message);
  }
}

/** Throws an {@link EnvError} unless `v` has `length` finite numbers. */
export function assertFiniteVector(what: string, v: ArrayLike<number>, length: number): void {
  if (v == null || typeof v.length !== 'number') {
    throw new EnvError(`${what}: expected ${length} numbers, got ${String(v)}`);
  }
  if (v.length !== length) throw new EnvError(`${what}: expected ${length} numbers, got ${v.length}`);
  for (let i = 0; i < length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new EnvError(`${what}: element ${i} is ${String(x)}, expected a finite number`);
    }
  }
}
