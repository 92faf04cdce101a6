import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from './data-error.js';
import { loadRobomimicHdf5 } from './robomimic-hdf5.js';
import { axisAngleToRotation6d } from './rotation.js';

const dir = mkdtempSync(join(tmpdir(), 'mipjs-robomimic-'));

interface DemoSpec {
  T: number;
  actWidth?: number;
  skipActions?: boolean;
  eefPosRows?: number;
  nanAt?: number;
}

/** Writes a tiny robomimic-layout file: data/demo_N/{actions, obs/{object, robot0_eef_pos, ...}}. */
function writeFixture(
  name: string,
  demos: Record<string, DemoSpec>,
  options: { noData?: boolean; mask?: Record<string, string[]> } = {},
): string {
  const path = join(dir, name);
  const f = new h5wasm.File(path, 'w');
  if (!options.noData) {
    const data = f.create_group('data');
    data.create_attribute(
      'total',
      Object.values(demos).reduce((s, d) => s + d.T, 0),
    );
    data.create_attribute('env_args', JSON.stringify({ env_name: 'Lift', env_type: 1, env_kwargs: {} }));
    for (const [demo, spec] of Object.entries(demos)) {
      const n = Number(demo.slice(5));
      const g = data.create_group(demo);
      g.create_attribute('num_samples', spec.T);
      const A = spec.actWidth ?? 7;
      if (!spec.skipActions) {
        const act = Float64Array.from({ length: spec.T * A }, (_, i) => n * 1000 + i * 0.01);
        g.create_dataset({ name: 'actions', data: act, shape: [spec.T, A] });
      }
      const obs = g.create_group('obs');
      const obj = Float64Array.from({ length: spec.T * 3 }, (_, i) => n * 100 + i);
      if (spec.nanAt !== undefined) obj[spec.nanAt] = Number.NaN;
      obs.create_dataset({ name: 'object', data: obj, shape: [spec.T, 3] });
      const rows = spec.eefPosRows ?? spec.T;
      obs.create_dataset({
        name: 'robot0_eef_pos',
        data: Float64Array.from({ length: rows * 3 }, (_, i) => -i),
        shape: [rows, 3],
      });
      obs.create_dataset({
        name: 'robot0_eef_quat',
        data: Float64Array.from({ length: spec.T * 4 }, (_, i) => (i % 4 === 3 ? 1 : 0)),
        shape: [spec.T, 4],
      });
      obs.create_dataset({
        name: 'robot0_gripper_qpos',
        data: Float64Array.from({ length: spec.T * 2 }, () => 0.04),
        shape: [spec.T, 2],
      });
    }
  }
  if (options.mask) {
    const mask = f.create_group('mask');
    for (const [k, names] of Object.entries(options.mask)) mask.create_dataset({ name: k, data: names });
  }
  f.close();
  return path;
}

let good: string;
beforeAll(async () => {
  await h5wasm.ready;
  good = writeFixture(
    'low_dim_abs.hdf5',
    { demo_10: { T: 4 }, demo_2: { T: 3 }, demo_0: { T: 5 } },
    { mask: { train: ['demo_0', 'demo_10'] } },
  );
});

describe('loadRobomimicHdf5', () => {
  it('sorts demo_N numerically and concatenates the obs keys in the given order', async () => {
    const { store, demos, obsKeyDims, arms } = await loadRobomimicHdf5(good);
    expect(demos).toEqual(['demo_0', 'demo_2', 'demo_10']);
    expect(store.episodeEnds).toEqual([5, 8, 12]);
    expect(obsKeyDims).toEqual({ object: 3, robot0_eef_pos: 3, robot0_eef_quat: 4, robot0_gripper_qpos: 2 });
    expect(arms).toBe(1);
    const obs = store.get('obs');
    expect(obs.shape).toEqual([12, 12]);
    // Frame 5 = first frame of demo_2: object 200..202, eef_pos 0,-1,-2, quat 0,0,0,1, gripper 0.04.
    expect(Array.from(obs.data.subarray(5 * 12, 6 * 12))).toEqual(
      [200, 201, 202, -0, -1, -2, 0, 0, 0, 1, 0.04, 0.04].map(Math.fround),
    );
    const reordered = await loadRobomimicHdf5(good, { obsKeys: ['robot0_gripper_qpos', 'object'] });
    expect(reordered.store.get('obs').shape).toEqual([12, 5]);
    expect(Array.from(reordered.store.get('obs').data.subarray(0, 5))).toEqual(
      [0.04, 0.04, 0, 1, 2].map(Math.fround),
    );
  });

  it('turns absolute axis-angle actions into [pos3, rot6d, grip1]', async () => {
    const { store } = await loadRobomimicHdf5(good);
    const act = store.get('action');
    expect(act.shape).toEqual([12, 10]);
    // Frame 8 = first frame of demo_10: raw actions 10000 + 0.01 * i.
    const raw = Array.from({ length: 7 }, (_, i) => Math.fround(10000 + i * 0.01));
    const expected = [raw[0]!, raw[1]!, raw[2]!, ...axisAngleToRotation6d(raw.slice(3, 6)), raw[6]!].map(
      Math.fround,
    );
    const got = Array.from(act.data.subarray(80, 90));
    for (let i = 0; i < 10; i++) expect(got[i]).toBeCloseTo(expected[i]!, 2);
    const rawStore = (await loadRobomimicHdf5(good, { actionSpace: 'raw' })).store;
    expect(rawStore.get('action').shape).toEqual([12, 7]);
  });

  it('converts dual-arm 14-D actions to 20-D and honours mask filters', async () => {
    const dual = writeFixture('transport.hdf5', { demo_0: { T: 3, actWidth: 14 } });
    const { store, arms } = await loadRobomimicHdf5(dual);
    expect(arms).toBe(2);
    expect(store.get('action').shape).toEqual([3, 20]);
    const train = await loadRobomimicHdf5(good, { filter: 'train' });
    expect(train.demos).toEqual(['demo_0', 'demo_10']);
  });

  it('names file, key and expectation for every kind of bad input', async () => {
    const cases: [string, RegExp][] = [
      [
        writeFixture('nodata.hdf5', {}, { noData: true }),
        /nodata\.hdf5: 'data': expected a group of demo_N groups/,
      ],
      [
        writeFixture('empty.hdf5', {}),
        /empty\.hdf5: 'data': expected at least one demo_N group, found 0 demos/,
      ],
      [
        writeFixture('noact.hdf5', { demo_0: { T: 3 }, demo_1: { T: 3, skipActions: true } }),
        /'data\/demo_1\/actions': expected an actions dataset/,
      ],
      [
        writeFixture('ragged.hdf5', { demo_0: { T: 4, eefPosRows: 3 } }),
        /'data\/demo_0\/obs\/robot0_eef_pos': expected 4 rows like data\/demo_0\/actions, found 3/,
      ],
      [
        writeFixture('nan.hdf5', { demo_0: { T: 4, nanAt: 4 } }),
        /'data\/demo_0\/obs\/object': expected finite values, found NaN at row 1/,
      ],
      [writeFixture('width.hdf5', { demo_0: { T: 4, actWidth: 5 } }), /expected width 7 .* or 14 .*found 5/],
      [
        writeFixture('mixed.hdf5', { demo_0: { T: 4 }, demo_1: { T: 4, actWidth: 14 } }),
        /'data\/demo_1\/actions': expected width 7 like the first demo, found 14/,
      ],
      [join(dir, 'missing.hdf5'), /missing\.hdf5: '\/': expected an existing HDF5 file/],
    ];
    for (const [path, message] of cases) {
      const err = await loadRobomimicHdf5(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
    }
    const unknown = await loadRobomimicHdf5(good, { obsKeys: ['object', 'robot0_joint_pos'] }).catch(
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(DataError);
    expect((unknown as DataError).key).toBe('data/demo_0/obs/robot0_joint_pos');
    expect((unknown as Error).message).toMatch(
      /available: object, robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos/,
    );
    await expect(loadRobomimicHdf5(good, { filter: 'valid' })).rejects.toThrow(/'mask\/valid'/);
  });
});
