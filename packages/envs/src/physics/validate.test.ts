import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPushTZarr } from '@mipjs/data';
import { describe, expect, test } from 'vitest';
import { buildOracle, oracleSkipReason, runOracleBench } from './test-utils/oracle.js';
import { benchControlSteps, measurePhysics, type PushTRecording, replayOpenLoop } from './validate.js';

const here = dirname(fileURLToPath(import.meta.url));
const ZARR = resolve(here, '../../../../../shared/data/pusht/pusht_cchi_v7_replay.zarr');
const hasData = existsSync(ZARR);
if (!hasData) console.log(`skipping the real-data physics checks: ${ZARR} is absent`);

/** The first `episodes` episodes of the recorded demonstrations. */
async function slice(episodes: number): Promise<PushTRecording> {
  const store = await loadPushTZarr(ZARR, ['state', 'action']);
  const ends = store.episodeEnds.slice(0, episodes);
  const T = ends[ends.length - 1]!;
  return {
    states: store.get('state').data.subarray(0, 5 * T),
    actions: store.get('action').data.subarray(0, 2 * T),
    episodeEnds: ends,
  };
}

describe.skipIf(!hasData)('PushT physics on the real demonstrations (20 episodes)', () => {
  test('one-step and open-loop errors meet the targets', async () => {
    const m = measurePhysics(await slice(20));
    console.log(JSON.stringify(m));
    expect(m.agentReplayMaxErrorPx).toBe(0);
    expect(m.oneStep.transitions).toBeGreaterThan(1000);
    expect(m.oneStep.positionErrorPx.median).toBeLessThanOrEqual(0.01);
    expect(m.oneStep.positionErrorPx.p95).toBeLessThanOrEqual(0.1);
    expect(m.oneStep.angleErrorRad.median).toBeLessThanOrEqual(1e-4);
    expect(m.openLoop.finalPositionErrorPx.median).toBeLessThanOrEqual(0.5);
  });

  test.skipIf(!buildOracle())('open-loop replay agrees with Chipmunk in C to 1e-9 px', async () => {
    const rec = await slice(20);
    const ts = replayOpenLoop(rec);
    const c = runOracleBench(rec.states, rec.actions, rec.episodeEnds);
    expect(c.poses.length).toBe(ts.length);
    let max = 0;
    for (let i = 0; i < ts.length / 3; i++) {
      max = Math.max(max, Math.hypot(ts[3 * i]! - c.poses[3 * i]!, ts[3 * i + 1]! - c.poses[3 * i + 1]!));
    }
    expect(max).toBeLessThan(1e-9);
    const speed = benchControlSteps(rec, () => performance.now());
    console.log(`control steps/s: TS ${speed.toFixed(0)}, C ${(ts.length / 3 / c.seconds).toFixed(0)}`);
    expect(speed).toBeGreaterThan(5000); // loose: shared CI cores; the README has the real number
  });
});

if (!buildOracle()) console.log(`(oracle: ${oracleSkipReason()})`);
