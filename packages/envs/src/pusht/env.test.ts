import { describe, expect, it } from 'vitest';
import { EnvError } from '../errors.js';
import { PushTVectorEnv } from '../vector/vector-env.js';
import { agentTrajectory } from './agent.js';
import {
  IMAGE_OBS_DIM,
  observationSize,
  PushTEnv,
  pushTInitialState,
  pushTObservationForTask,
  pyMod,
} from './env.js';
import { T_BOXES_LOCAL, toWorld } from './geometry.js';
import { renderPushT } from './render.js';

// np.random.RandomState(seed): [randint(50,450), randint(50,450), randint(100,400),
// randint(100,400), randn()*2*pi - pi], computed once with Debian's python3-numpy 1.24.2.
const NUMPY_RESETS: [number, number[]][] = [
  [0, [222, 97, 217, 292, 3.0079994677219553]],
  [1, [87, 285, 172, 355, -6.595749753457083]],
  [42, [152, 398, 370, 206, -0.16423722535645258]],
  [100000, [235, 124, 335, 128, -0.9049274284249247]],
  [100001, [365, 182, 275, 280, -1.0981131397099535]],
  [123456, [115, 284, 149, 156, 2.9793856453245917]],
  [4294967295, [340, 62, 171, 164, -2.6307466406555617]],
];

describe('PushTEnv', () => {
  it('reset draws numpy legacy RandomState initial states', () => {
    for (const [seed, s] of NUMPY_RESETS) expect(pushTInitialState(seed)).toEqual(s);
  });

  it('reset places the state (angle-first: origin exact; legacy: rotated about the cog)', () => {
    const env = new PushTEnv();
    for (const [seed, s] of NUMPY_RESETS) {
      const o = env.reset(seed);
      // No contact at these seeds, so the extra step(0.01) moves nothing.
      expect(Array.from(o)).toEqual([s[0], s[1], s[2], s[3], pyMod(s[4]!, 2 * Math.PI)]);
      expect(env.elapsedSteps).toBe(0);
    }
    const legacy = new PushTEnv({ legacy: true });
    const [x, y, a] = [217, 292, 3.0079994677219553];
    const o = legacy.reset(0);
    // pos then angle: the cog (0, 45) stays at (x, y + 45), so origin = cog - R(a) (0, 45).
    expect(o[2]).toBeCloseTo(x + 45 * Math.sin(a), 9);
    expect(o[3]).toBeCloseTo(y + 45 - 45 * Math.cos(a), 9);
    expect(o[4]).toBeCloseTo(a, 12);
    expect(Array.from(env.reset(0, { legacy: true }))).toEqual(Array.from(o));
    // The override holds for that episode only.
    expect(env.reset(0)[2]).toBe(x);
    expect(env.legacy).toBe(false);
  });

  it('the agent follows the PD rule', () => {
    const env = new PushTEnv();
    env.setState([100, 100, 350, 250, 0]);
    const actions = [150, 120, 150, 120, 130, 160, 90, 90];
    const ref = agentTrajectory(100, 100, actions);
    for (let t = 0; t < 4; t++) {
      const r = env.step(actions.slice(2 * t, 2 * t + 2));
      expect(r.observation[0]).toBe(ref[4 * (t + 1)]);
      expect(r.observation[1]).toBe(ref[4 * (t + 1) + 1]);
      expect(r.info.nContacts).toBe(0);
    }
    // One sub-step by hand from rest: v = 100 * 50 * 0.01 = 50, p = 100 + 0.5.
    const one = agentTrajectory(0, 0, [1, 0]);
    let x = 0;
    let v = 0;
    for (let i = 0; i < 10; i++) {
      v = v + (100 * (1 - x) - 20 * v) * 0.01;
      x = x + v * 0.01;
    }
    expect(one[4]).toBe(x);
    expect(one[6]).toBe(v);
  });

  it('reward, coverage and termination at the goal; truncation at the step limit', () => {
    const env = new PushTEnv({ maxEpisodeSteps: 3 });
    env.setState([50, 50, 256, 256, Math.PI / 4]);
    let r = env.step([50, 50]);
    expect(r.coverage).toBeCloseTo(1, 9);
    expect(r.reward).toBe(1);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    env.setState([50, 50, 150, 350, 0]);
    r = env.step([50, 50]);
    r = env.step([50, 50]);
    expect(r.truncated).toBe(false);
    r = env.step([50, 50]);
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
    expect(r.reward).toBeCloseTo(r.coverage / 0.95, 12);
  });

  it('is deterministic', () => {
    const run = () => {
      const env = new PushTEnv({ observation: 'keypoints' });
      env.reset(7);
      const out: number[] = [];
      for (let t = 0; t < 60; t++) {
        const r = env.step([256 + 150 * Math.cos(t / 5), 256 + 150 * Math.sin(t / 7)]);
        out.push(...r.observation, r.reward, r.info.nContactPoints);
      }
      return out;
    };
    expect(run()).toEqual(run());
  });

  it('pushes the block, and walls keep it inside', () => {
    const env = new PushTEnv();
    env.setState([256, 150, 256, 200, 0]);
    let contacts = 0;
    // Drive the agent down through the block into the bottom wall, then along it.
    for (let t = 0; t < 40; t++) contacts += env.step([256, 511]).info.nContactPoints;
    for (let t = 0; t < 20; t++) contacts += env.step([511, 511]).info.nContactPoints;
    expect(contacts).toBeGreaterThan(0);
    const s = env.getState();
    expect(s[3]).toBeGreaterThan(250); // it moved
    for (const box of T_BOXES_LOCAL) {
      const v = toWorld(box, s[2]!, s[3]!, s[4]!);
      for (let i = 0; i < v.length; i++) {
        expect(v[i]).toBeGreaterThan(5 - 1);
        expect(v[i]).toBeLessThan(506 + 1);
      }
    }
  });

  it('keypoint observations are the 9 keypoints then the agent', () => {
    const env = new PushTEnv({ observation: 'keypoints' });
    const o = env.setState([10, 20, 256, 256, 0]);
    expect(o.length).toBe(20);
    expect(o[18]).toBe(10);
    expect(o[19]).toBe(20);
    expect(o[0]).toBeCloseTo(256 + 9.26979, 9);
  });

  it('image observations are the rendered 96 x 96 frame in [0, 1] (HWC) then the agent, batched too', () => {
    expect(IMAGE_OBS_DIM).toBe(27650);
    expect(observationSize('image')).toBe(27650);
    const env = new PushTEnv({ observation: 'image' });
    const state = [100, 300, 256, 256, 0.5];
    const o = env.setState(state);
    expect(o.length).toBe(27650);
    const frame = renderPushT(env.getState());
    for (const i of [0, 1000, 13824, 27647]) expect(o[i]).toBe(frame[i]! / 255);
    expect(Math.min(...o.subarray(0, 27648))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...o.subarray(0, 27648))).toBe(1); // the white background
    expect([o[27648], o[27649]]).toEqual([100, 300]);
    const venv = new PushTVectorEnv(2, { observation: 'image' });
    const obs = venv.reset(100000, { legacy: true });
    expect(obs.length).toBe(2 * 27650);
    const single = new PushTEnv({ observation: 'image' });
    const first = single.reset(100000, { legacy: true });
    expect(Array.from(obs.subarray(0, 27650))).toEqual(Array.from(first));
  });

  it('bad input throws EnvError and leaves the world unchanged', () => {
    const env = new PushTEnv();
    env.reset(3);
    env.step([300, 300]);
    const before = Array.from(env.getState());
    const n = env.elapsedSteps;
    expect(() => env.step([Number.NaN, 1])).toThrow(EnvError);
    expect(() => env.step([1, 2, 3])).toThrow(/expected 2 numbers, got 3/);
    expect(() => env.step([1, Number.POSITIVE_INFINITY])).toThrow(EnvError);
    expect(() => env.setState([1, 2, 3, 4])).toThrow(/expected 5 numbers/);
    expect(() => env.reset(1.5)).toThrow(/seed must be an integer/);
    expect(() => env.reset(-1)).toThrow(EnvError);
    expect(() => new PushTEnv({ observation: 'pixels' as 'state' })).toThrow(
      /observation must be 'state', 'keypoints' or 'image', got pixels/,
    );
    expect(Array.from(env.getState())).toEqual(before);
    expect(env.elapsedSteps).toBe(n);
    try {
      env.step([Number.NaN, 0]);
    } catch (e) {
      expect((e as Error).name).toBe('EnvError');
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('renders its state', () => {
    const env = new PushTEnv();
    env.reset(0);
    env.step([300, 300]);
    expect(env.render().length).toBe(96 * 96 * 3);
    expect(env.render({ size: 256, drawAction: true }).length).toBe(256 * 256 * 3);
  });

  it('knows the observation of each PushT task and names a task it does not serve', () => {
    expect(['pusht', 'pusht_keypoint', 'pusht_image'].map(pushTObservationForTask)).toEqual([
      'state',
      'keypoints',
      'image',
    ]);
    expect(() => pushTObservationForTask('recon')).toThrow(EnvError);
    expect(() => pushTObservationForTask('recon')).toThrow(
      "a policy of task 'recon' cannot act here; PushT serves the tasks pusht, pusht_keypoint, pusht_image",
    );
  });
});
