// io/ owns files and the terminal: atomic writes and progress display.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A file or folder the bench cannot read or write as it needs: the message names the path. */
export class FileError extends Error {
  override name = 'FileError';
}

/**
 * Creates `path` and its missing parents, one level at a time. Node 20's `mkdirSync(path,
 * { recursive: true })` spins forever at 100% CPU where a directory cannot be made (under `/proc`,
 * for one); a plain `mkdir` per level fails at once. Every folder the bench makes goes through
 * here, so a bad `--out` is a one-line {@link FileError} naming the folder.
 *
 * ```ts
 * makeDir('runs/compare-1/flow-s0'); // creates runs/, runs/compare-1/, runs/compare-1/flow-s0/
 * ```
 */
export function makeDir(path: string): void {
  const missing: string[] = [];
  let dir = resolve(path);
  for (;;) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // does not exist (or cannot be seen): make it below
    }
    if (isDir === false) throw new FileError(`cannot create folder ${path}: ${dir} is a file, not a folder`);
    if (isDir) break;
    missing.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new FileError(
        `cannot create folder ${d}: ${e.code ?? e.message}${d === resolve(path) ? '' : ` (for ${path})`}`,
      );
    }
  }
}

/** The text of `path`, or a {@link FileError} naming the file, what it should hold and the OS reason. */
function readTextFile(path: string, expected: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FileError(
      `cannot read ${path} (${expected}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * Reads and parses a JSON file; a missing, unreadable or malformed file is one {@link FileError}
 * line with the path, what it should hold, and the parser's message.
 *
 * ```ts
 * const config = readJsonFile('runs/a/config.json', 'a run config');
 * ```
 */
export function readJsonFile(path: string, expected: string): unknown {
  const text = readTextFile(path, expected);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FileError(
      `${path}: expected ${expected} as JSON, found malformed JSON (${(error as Error).message})`,
    );
  }
}

/**
 * Reads a JSON-lines file (`metrics.jsonl`): one object per non-empty line. A malformed line is
 * a {@link FileError} naming the file and the line; a last line cut off by a kill mid-write is
 * dropped (`allowTruncatedTail`), since appends are not atomic.
 */
export function readJsonLines(
  path: string,
  expected: string,
  options: { allowTruncatedTail?: boolean } = {},
): Record<string, unknown>[] {
  const text = readTextFile(path, expected);
  const lines = text.split('\n');
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const last = lines.slice(i + 1).every((l) => l.trim() === '');
      if (last && options.allowTruncatedTail && !text.endsWith('\n')) break;
      throw new FileError(
        `${path}: line ${i + 1}: expected ${expected} as one JSON object per line (${(error as Error).message})`,
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new FileError(
        `${path}: line ${i + 1}: expected ${expected} as one JSON object per line, found ${JSON.stringify(value)}`,
      );
    out.push(value as Record<string, unknown>);
  }
  return out;
}

/** The prefix of every temporary sibling ({@link tempSibling}): what {@link removeStaleTemps} removes. */
export const TEMP_PREFIX = '.tmp-';

/**
 * Removes the temporary siblings an interrupted atomic write left in `dir` (`.tmp-*` files and
 * folders, up to a whole checkpoint each). Only call it where no other writer works in `dir`: at
 * the start of the run that owns the folder. Returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.startsWith(TEMP_PREFIX));
  for (const name of stale) rmSync(join(dir, name), { recursive: true, force: true });
  return stale;
}

/** A sibling temporary path of `path` (same directory, so a rename is atomic). */
export function tempSibling(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.split(/[\\/]/).pop()}`);
}

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeDir(dirname(path));
  const tmp = tempSibling(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Writes JSON atomically, pretty-printed, with a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes a directory atomically: `fill` populates a temporary sibling directory, which then
 * replaces `path` by rename. A previous `path` is moved aside first and removed only after the
 * new one is in place, so at every instant either the old or the new directory is complete.
 */
export async function writeDirAtomic(
  path: string,
  fill: (tmpDir: string) => void | Promise<void>,
): Promise<void> {
  makeDir(dirname(path));
  const tmp = tempSibling(path);
  mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  const old = tempSibling(`${path}-old`);
  let moved = false;
  try {
    renameSync(path, old);
    moved = true;
  } catch {
    // no previous directory
  }
  renameSync(tmp, path);
  if (moved) rmSync(old, { recursive: true, force: true });
}
