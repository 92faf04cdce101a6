import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { DataError } from './data-error.js';

/** Options of {@link ZarrFrames.open}. */
export interface ZarrFramesOptions {
  /** The frames array inside the group (default `'data/img'`). */
  key?: string;
  /**
   * Most bytes of decoded chunks kept (default 1 GiB; the whole PushT `data/img` is 709 MB as
   * bytes). Least recently used chunks are dropped first; at least one chunk is always kept.
   */
  cacheBytes?: number;
}

/** Default {@link ZarrFramesOptions.cacheBytes}: 1 GiB. */
export const DEFAULT_FRAME_CACHE_BYTES = 1 << 30;

/**
 * Lazy, chunk-cached reader of an image array `[T, H, W, C]` in a Zarr v2 directory store (PushT's
 * `data/img`: 25,650 x 96 x 96 x 3, float32 values 0-255, Blosc-zstd chunks of 161 frames, 2.8 GB
 * decoded as float32 and 29 MB on disk). Nothing is read at open but the `.zarray`; `load(rows)`
 * decodes only the chunks holding those rows (one chunk at a time, through the codecs the
 * `.zarray` names) and keeps them as bytes (the values must be integers in 0-255; anything else is
 * a {@link DataError}), so memory is bounded by `cacheBytes` plus one decoded float32 chunk
 * (17.8 MB for PushT), whatever the number of rows read. `frame(row)` then returns a row's bytes
 * synchronously (HWC, row-major), e.g. for a training batch assembled in a synchronous loop.
 *
 * @example
 * ```ts
 * const frames = await ZarrFrames.open('pusht_cchi_v7_replay.zarr');
 * await frames.load([0, 1, 5000]);
 * const pixels = frames.frame(5000); // Uint8Array(96 * 96 * 3)
 * ```
 */
export class ZarrFrames {
  /** `[T, H, W, C]` (or any `[T, ...]`). */
  readonly shape: readonly number[];
  /** Rows per chunk along time. */
  readonly chunkRows: number;
  /** Values per row (`H W C`). */
  readonly frameSize: number;
  readonly cacheBytes: number;
  private readonly cache = new Map<number, Uint8Array>();
  private cachedBytes = 0;
  /** Chunks decoded so far (cache misses), for measurements. */
  decodedChunks = 0;

  private constructor(
    private readonly array: zarr.Array<zarr.DataType, zarr.Readable>,
    private readonly label: string,
    cacheBytes: number,
  ) {
    this.shape = [...array.shape];
    this.chunkRows = array.chunks[0]!;
    this.frameSize = array.shape.slice(1).reduce((a, b) => a * b, 1);
    this.cacheBytes = cacheBytes;
  }

  /** Opens `<path>/<key>` of a Zarr directory; bad paths and layouts are one-line {@link DataError}s. */
  static async open(path: string, options: ZarrFramesOptions = {}): Promise<ZarrFrames> {
    const key = options.key ?? 'data/img';
    const cacheBytes = options.cacheBytes ?? DEFAULT_FRAME_CACHE_BYTES;
    if (!(Number.isFinite(cacheBytes) && cacheBytes >= 0))
      throw new RangeError(`ZarrFrames: cacheBytes must be a non-negative number, got ${cacheBytes}`);
    if (!existsSync(path) || !statSync(path).isDirectory())
      throw new DataError(
        path,
        key,
        'a Zarr directory store (frames are read chunk by chunk)',
        'no such directory',
      );
    if (!existsSync(join(path, ...key.split('/'), '.zarray')))
      throw new DataError(path, key, 'a Zarr v2 array (a .zarray entry)', 'nothing');
    let array: zarr.Array<zarr.DataType, zarr.Readable>;
    try {
      array = await zarr.open(zarr.root(new FileSystemStore(path)).resolve(key), { kind: 'array' });
    } catch (e) {
      throw new DataError(path, key, 'a readable Zarr v2 array', String(e).split('\n')[0]);
    }
    if (array.shape.length < 2 || array.chunks.slice(1).some((c, i) => c !== array.shape[i + 1]))
      throw new DataError(
        path,
        key,
        'frames [T, ...] chunked along time only (chunks [n, ...frame shape])',
        `shape [${array.shape}], chunks [${array.chunks}]`,
      );
    return new ZarrFrames(array, `${path}`, cacheBytes);
  }

  /** Number of rows T. */
  get length(): number {
    return this.shape[0]!;
  }

  /** Bytes of decoded chunks held now (at most `max(cacheBytes, one chunk)`). */
  get residentBytes(): number {
    return this.cachedBytes;
  }

  /** Decodes (or keeps) the chunks holding `rows`; afterwards {@link frame} serves every one of them. */
  async load(rows: Iterable<number>): Promise<void> {
    const chunks = new Set<number>();
    for (const row of rows) chunks.add(this.chunkOf(row));
    if (
      chunks.size * this.chunkRows * this.frameSize >
      Math.max(this.cacheBytes, this.chunkRows * this.frameSize)
    )
      throw new RangeError(
        `ZarrFrames: ${chunks.size} chunks of ${this.label} are needed at once but the cache holds ` +
          `${Math.floor(this.cacheBytes / (this.chunkRows * this.frameSize))}; raise cacheBytes`,
      );
    for (const c of chunks) {
      const hit = this.cache.get(c);
      if (hit) {
        // Most recently used last (a Map iterates in insertion order).
        this.cache.delete(c);
        this.cache.set(c, hit);
      }
    }
    for (const c of chunks) if (!this.cache.has(c)) this.insert(c, await this.decode(c), chunks);
  }

  /** The bytes of one row (a view into the cache; valid until the next {@link load}). */
  frame(row: number): Uint8Array {
    const c = this.chunkOf(row);
    const chunk = this.cache.get(c);
    if (!chunk)
      throw new RangeError(`ZarrFrames: row ${row} of ${this.label} is not loaded; call load() first`);
    const j = row - c * this.chunkRows;
    return chunk.subarray(j * this.frameSize, (j + 1) * this.frameSize);
  }

  private chunkOf(row: number): number {
    if (!Number.isInteger(row) || row < 0 || row >= this.length)
      throw new RangeError(`ZarrFrames: row ${row} is outside [0, ${this.length}) of ${this.label}`);
    return Math.floor(row / this.chunkRows);
  }

  private async decode(c: number): Promise<Uint8Array> {
    let data: ArrayLike<number>;
    try {
      const chunk = await this.array.getChunk([c, ...this.shape.slice(1).map(() => 0)]);
      data = chunk.data as ArrayLike<number>;
    } catch (e) {
      throw new DataError(
        this.label,
        `${this.array.path} chunk ${c}`,
        'a chunk decodable with the codecs of its .zarray',
        String(e).split('\n')[0],
      );
    }
    this.decodedChunks++;
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!(v >= 0 && v <= 255 && v === Math.round(v)))
        throw new DataError(
          this.label,
          this.array.path,
          'pixel values that are integers in 0-255',
          `${v} at row ${c * this.chunkRows + Math.floor(i / this.frameSize)}`,
        );
      out[i] = v;
    }
    return out;
  }

  private insert(c: number, bytes: Uint8Array, keep: ReadonlySet<number>): void {
    // Drop least recently used chunks (never one this load needs) until the new one fits.
    for (const [old, data] of this.cache) {
      if (this.cachedBytes + bytes.length <= this.cacheBytes) break;
      if (keep.has(old)) continue;
      this.cache.delete(old);
      this.cachedBytes -= data.length;
    }
    this.cache.set(c, bytes);
    this.cachedBytes += bytes.length;
  }
}
