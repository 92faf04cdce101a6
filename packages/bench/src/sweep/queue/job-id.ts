// A queue job's id: a hash of its run's config, so that enqueueing a run twice adds it once.
import { createHash } from 'node:crypto';
import type { RunConfig } from '../../config/config.js';

/**
 * JSON with object keys sorted at every depth and `undefined` fields left out: one text per
 * value, whatever order its fields were set in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The job id of a run: `run-` and the first 32 hex digits (128 bits) of SHA-256 over the
 * canonical JSON of its resolved config (task, algorithm, seed, network, every option). Two runs
 * with the same config are the same job, and BullMQ adds a job whose id it already holds only
 * once, so enqueueing a sweep again adds only the runs that are new. BullMQ ids must not contain
 * `:` or be plain integers; these never are.
 *
 * ```ts
 * jobIdFor(resolveRunConfig({}, { task: 'checkerboard', algorithm: 'flow', seed: 0 }));
 * // 'run-3f0c…' (32 hex digits)
 * ```
 */
export function jobIdFor(config: RunConfig): string {
  return `run-${createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 32)}`;
}
