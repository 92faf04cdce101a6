/**
 * The one error type of `@mipjs/data`.
 *
 * Bad data files are the most common failure of a training run, and they usually surface far from
 * their cause (a NaN loss hours later). Every loader therefore checks its input up front and throws a
 * `DataError` that names the file, the key inside it, and what was expected, so the message alone
 * tells the user which array to look at.
 */
export class DataError extends Error {
  /** File or directory the data came from (or a short label for in-memory data). */
  readonly file: string;
  /** Key / path inside the file (`data/demo_3/actions`, `meta/episode_ends`, ...). */
  readonly key: string;
  /** What the loader expected to find. */
  readonly expected: string;
  /** What was found instead, when known. */
  readonly found: string | undefined;

  constructor(file: string, key: string, expected: string, found?: string) {
    super(`${file}: '${key}': expected ${expected}${found === undefined ? '' : `, found ${found}`}`);
    this.name = 'DataError';
    this.file = file;
    this.key = key;
    this.expected = expected;
    this.found = found;
  }
}

/**
 * Throws a {@link DataError} at the first NaN or infinite value. Non-finite inputs would otherwise
 * poison min/max statistics silently (a single NaN makes every normalised value NaN).
 */
export function assertFinite(values: ArrayLike<number>, file: string, key: string, width = 1): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / Math.max(1, width));
      throw new DataError(file, key, 'finite values', `${v} at row ${row}, column ${i % Math.max(1, width)}`);
    }
  }
}
