import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from './io.js';

/** One evaluated (run, NFE) pair: the rows of `--json` and `results.json`. */
export interface ResultRow {
  algorithm: string;
  network: string;
  task: string;
  seed: number;
  nfe: number;
  metrics: Record<string, number>;
  trainSeconds: number;
  steps: number;
}

/** Reads a rows file, or [] when it does not exist. */
export function readRows(path: string): ResultRow[] {
  if (!existsSync(path)) return [];
  const rows = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(rows)) throw new Error(`${path} does not hold an array of result rows`);
  return rows as ResultRow[];
}

/** Writes rows atomically as a JSON array. */
export function writeRows(path: string, rows: readonly ResultRow[]): void {
  writeJsonAtomic(path, rows);
}
