// io/ owns files and the terminal: atomic writes and progress display.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A sibling temporary path of `path` (same directory, so a rename is atomic). */
export function tempSibling(path: string): string {
  return join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}-${path.split(/[\\/]/).pop()}`);
}

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
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
  mkdirSync(dirname(path), { recursive: true });
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
