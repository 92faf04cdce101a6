import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError } from './data-error.js';
import { EpisodeStore } from './episode-store.js';
import type { TensorData } from './tensor-data.js';

/** Options of {@link loadLeRobotDataset}. */
export interface LeRobotOptions {
  /** Frame columns to load; each becomes a store key of the same name. Default `['observation.state', 'action']`. */
  keys?: readonly string[];
}

/** The subset of `meta/info.json` the loader reads. */
export interface LeRobotInfo {
  codebase_version: string;
  fps?: number;
  total_episodes?: number;
  total_frames?: number;
  chunks_size?: number;
  data_path?: string;
  features?: Record<string, { dtype: string; shape: number[]; names?: unknown }>;
}

/** What {@link loadLeRobotDataset} returns. */
export interface LeRobotDataset {
  store: EpisodeStore;
  info: LeRobotInfo;
  /** `episode_index` of each store episode, in order. */
  episodes: number[];
}

const V2_DATA_PATH = 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet';
const V3_DATA_PATH = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';

/**
 * Fills a Python `str.format` path template as LeRobot writes them: `{name}` and `{name:03d}`
 * (zero-padded integers) are the only forms its `data_path` uses.
 */
export function formatPathTemplate(template: string, values: Record<string, number>): string {
  return template.replace(/\{(\w+)(?::0?(\d+)d)?\}/g, (_whole, name: string, width?: string) => {
    const v = values[name];
    if (v === undefined) throw new RangeError(`formatPathTemplate: no value for '${name}' in '${template}'`);
    return width === undefined ? String(v) : String(v).padStart(Number(width), '0');
  });
}

type Row = Record<string, unknown>;

async function readRows(file: string, columns: readonly string[], requiredOf: string): Promise<Row[]> {
  if (!existsSync(file))
    throw new DataError(file, '/', `an existing parquet file (${requiredOf})`, 'no such file');
  // hyparquet's own errors on a corrupt file are internal (`Cannot read properties of
  // undefined`): each becomes one DataError naming the file, with the library's message.
  const failed = (stage: string, error: unknown) =>
    new DataError(
      file,
      '/',
      `a readable parquet file (${stage})`,
      `hyparquet: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  // hyparquet reads column chunks in parallel; when one read fails, the others are still in
  // flight. They are awaited before the error is thrown, so none fails later, unhandled (e.g.
  // when the caller has removed the file by then).
  const inFlight = new Set<Promise<ArrayBuffer>>();
  try {
    const raw = await asyncBufferFromFile(file);
    buffer = {
      byteLength: raw.byteLength,
      slice(start, end) {
        const read = Promise.resolve(raw.slice(start, end));
        inFlight.add(read);
        read.then(
          () => inFlight.delete(read),
          () => inFlight.delete(read),
        );
        return read;
      },
    };
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    await Promise.allSettled([...inFlight]);
    throw failed('its footer metadata', error);
  }
  const top = topLevelNames(metadata.schema ?? []);
  for (const c of columns) {
    if (!top.includes(c))
      throw new DataError(file, c, `a column (available: ${top.join(', ')})`, 'no such column');
  }
  let rows: Row[];
  try {
    rows = (await parquetReadObjects({
      file: buffer,
      metadata,
      columns: [...columns],
      compressors,
    })) as Row[];
  } catch (error) {
    await Promise.allSettled([...inFlight]);
    throw failed(`the columns ${columns.join(', ')}`, error);
  }
  const expected = Number(metadata.num_rows);
  if (rows.length !== expected)
    throw new DataError(file, '/', `${expected} rows (the footer's num_rows)`, `${rows.length}`);
  return rows;
}

/** Names of the root's children (walking `num_children` of the flattened schema). */
function topLevelNames(schema: { name: string; num_children?: number }[]): string[] {
  const names: string[] = [];
  let i = 1;
  const skip = (at: number): number => {
    let next = at + 1;
    for (let c = 0; c < (schema[at]!.num_children ?? 0); c++) next = skip(next);
    return next;
  };
  const rootChildren = schema[0]?.num_children ?? 0;
  for (let c = 0; c < rootChildren && i < schema.length; c++) {
    names.push(schema[i]!.name);
    i = skip(i);
  }
  return names;
}

function toNumbers(value: unknown, file: string, key: string, row: number): number[] {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return [Number(value)];
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const out = Array.from(value as ArrayLike<unknown>, (v) => {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) return toNumbers(v, file, key, row);
      if (v === null || v === undefined)
        throw new DataError(file, key, 'a value in every position', `null in row ${row}`);
      return [Number(v)];
    });
    return out.flat();
  }
  throw new DataError(
    file,
    key,
    'a number or a list of numbers in every row',
    `${value === null ? 'null' : typeof value} in row ${row}`,
  );
}

/** Column-wise accumulator that enforces one width per key (no ragged rows). */
class ColumnBuffer {
  readonly values: number[] = [];
  width = -1;
  constructor(readonly key: string) {}
  push(value: unknown, file: string, row: number): void {
    const nums = toNumbers(value, file, this.key, row);
    if (this.width === -1) this.width = nums.length;
    else if (nums.length !== this.width) {
      throw new DataError(
        file,
        this.key,
        `rows of width ${this.width} like the first row`,
        `width ${nums.length} in row ${row}`,
      );
    }
    for (const n of nums) {
      if (!Number.isFinite(n)) throw new DataError(file, this.key, 'finite values', `${n} in row ${row}`);
      this.values.push(n);
    }
  }
  toTensor(shapeHint?: number[]): TensorData {
    const data = Float32Array.from(this.values);
    const rows = this.width > 0 ? data.length / this.width : 0;
    const tail = shapeHint && shapeHint.reduce((a, b) => a * b, 1) === this.width ? shapeHint : [this.width];
    return { data, shape: [rows, ...tail] };
  }
}

/**
 * Loads a LeRobot dataset (v2.x per-episode parquet files, or v3.0 multi-episode files indexed by
 * `meta/episodes/*.parquet`) through hyparquet. Only tabular frame columns are read; videos are out
 * of scope (decoding AV1 in Node is impractical). Rows of each episode are ordered by
 * `frame_index` (v2) or the global `index` (v3), so files written in any row order load the same.
 */
export async function loadLeRobotDataset(
  root: string,
  options: LeRobotOptions = {},
): Promise<LeRobotDataset> {
  try {
    return await readLeRobotDataset(root, options);
  } catch (error) {
    // Anything not foreseen below still names the dataset, on one line.
    if (error instanceof DataError) throw error;
    throw new DataError(root, '/', 'a readable LeRobot dataset', String(error).split('\n')[0]);
  }
}

async function readLeRobotDataset(root: string, options: LeRobotOptions): Promise<LeRobotDataset> {
  const keys = options.keys ?? ['observation.state', 'action'];
  if (keys.length === 0) throw new DataError(root, 'keys', 'at least one column to load');
  const infoPath = join(root, 'meta', 'info.json');
  if (!existsSync(infoPath))
    throw new DataError(root, 'meta/info.json', 'a LeRobot info file', 'no such file');
  let info: LeRobotInfo;
  try {
    info = JSON.parse(await readFile(infoPath, 'utf8')) as LeRobotInfo;
  } catch (e) {
    throw new DataError(infoPath, '/', 'valid JSON', String(e));
  }
  const version = String(info.codebase_version ?? '');
  const buffers = keys.map((k) => new ColumnBuffer(k));
  const ends: number[] = [];
  const episodes: number[] = [];
  let total = 0;
  const append = (rows: Row[], file: string, sortKey: string) => {
    const sorted = [...rows].sort((a, b) => Number(a[sortKey]) - Number(b[sortKey]));
    sorted.forEach((row, r) => {
      for (const b of buffers) b.push(row[b.key], file, r);
    });
    total += sorted.length;
    ends.push(total);
  };

  if (/^v2(\.|$)/.test(version)) {
    const n = info.total_episodes;
    if (typeof n !== 'number' || n < 1)
      throw new DataError(infoPath, 'total_episodes', 'a positive episode count', String(n));
    const chunksSize = info.chunks_size ?? 1000;
    const template = info.data_path ?? V2_DATA_PATH;
    for (let ep = 0; ep < n; ep++) {
      let relativePath: string;
      try {
        relativePath = formatPathTemplate(template, {
          episode_chunk: Math.floor(ep / chunksSize),
          episode_index: ep,
        });
      } catch {
        throw new DataError(
          infoPath,
          'data_path',
          'a template of {episode_chunk} and {episode_index}',
          `'${template}'`,
        );
      }
      const file = join(root, relativePath);
      const rows = await readRows(file, [...keys, 'frame_index'], `episode ${ep} of ${n}`);
      if (rows.length === 0) throw new DataError(file, 'frame_index', 'at least one frame', '0 rows');
      append(rows, file, 'frame_index');
      episodes.push(ep);
    }
  } else if (/^v3(\.|$)/.test(version)) {
    const epDir = join(root, 'meta', 'episodes');
    if (!existsSync(epDir))
      throw new DataError(
        root,
        'meta/episodes',
        'a directory of episode parquet files (v3.0)',
        'no such directory',
      );
    const epFiles = (await listParquet(epDir)).sort();
    const meta: { episode: number; length: number; chunk: number; file: number; source: string }[] = [];
    for (const f of epFiles) {
      const rows = await readRows(
        f,
        ['episode_index', 'length', 'data/chunk_index', 'data/file_index'],
        'episode metadata',
      );
      for (const r of rows) {
        meta.push({
          episode: Number(r['episode_index']),
          length: Number(r['length']),
          chunk: Number(r['data/chunk_index']),
          file: Number(r['data/file_index']),
          source: relative(root, f),
        });
      }
    }
    if (meta.length === 0) throw new DataError(root, 'meta/episodes', 'at least one episode', '0 episodes');
    meta.sort((a, b) => a.episode - b.episode);
    const template = info.data_path ?? V3_DATA_PATH;
    const cache = new Map<string, Map<number, Row[]>>();
    for (const m of meta) {
      let relativePath: string;
      try {
        relativePath = formatPathTemplate(template, { chunk_index: m.chunk, file_index: m.file });
      } catch {
        throw new DataError(
          infoPath,
          'data_path',
          'a template of {chunk_index} and {file_index}',
          `'${template}'`,
        );
      }
      const file = join(root, relativePath);
      let byEpisode = cache.get(file);
      if (!byEpisode) {
        byEpisode = new Map();
        for (const row of await readRows(file, [...keys, 'episode_index', 'index'], `episode ${m.episode}`)) {
          const e = Number(row['episode_index']);
          const list = byEpisode.get(e) ?? [];
          list.push(row);
          byEpisode.set(e, list);
        }
        cache.set(file, byEpisode);
      }
      const rows = byEpisode.get(m.episode) ?? [];
      if (rows.length !== m.length || m.length === 0) {
        throw new DataError(
          file,
          'episode_index',
          `${m.length} rows of episode ${m.episode} (its length in ${m.source})`,
          `${rows.length}`,
        );
      }
      append(rows, file, 'index');
      episodes.push(m.episode);
    }
  } else {
    throw new DataError(
      infoPath,
      'codebase_version',
      "a LeRobot version 'v2.x' or 'v3.0'",
      JSON.stringify(info.codebase_version),
    );
  }

  const arrays: Record<string, TensorData> = {};
  for (const b of buffers) arrays[b.key] = b.toTensor(info.features?.[b.key]?.shape);
  return { store: new EpisodeStore(arrays, ends, { source: root, skipFiniteCheck: true }), info, episodes };
}

async function listParquet(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listParquet(p)));
    else if (entry.name.endsWith('.parquet')) out.push(p);
  }
  return out;
}
