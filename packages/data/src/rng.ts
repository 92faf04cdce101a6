import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * A small seeded random source (pure-rand's xoroshiro128+). Every random choice of the package
 * (shuffles, splits, toy samples) goes through one of these, so runs are reproducible from a seed and
 * independent of `Math.random`.
 */
export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform integer in [from, to] (both included). */
  int(from: number, to: number): number;
  /** Standard normal (Box-Muller; one value per call). */
  normal(): number;
}

/** Creates a seeded {@link Rng}. Equal seeds give equal streams. */
export function createRng(seed: number): Rng {
  const gen = xoroshiro128plus(seed | 0);
  return {
    uniform: () => uniformFloat64(gen),
    int: (from, to) => uniformInt(gen, from, to),
    normal: () => {
      // 1 - u lies in (0, 1], so the log is finite.
      const u1 = 1 - uniformFloat64(gen);
      const u2 = uniformFloat64(gen);
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
  };
}

/** In-place Fisher-Yates shuffle driven by `rng`. */
export function shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t as never;
  }
}
