import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../config/config.js';
import { checkInterpolant, interpolantFor, loadSchedulePackage, validateSchedule } from './schedules.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const read = (t: tf.Tensor) => Array.from(t.dataSync());

describe('--interpolant / --interpolant-package', () => {
  it("loads the example package's quadratic schedule: closed form, and alphaDot / betaDot match finite differences", async () => {
    const [quadratic] = await loadSchedulePackage('mipjs-algorithm-example');
    expect(quadratic!.name).toBe('quadratic');
    const ts = [0, 0.25, 0.5, 0.9];
    const t = tf.tensor1d(ts);
    expect(read(quadratic!.alpha(t))).toEqual(ts.map((x) => expect.closeTo(1 - x * x, 6)));
    expect(read(quadratic!.beta(t))).toEqual(ts.map((x) => expect.closeTo(x * x, 6)));
    const h = 1e-2; // central differences of a quadratic are exact up to float32 rounding
    for (const [f, df] of [
      ['alpha', 'alphaDot'],
      ['beta', 'betaDot'],
    ] as const) {
      const fd = tf.tidy(() =>
        tf.div(tf.sub(quadratic![f](tf.add(t, h)), quadratic![f](tf.sub(t, h))), 2 * h),
      );
      const exact = quadratic![df](t);
      read(fd).forEach((v, i) => expect(v).toBeCloseTo(read(exact)[i]!, 3));
      tf.dispose([fd, exact]);
    }
    t.dispose();
  });

  it('a run interpolates with the package schedule once its package is loaded', async () => {
    const config = resolveRunConfig(
      {},
      { interpolant: 'quadratic', interpolantPackages: ['mipjs-algorithm-example'] },
    );
    expect((await checkInterpolant(config)).name).toBe('quadratic');
    const before = tf.memory().numTensors;
    const I = interpolantFor(config);
    const [x0, x1, t] = [tf.zeros([1, 1, 1]), tf.ones([1, 1, 1]), tf.tensor1d([0.5])];
    const at = I.at(t, x0, x1);
    expect(read(at)[0]).toBeCloseTo(0.25, 6); // beta(0.5) = 0.25
    tf.dispose([x0, x1, t, at]);
    expect(tf.memory().numTensors).toBe(before);
    expect(interpolantFor({ interpolant: 'trig' }).schedule.name).toBe('trig');
  });

  it('names the flag and the valid schedules; rejects a malformed schedule by field', async () => {
    await expect(checkInterpolant(resolveRunConfig({}, { interpolant: 'cosine' }))).rejects.toThrow(
      /^invalid config: --interpolant: unknown interpolant 'cosine'; valid: linear, trig/,
    );
    expect(() => validateSchedule({ name: 'x', alpha: () => 0 }, "package 'p'")).toThrow(
      /package 'p': invalid schedule 'x':\n {2}beta must be a function/,
    );
    expect(() => interpolantFor({ interpolant: 'not-loaded' })).toThrow(/--interpolant-package/);
  });
});
