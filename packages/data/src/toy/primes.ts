/** The first `n` primes (2, 3, 5, ...), by trial division: the toy tasks need at most 128. */
export function firstPrimes(n: number): number[] {
  const out: number[] = [];
  for (let k = 2; out.length < n; k++) {
    let prime = true;
    for (const p of out) {
      if (p * p > k) break;
      if (k % p === 0) {
        prime = false;
        break;
      }
    }
    if (prime) out.push(k);
  }
  return out;
}

/** numpy's `linspace(start, stop, num)`: `start + i * step`, with the last point set to `stop` exactly. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  out[num - 1] = stop;
  return out;
}
