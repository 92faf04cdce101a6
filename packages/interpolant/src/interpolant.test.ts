import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { broadcastTime, Interpolant } from './interpolant.js';
import { linearSchedule, type Schedule, scheduleByName, trigSchedule } from './schedule.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (x: tf.Tensor) => Array.from(x.dataSync());

describe('Interpolant (reference interpolant_test.py, closed forms)', () => {
  it('linear: I_0.5([1,2,3],[4,5,6]) = [2.5,3.5,4.5]', () => {
    const I = new Interpolant('linear');
    const out = I.at(tf.scalar(0.5), tf.tensor([1, 2, 3]), tf.tensor([4, 5, 6]));
    expect(values(out)).toEqual([2.5, 3.5, 4.5]);
  });

  it.each(['linear', 'trig'])('%s: returns x0 at t=0 and x1 at t=1 (per-sample t)', (name) => {
    const I = new Interpolant(name);
    const x0 = tf.tensor3d([1, -2, 3, 0.5], [2, 1, 2]);
    const x1 = tf.tensor3d([4, 5, -6, 7], [2, 1, 2]);
    const at0 = values(I.at(tf.tensor1d([0, 0]), x0, x1));
    const at1 = values(I.at(tf.tensor1d([1, 1]), x0, x1));
    values(x0).forEach((v, i) => expect(at0[i]).toBeCloseTo(v, 6));
    values(x1).forEach((v, i) => expect(at1[i]).toBeCloseTo(v, 6));
  });

  it('trig at 0.5 equals cos(pi/4) x0 + sin(pi/4) x1', () => {
    const I = new Interpolant('trig');
    const out = values(I.at(tf.scalar(0.5), tf.tensor([1, 2]), tf.tensor([3, -4])));
    const c = Math.cos(Math.PI / 4);
    const s = Math.sin(Math.PI / 4);
    expect(out[0]).toBeCloseTo(c * 1 + s * 3, 6);
    expect(out[1]).toBeCloseTo(c * 2 - s * 4, 6);
  });

  it('velocity at 0.5: linear x1 - x0; trig -(pi/2) sin(pi/4) x0 + (pi/2) cos(pi/4) x1', () => {
    const x0 = tf.tensor([1, 2]);
    const x1 = tf.tensor([3, -4]);
    expect(values(new Interpolant('linear').velocity(tf.scalar(0.5), x0, x1))).toEqual([2, -6]);
    const trig = values(new Interpolant('trig').velocity(tf.scalar(0.5), x0, x1));
    const h = Math.PI / 2;
    expect(trig[0]).toBeCloseTo(-h * Math.sin(Math.PI / 4) * 1 + h * Math.cos(Math.PI / 4) * 3, 5);
    expect(trig[1]).toBeCloseTo(-h * Math.sin(Math.PI / 4) * 2 - h * Math.cos(Math.PI / 4) * 4, 5);
  });

  it('linear velocity is the same at t = 0, 0.5, 1', () => {
    const I = new Interpolant();
    const x0 = tf.tensor([1, 2]);
    const x1 = tf.tensor([3, -4]);
    for (const t of [0, 0.5, 1]) expect(values(I.velocity(tf.scalar(t), x0, x1))).toEqual([2, -6]);
  });

  it('per-sample t of shape [B] broadcasts over [B, H, A]', () => {
    const I = new Interpolant('linear');
    const x0 = tf.zeros([3, 2, 2]);
    const x1 = tf.ones([3, 2, 2]);
    const out = I.at(tf.tensor1d([0, 0.25, 1]), x0, x1);
    expect(out.shape).toEqual([3, 2, 2]);
    expect(values(out)).toEqual([0, 0, 0, 0, 0.25, 0.25, 0.25, 0.25, 1, 1, 1, 1]);
  });

  it('velocity is the time derivative of I_t (central finite differences, both schedules)', () => {
    const x0 = tf.tensor3d([0.3, -1.2, 2, 0.7], [2, 1, 2]);
    const x1 = tf.tensor3d([1.5, 0.4, -0.8, 1.1], [2, 1, 2]);
    const eps = 1e-2;
    for (const name of ['linear', 'trig']) {
      const I = new Interpolant(name);
      for (const tv of [0.1, 0.45, 0.8]) {
        const t = tf.tensor1d([tv, tv + 0.05]);
        const fd = tf.div(tf.sub(I.at(tf.add(t, eps), x0, x1), I.at(tf.sub(t, eps), x0, x1)), 2 * eps);
        const v = values(I.velocity(t, x0, x1));
        values(fd).forEach((d, i) => expect(Math.abs(d - v[i])).toBeLessThan(2e-3));
      }
    }
  });

  it('accepts a user schedule (alpha = 1 - t^2, beta = t^2)', () => {
    const quadratic: Schedule = {
      name: 'quadratic',
      alpha: (t) => tf.sub(1, tf.square(t)),
      beta: (t) => tf.square(t),
      alphaDot: (t) => tf.mul(-2, t),
      betaDot: (t) => tf.mul(2, t),
    };
    const I = new Interpolant(quadratic);
    expect(values(I.at(tf.scalar(0.5), tf.tensor([4]), tf.tensor([8])))[0]).toBeCloseTo(
      0.75 * 4 + 0.25 * 8,
      6,
    );
    expect(values(I.velocity(tf.scalar(0.5), tf.tensor([4]), tf.tensor([8])))[0]).toBeCloseTo(-4 + 8, 6);
  });

  it('schedules match their closed forms', () => {
    const t = tf.tensor1d([0, 0.3, 1]);
    expect(values(linearSchedule.alpha(t))).toEqual([1, 1 - 0.3, 0].map(Math.fround));
    const ta = values(trigSchedule.alpha(t));
    [0, 0.3, 1].forEach((tv, i) => expect(ta[i]).toBeCloseTo(Math.cos((Math.PI * tv) / 2), 6));
  });

  it('does not leak tensors', () => {
    const I = new Interpolant('trig');
    const x0 = tf.ones([2, 3, 1]);
    const x1 = tf.zeros([2, 3, 1]);
    const t = tf.tensor1d([0.2, 0.6]);
    const before = tf.memory().numTensors;
    tf.dispose([I.at(t, x0, x1), I.velocity(t, x0, x1)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad input', () => {
  it('unknown schedule name lists the valid ones', () => {
    expect(() => new Interpolant('invalid_type')).toThrow(
      "Interpolant type 'invalid_type' not implemented: expected one of 'linear', 'trig'",
    );
    expect(() => scheduleByName('toString')).toThrow(/not implemented/);
  });

  it('mismatched x0 / x1 shapes', () => {
    expect(() => new Interpolant().at(tf.scalar(0.5), tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(
      'x0 has shape [2, 3] but x1 has shape [2, 4]',
    );
  });

  it('t of the wrong rank or batch size', () => {
    expect(() => broadcastTime(tf.zeros([2, 1]), tf.zeros([2, 3]))).toThrow('time t must have shape [B]');
    expect(() => new Interpolant().at(tf.zeros([3]), tf.zeros([2, 3]), tf.zeros([2, 3]))).toThrow(
      'time t has shape [3] but x has shape [2, 3]',
    );
  });
});
