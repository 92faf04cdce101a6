import { describe, expect, it } from 'vitest';
import { loadLowDim, realDataMissing } from '../test-utils/real-data.js';
import {
  fitKeypointsLocal,
  KEYPOINT_OBS_DIM,
  keypointErrors,
  PUSHT_KEYPOINTS_LOCAL,
  pushTKeypointObservation,
  pushTKeypoints,
} from './keypoints.js';

const missing = realDataMissing();
if (missing) console.log(`keypoints: skipping real-data tests (${missing})`);

describe('PushT keypoints', () => {
  it('are a rigid transform of the body coordinates', () => {
    const kp = pushTKeypoints(100, 200, 0);
    for (let i = 0; i < 18; i += 2) {
      expect(kp[i]).toBeCloseTo(100 + PUSHT_KEYPOINTS_LOCAL[i]!, 12);
      expect(kp[i + 1]).toBeCloseTo(200 + PUSHT_KEYPOINTS_LOCAL[i + 1]!, 12);
    }
    const r = pushTKeypoints(0, 0, Math.PI / 2);
    expect(r[0]).toBeCloseTo(-PUSHT_KEYPOINTS_LOCAL[1]!, 12);
    expect(r[1]).toBeCloseTo(PUSHT_KEYPOINTS_LOCAL[0]!, 12);
  });

  it.skipIf(missing !== null)('local coordinates recovered from data/keypoint + data/state', async () => {
    const d = await loadLowDim();
    // A slice (the first 20 episodes) recovers the constants fitted on all 25,650 frames.
    const end = d.episodeEnds[19]!;
    const fit = fitKeypointsLocal(d.state.subarray(0, end * 5), d.keypoint.subarray(0, end * 18));
    for (let j = 0; j < 18; j++) expect(Math.abs(fit[j]! - PUSHT_KEYPOINTS_LOCAL[j]!)).toBeLessThan(2e-3);
    const all = keypointErrors(d.state, d.keypoint);
    console.log(
      `keypointMaxError ${all.max.toFixed(4)} px, median ${all.median.toExponential(2)}, p99 ${all.p99.toFixed(4)}`,
    );
    expect(all.median).toBeLessThan(1e-4);
    expect(all.p99).toBeLessThan(0.05);
    expect(all.max).toBeLessThan(2.1);
  });

  it('observation rows are the 9 keypoints then the agent position', () => {
    const states = [10, 20, 256, 300, Math.PI / 2, 400, 50, 100, 120, 0];
    const obs = pushTKeypointObservation(states, 2);
    expect(obs.length).toBe(2 * KEYPOINT_OBS_DIM);
    // Row 0: a quarter turn maps body (lx, ly) to (-ly, lx) around the block's position.
    expect(obs[0]).toBeCloseTo(256 - PUSHT_KEYPOINTS_LOCAL[1]!, 4);
    expect(obs[1]).toBeCloseTo(300 + PUSHT_KEYPOINTS_LOCAL[0]!, 4);
    expect(Array.from(obs.subarray(18, 20))).toEqual([10, 20]);
    // Row 1: angle 0 is a plain translation.
    expect(obs[20 + 16]).toBeCloseTo(100 + PUSHT_KEYPOINTS_LOCAL[16]!, 4);
    expect(obs[20 + 17]).toBeCloseTo(120 + PUSHT_KEYPOINTS_LOCAL[17]!, 4);
    expect(Array.from(obs.subarray(38, 40))).toEqual([400, 50]);
    expect(() => pushTKeypointObservation(states, 3)).toThrow(/3 states need 15 numbers, got 10/);
  });

  it.skipIf(missing !== null)(
    'observation of the recorded states matches data/keypoint + state[:, :2]',
    async () => {
      const d = await loadLowDim();
      const T = d.episodeEnds[0]!;
      const obs = pushTKeypointObservation(d.state, T);
      let err = 0;
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < 18; j++)
          err = Math.max(err, Math.abs(obs[t * 20 + j]! - d.keypoint[t * 18 + j]!));
        expect(obs[t * 20 + 18]).toBe(d.state[t * 5]);
        expect(obs[t * 20 + 19]).toBe(d.state[t * 5 + 1]);
      }
      expect(err).toBeLessThan(0.05);
    },
  );
});
