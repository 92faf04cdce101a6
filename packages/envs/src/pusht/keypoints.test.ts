import { describe, expect, it } from 'vitest';
import { loadLowDim, realDataMissing } from '../test-utils/real-data.js';
import { fitKeypointsLocal, keypointErrors, PUSHT_KEYPOINTS_LOCAL, pushTKeypoints } from './keypoints.js';

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
});
