import { describe, expect, it } from 'vitest';
import { imagesMissing, loadImageChunks } from '../test-utils/real-data.js';
import { lightColor, meanAbsDiff, renderPushT, renderPushTCanvas } from './render.js';

const missing = imagesMissing();
if (missing) console.log(`render: skipping the comparison with data/img (${missing})`);

describe('PushT render', () => {
  it('colours and sizes', () => {
    expect(lightColor([119, 136, 153])).toEqual([143, 163, 184]);
    expect(lightColor([65, 105, 225])).toEqual([78, 126, 255]);
    const c = renderPushTCanvas([100, 100, 300, 300, 0]);
    const at = (x: number, y: number) =>
      Array.from(c.data.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3));
    expect(at(100, 100)).toEqual([78, 126, 255]); // inner agent disc
    expect(at(100 + 13, 100)).toEqual([65, 105, 225]); // outer ring
    expect(at(300, 315)).toEqual([143, 163, 184]); // T bar interior
    expect(at(256, 256 + 40)).toEqual([144, 238, 144]); // goal stem, not covered
    expect(at(30, 30)).toEqual([255, 255, 255]);
    expect(at(5, 200)).toEqual([211, 211, 211]); // left wall
    expect(renderPushT([100, 100, 300, 300, 0]).length).toBe(96 * 96 * 3);
    expect(renderPushT([100, 100, 300, 300, 0], { size: 256 }).length).toBe(256 * 256 * 3);
    expect(() => renderPushT([1, 2, 3])).toThrow(/state must have 5/);
  });

  it('trail and action marker', () => {
    const state = [100, 100, 300, 300, 0];
    const c = renderPushTCanvas(state, { trail: [50, 450, 150, 450, 150, 480], trailColor: [1, 2, 3] });
    const at = (x: number, y: number) =>
      Array.from(c.data.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3));
    expect(at(100, 450)).toEqual([1, 2, 3]);
    expect(at(150, 470)).toEqual([1, 2, 3]);
    const two = renderPushTCanvas(state, {
      trails: [{ points: [50, 60, 90, 60], color: [9, 9, 9], width: 1 }],
    });
    expect(Array.from(two.data.subarray((60 * 512 + 70) * 3, (60 * 512 + 70) * 3 + 3))).toEqual([9, 9, 9]);
    const plain = renderPushT(state);
    const marked = renderPushT(state, { action: [256, 128] });
    const px = (img: Uint8Array, x: number, y: number) =>
      Array.from(img.subarray((y * 96 + x) * 3, (y * 96 + x) * 3 + 3));
    expect(px(marked, 48, 24)).toEqual([255, 0, 0]);
    expect(px(marked, 52, 24)).toEqual([255, 0, 0]);
    expect(px(plain, 48, 24)).not.toEqual([255, 0, 0]);
  });

  it.skipIf(missing !== null)('matches data/img on recorded frames', async () => {
    // 2 chunks of 161 frames far apart in the dataset (322 frames; decoding the images is most of
    // the time). Over 7 chunks (1127 frames) the mean is 0.0013 and 639 frames are identical.
    const { img, state } = await loadImageChunks([0, 100]);
    const T = state.length / 5;
    let sum = 0;
    let worst = 0;
    let identical = 0;
    for (let t = 0; t < T; t++) {
      const f = renderPushT(state.subarray(5 * t, 5 * t + 5));
      const d = meanAbsDiff(f, img.subarray(t * 27648, (t + 1) * 27648));
      sum += d;
      if (d === 0) identical++;
      worst = Math.max(worst, d);
    }
    console.log(
      `render: mean abs pixel diff ${(sum / T).toFixed(4)} over ${T} frames, ${identical} identical (worst frame ${worst.toFixed(3)})`,
    );
    expect(T).toBe(322);
    expect(sum / T).toBeLessThanOrEqual(0.01); // the target is 3
    expect(identical).toBeGreaterThan(T / 3);
  });
});
