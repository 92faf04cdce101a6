import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.js';
import { formatPathTemplate, loadLeRobotDataset } from './lerobot-parquet.js';

const base = mkdtempSync(join(tmpdir(), 'mipjs-lerobot-'));

interface Frame {
  state: number[];
  action: number[];
  episode: number;
  frame: number;
  index: number;
}

const listOfFloat = (name: string) => [
  { name, repetition_type: 'OPTIONAL' as const, converted_type: 'LIST' as const, num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', type: 'FLOAT' as const, repetition_type: 'OPTIONAL' as const },
];

/** Writes frames with LeRobot's frame columns (list<float32> features, int64 indices). */
function writeFrames(file: string, frames: Frame[]): void {
  mkdirSync(dirname(file), { recursive: true });
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'observation.state', data: frames.map((f) => f.state) },
      { name: 'action', data: frames.map((f) => f.action) },
      { name: 'timestamp', data: frames.map((f) => f.frame / 10) },
      { name: 'frame_index', data: frames.map((f) => BigInt(f.frame)) },
      { name: 'episode_index', data: frames.map((f) => BigInt(f.episode)) },
      { name: 'index', data: frames.map((f) => BigInt(f.index)) },
      { name: 'task_index', data: frames.map(() => 0n) },
    ],
    schema: [
      { name: 'schema', num_children: 7 },
      ...listOfFloat('observation.state'),
      ...listOfFloat('action'),
      { name: 'timestamp', type: 'FLOAT', repetition_type: 'OPTIONAL' },
      { name: 'frame_index', type: 'INT64', repetition_type: 'OPTIONAL' },
      { name: 'episode_index', type: 'INT64', repetition_type: 'OPTIONAL' },
      { name: 'index', type: 'INT64', repetition_type: 'OPTIONAL' },
      { name: 'task_index', type: 'INT64', repetition_type: 'OPTIONAL' },
    ],
  });
}

function episodeFrames(lengths: number[]): Frame[][] {
  let index = 0;
  return lengths.map((L, e) =>
    Array.from({ length: L }, (_, t) => {
      const f = { state: [e * 10 + t, 5 - t], action: [t * 0.5, e, 1], episode: e, frame: t, index };
      index++;
      return f;
    }),
  );
}

function info(version: string, episodes: number, frames: number, dataPath: string) {
  return {
    codebase_version: version,
    fps: 10,
    total_episodes: episodes,
    total_frames: frames,
    chunks_size: 1000,
    data_path: dataPath,
    features: {
      'observation.state': { dtype: 'float32', shape: [2], names: ['x', 'y'] },
      action: { dtype: 'float32', shape: [3], names: null },
    },
  };
}

function writeV2(name: string, lengths: number[], mutate?: (eps: Frame[][]) => void): string {
  const root = join(base, name);
  const eps = episodeFrames(lengths);
  mutate?.(eps);
  const dataPath = 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet';
  mkdirSync(join(root, 'meta'), { recursive: true });
  writeFileSync(
    join(root, 'meta/info.json'),
    JSON.stringify(
      info(
        'v2.1',
        lengths.length,
        lengths.reduce((a, b) => a + b, 0),
        dataPath,
      ),
    ),
  );
  eps.forEach((frames, e) => {
    // Reverse the rows: the loader must order frames by frame_index, not by file order.
    writeFrames(
      join(root, formatPathTemplate(dataPath, { episode_chunk: 0, episode_index: e })),
      [...frames].reverse(),
    );
  });
  return root;
}

function writeV3(name: string, lengths: number[], options: { badLength?: boolean } = {}): string {
  const root = join(base, name);
  const eps = episodeFrames(lengths);
  mkdirSync(join(root, 'meta/episodes/chunk-000'), { recursive: true });
  const dataPath = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
  writeFileSync(
    join(root, 'meta/info.json'),
    JSON.stringify(
      info(
        'v3.0',
        lengths.length,
        lengths.reduce((a, b) => a + b, 0),
        dataPath,
      ),
    ),
  );
  // Episodes 0-1 in file-000, the rest in file-001 (multi-episode files).
  const fileOf = (e: number) => (e < 2 ? 0 : 1);
  for (const f of [0, 1]) {
    const frames = eps.filter((_, e) => fileOf(e) === f).flat();
    if (frames.length > 0)
      writeFrames(join(root, formatPathTemplate(dataPath, { chunk_index: 0, file_index: f })), frames);
  }
  let from = 0;
  const rows = lengths.map((L, e) => {
    const r = { e, L: options.badLength && e === 1 ? L + 1 : L, file: fileOf(e), from, to: from + L };
    from += L;
    return r;
  });
  parquetWriteFile({
    filename: join(root, 'meta/episodes/chunk-000/file-000.parquet'),
    columnData: [
      { name: 'episode_index', data: rows.map((r) => BigInt(r.e)), type: 'INT64' },
      { name: 'length', data: rows.map((r) => BigInt(r.L)), type: 'INT64' },
      { name: 'tasks', data: rows.map(() => 'push the T'), type: 'STRING' },
      { name: 'data/chunk_index', data: rows.map(() => 0n), type: 'INT64' },
      { name: 'data/file_index', data: rows.map((r) => BigInt(r.file)), type: 'INT64' },
      { name: 'dataset_from_index', data: rows.map((r) => BigInt(r.from)), type: 'INT64' },
      { name: 'dataset_to_index', data: rows.map((r) => BigInt(r.to)), type: 'INT64' },
    ],
  });
  return root;
}

describe('formatPathTemplate', () => {
  it('fills {name} and zero-padded {name:03d} fields', () => {
    expect(
      formatPathTemplate('data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet', {
        episode_chunk: 1,
        episode_index: 42,
      }),
    ).toBe('data/chunk-001/episode_000042.parquet');
    expect(formatPathTemplate('{a}/{b:2d}', { a: 7, b: 3 })).toBe('7/03');
    expect(() => formatPathTemplate('{zzz}', {})).toThrow(/'zzz'/);
  });
});

describe('loadLeRobotDataset', () => {
  it('loads v2.x per-episode files in frame order', async () => {
    const { store, episodes, info: meta } = await loadLeRobotDataset(writeV2('v2', [3, 5, 4]));
    expect(meta.codebase_version).toBe('v2.1');
    expect(episodes).toEqual([0, 1, 2]);
    expect(store.episodeEnds).toEqual([3, 8, 12]);
    expect(store.get('observation.state').shape).toEqual([12, 2]);
    expect(store.get('action').shape).toEqual([12, 3]);
    expect(Array.from(store.get('observation.state').data.subarray(6, 12))).toEqual([10, 5, 11, 4, 12, 3]);
    expect(Array.from(store.get('action').data.subarray(9, 12))).toEqual([0, 1, 1]);
  });

  it('loads v3.0 multi-episode files through meta/episodes and matches the v2 result', async () => {
    const v3 = await loadLeRobotDataset(writeV3('v3', [3, 5, 4]));
    const v2 = await loadLeRobotDataset(writeV2('v2-same', [3, 5, 4]));
    expect(v3.store.episodeEnds).toEqual([3, 8, 12]);
    for (const k of ['observation.state', 'action']) {
      expect(Array.from(v3.store.get(k).data)).toEqual(Array.from(v2.store.get(k).data));
    }
  });

  it('names file, key and expectation for bad input', async () => {
    const noInfo = join(base, 'noinfo');
    mkdirSync(noInfo, { recursive: true });
    const badVersion = writeV2('badversion', [2]);
    writeFileSync(join(badVersion, 'meta/info.json'), JSON.stringify({ codebase_version: 'v1.6' }));
    const missingEp = writeV2('missing-episode', [2, 2]);
    writeFileSync(
      join(missingEp, 'meta/info.json'),
      JSON.stringify(
        info('v2.0', 3, 6, 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet'),
      ),
    );
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => loadLeRobotDataset(noInfo), /noinfo: 'meta\/info\.json': expected a LeRobot info file/],
      [
        () => loadLeRobotDataset(badVersion),
        /'codebase_version': expected a LeRobot version 'v2\.x' or 'v3\.0', found "v1\.6"/,
      ],
      [
        () => loadLeRobotDataset(missingEp),
        /episode_000002\.parquet: '\/': expected an existing parquet file \(episode 2 of 3\)/,
      ],
      [
        () => loadLeRobotDataset(writeV2('unknown-key', [2]), { keys: ['observation.image'] }),
        /'observation\.image': expected a column \(available: observation\.state, action, timestamp/,
      ],
      [
        () =>
          loadLeRobotDataset(
            writeV2('ragged', [3], (eps) => {
              eps[0]![1]!.action = [1, 2];
            }),
          ),
        /'action': expected rows of width 3 like the first row, found width 2/,
      ],
      [
        () =>
          loadLeRobotDataset(
            writeV2('nan', [3], (eps) => {
              eps[0]![2]!.state = [Number.NaN, 0];
            }),
          ),
        /'observation\.state': expected finite values, found NaN/,
      ],
      [
        () => loadLeRobotDataset(writeV3('v3-bad-length', [3, 5, 4], { badLength: true })),
        /'episode_index': expected 6 rows of episode 1 \(its length in meta\/episodes/,
      ],
    ];
    for (const [load, message] of cases) {
      const err = await load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
    }
    const zero = writeV2('zero', [1]);
    writeFileSync(join(zero, 'meta/info.json'), JSON.stringify(info('v2.1', 0, 0, 'x')));
    await expect(loadLeRobotDataset(zero)).rejects.toThrow(
      /'total_episodes': expected a positive episode count, found 0/,
    );
  });
});
