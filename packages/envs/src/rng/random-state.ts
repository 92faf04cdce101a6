/**
 * numpy's legacy `np.random.RandomState`: the MT19937 generator with `init_genrand` seeding, the
 * 53-bit `random_sample`, `randint` by masked rejection sampling and `randn` by the polar
 * Box-Muller `legacy_gauss` (which caches its second value). Bit-for-bit equal to numpy, so
 * `PushTEnv.reset(seed)` draws exactly the initial states of the Python environment.
 *
 * @example
 * ```ts
 * const rs = new RandomState(0);
 * rs.randint(50, 450); // 222, as np.random.RandomState(0).randint(50, 450)
 * rs.randn();
 * ```
 */
export class RandomState {
  private readonly mt = new Uint32Array(624);
  private mti = 625;
  private hasGauss = false;
  private gauss = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /**
   * `RandomState.seed(seed)` for an integer seed in [0, 2^32): MT19937 `init_genrand`,
   * `mt[i] = 1812433253 * (mt[i-1] ^ (mt[i-1] >>> 30)) + i  (mod 2^32)`. Clears the cached gauss.
   */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`RandomState: seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = 624;
    this.hasGauss = false;
    this.gauss = 0;
  }

  /** Next raw 32-bit output of MT19937 (tempered), as an unsigned number. */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random_sample()`: a double in [0, 1) from two draws, `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53`. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * `randint(low, high)`: one integer in [low, high) exactly as numpy's legacy path
   * (`_rand_int64` with `use_masked=True`). With `rng = high - 1 - low` and `mask` the smallest
   * `2^k - 1 >= rng`, it draws `v = next & mask` until `v <= rng` and returns `low + v`; ranges
   * of width 2^32 take one raw draw; wider ones (up to 2^53) take a 64-bit draw `hi << 32 | lo`.
   */
  randint(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
      throw new RangeError(`RandomState.randint: need integers low < high, got ${low}, ${high}`);
    }
    const rng = high - 1 - low;
    if (!Number.isSafeInteger(rng)) throw new RangeError('RandomState.randint: range wider than 2^53');
    if (rng === 0) return low;
    if (rng === 0xffffffff) return low + this.nextUint32();
    if (rng < 0xffffffff) {
      let mask = rng;
      mask |= mask >>> 1;
      mask |= mask >>> 2;
      mask |= mask >>> 4;
      mask |= mask >>> 8;
      mask |= mask >>> 16;
      mask >>>= 0;
      let v: number;
      do v = (this.nextUint32() & mask) >>> 0;
      while (v > rng);
      return low + v;
    }
    // 64-bit path: numpy's next_uint64 for MT19937 is (first << 32) | second.
    const hiRng = Math.floor(rng / 4294967296);
    let hiMask = hiRng;
    hiMask |= hiMask >>> 1;
    hiMask |= hiMask >>> 2;
    hiMask |= hiMask >>> 4;
    hiMask |= hiMask >>> 8;
    hiMask |= hiMask >>> 16;
    let v: number;
    do {
      const hi = (this.nextUint32() & hiMask) >>> 0;
      const lo = this.nextUint32();
      v = hi * 4294967296 + lo;
    } while (v > rng);
    return low + v;
  }

  /**
   * One standard normal by `legacy_gauss`: draw `x1, x2 = 2u - 1` until `0 < r2 = x1^2 + x2^2 < 1`,
   * `f = sqrt(-2 ln(r2) / r2)`; return `f * x2` and cache `f * x1` for the next call.
   */
  randn(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      return this.gauss;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }
}
