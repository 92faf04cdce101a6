/**
 * Tiny dataset fixtures written by the tests (no binary files in the repository), in the layouts
 * the @mipjs/data loaders read: a PushT Zarr v2 replay buffer, a robomimic HDF5 file and a LeRobot
 * v2.1 parquet folder, written with the same libraries the @mipjs/data tests use (h5wasm,
 * hyparquet-writer).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { parquetWriteFile } from 'hyparquet-writer';

/** Frame t of episode e of every fixture: a smooth 5-D state and a 2-D action that follows it. */
function frame(e: number, t: number): { state: number[]; action: number[] } {
  const phase = 0.3 * t + e;
  const state = [100 + 50 * Math.cos(phase), 120 + 40 * Math.sin(phase), 200 + 3 * e, 210 - 2 * e, 0.1 * e];
  return { state, action: [state[0] + 5 * Math.cos(phase + 0.3), state[1] + 5 * Math.sin(phase + 0.3)] };
}

function zarrArray(root: string, key: string, data: Float32Array | BigInt64Array, shape: number[]): void {
  const dir = join(root, key);
  mkdirSync(dir, { recursive: true });
  const zarray = {
    zarr_format: 2,
    shape,
    chunks: shape,
    dtype: data instanceof BigInt64Array ? '<i8' : '<f4',
    compressor: null,
    fill_value: 0,
    order: 'C',
    filters: null,
  };
  writeFileSync(join(dir, '.zarray'), JSON.stringify(zarray));
  writeFileSync(join(dir, shape.map(() => '0').join('.')), new Uint8Array(data.buffer));
}

/** A PushT-layout Zarr directory: `data/state [T, 5]`, `data/action [T, 2]`, `meta/episode_ends`. */
export function writePushTFixture(root: string, episodes = 6, length = 24): string {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
  for (const g of ['data', 'meta']) {
    mkdirSync(join(root, g), { recursive: true });
    writeFileSync(join(root, g, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
  }
  const T = episodes * length;
  const state = new Float32Array(T * 5);
  const action = new Float32Array(T * 2);
  for (let e = 0; e < episodes; e++)
    for (let t = 0; t < length; t++) {
      const f = frame(e, t);
      state.set(f.state, (e * length + t) * 5);
      action.set(f.action, (e * length + t) * 2);
    }
  zarrArray(root, 'data/state', state, [T, 5]);
  zarrArray(root, 'data/action', action, [T, 2]);
  const ends = BigInt64Array.from({ length: episodes }, (_, e) => BigInt((e + 1) * length));
  zarrArray(root, 'meta/episode_ends', ends, [episodes]);
  return root;
}

/** A robomimic-layout HDF5 file: `data/demo_N/{actions [T, 7], obs/{object, robot0_eef_*, gripper}}`. */
export async function writeRobomimicFixture(path: string, demos = 5, length = 20): Promise<string> {
  await h5wasm.ready;
  mkdirSync(dirname(path), { recursive: true });
  const f = new h5wasm.File(path, 'w');
  const data = f.create_group('data');
  for (let e = 0; e < demos; e++) {
    const g = data.create_group(`demo_${e}`);
    const obs = g.create_group('obs');
    const rows = (width: number, value: (t: number, k: number) => number) =>
      Float64Array.from({ length: length * width }, (_, i) => value(Math.floor(i / width), i % width));
    const pos = (t: number, k: number) => frame(e, t).state[k % 2] / 100 + 0.01 * k;
    obs.create_dataset({
      name: 'object',
      data: rows(3, (t, k) => 0.1 * e + 0.01 * k * t),
      shape: [length, 3],
    });
    obs.create_dataset({ name: 'robot0_eef_pos', data: rows(3, pos), shape: [length, 3] });
    obs.create_dataset({
      name: 'robot0_eef_quat',
      data: rows(4, (t, k) =>
        k === 3 ? Math.cos(0.01 * t) : k === 2 ? Math.sin(0.01 * t) : 0.001 * (k + 1) * t,
      ),
      shape: [length, 4],
    });
    obs.create_dataset({
      name: 'robot0_gripper_qpos',
      data: rows(2, (t) => 0.04 - 0.001 * t),
      shape: [length, 2],
    });
    const act = rows(7, (t, k) => (k < 3 ? pos(t + 1, k) : k < 6 ? 0.1 * Math.sin(0.2 * t + k) : t % 2));
    g.create_dataset({ name: 'actions', data: act, shape: [length, 7] });
  }
  f.close();
  return path;
}

/** A LeRobot v2.1 folder: `meta/info.json` and one parquet file of frames per episode. */
export async function writeLeRobotFixture(root: string, episodes = 5, length = 20): Promise<string> {
  const dataPath = 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet';
  mkdirSync(join(root, 'meta'), { recursive: true });
  writeFileSync(
    join(root, 'meta/info.json'),
    JSON.stringify({
      codebase_version: 'v2.1',
      fps: 10,
      total_episodes: episodes,
      total_frames: episodes * length,
      chunks_size: 1000,
      data_path: dataPath,
      features: {
        'observation.state': { dtype: 'float32', shape: [5], names: null },
        action: { dtype: 'float32', shape: [2], names: null },
      },
    }),
  );
  const listOfFloat = (name: string) => [
    { name, repetition_type: 'OPTIONAL' as const, converted_type: 'LIST' as const, num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
    { name: 'element', type: 'FLOAT' as const, repetition_type: 'OPTIONAL' as const },
  ];
  for (let e = 0; e < episodes; e++) {
    const frames = Array.from({ length }, (_, t) => frame(e, t));
    const file = join(root, 'data/chunk-000', `episode_${String(e).padStart(6, '0')}.parquet`);
    mkdirSync(dirname(file), { recursive: true });
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'observation.state', data: frames.map((f) => f.state) },
        { name: 'action', data: frames.map((f) => f.action) },
        { name: 'frame_index', data: frames.map((_, t) => BigInt(t)) },
        { name: 'episode_index', data: frames.map(() => BigInt(e)) },
        { name: 'index', data: frames.map((_, t) => BigInt(e * length + t)) },
      ],
      schema: [
        { name: 'schema', num_children: 5 },
        ...listOfFloat('observation.state'),
        ...listOfFloat('action'),
        { name: 'frame_index', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: 'episode_index', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: 'index', type: 'INT64', repetition_type: 'OPTIONAL' },
      ],
    });
  }
  return root;
}
