import { describe, expect, it } from 'vitest';
import { imagesMissing, loadImageChunks, loadLowDim, realDataMissing } from '../test-utils/real-data.js';
import { formatPushTValidation, pushTRenderSample, validatePushT } from './validate-pusht.js';

const missing = realDataMissing();
if (missing) console.log(`validate-pusht: skipping (${missing})`);
const noImages = imagesMissing();
if (!missing && noImages) console.log(`validate-pusht: render row skipped (${noImages})`);

describe('validatePushT', () => {
  it('render sample spreads frames', () => {
    expect(pushTRenderSample(10, 20)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pushTRenderSample(1000, 4)).toEqual([125, 375, 625, 875]);
  });

  it.skipIf(missing !== null)('reports on the first 20 real episodes', async () => {
    const d = await loadLowDim();
    // Images of the first 161 frames (one chunk), when ../shared/data is there.
    const images = noImages ? null : await loadImageChunks([0]);
    const report = validatePushT(
      {
        state: d.state,
        action: d.action,
        keypoint: d.keypoint,
        episodeEnds: d.episodeEnds,
        img: images
          ? (t) => (t < 161 ? images.img.subarray(t * 27648, (t + 1) * 27648) : undefined)
          : undefined,
      },
      {
        maxEpisodes: 20,
        renderFrames: Array.from({ length: 161 }, (_, i) => i),
        now: () => performance.now(),
        batchSize: 10,
      },
    );
    console.log(formatPushTValidation(report));
    expect(report.episodes).toBe(20);
    expect(report.transitions).toBe(d.episodeEnds[19]! - 20);
    expect(report.agentReplayMaxErrorPx).toBeLessThanOrEqual(1e-6);
    expect(report.keypointMaxError).toBeLessThan(2.1);
    if (images) expect(report.render!.meanAbsDiff).toBeLessThan(0.05);
    expect(report.speed!.singleStepsPerSecond).toBeGreaterThan(0);
    expect(report.checks.map((c) => c.name)).toContain('oneStep.medianPositionErrorPx');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
