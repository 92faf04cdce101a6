import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPushTZarr } from '@mipjs/data';
import { expect, test } from 'vitest';
import { buildOracle, runOracleBench } from './test-utils/oracle.js';
import { benchControlSteps, errorStats, measurePhysics, replayOpenLoop } from './validate.js';

// The README's numbers: MIPJS_PHYSICS_FULL=1 pnpm --filter @mipjs/envs exec vitest run src/physics/measure-full.test.ts
const here = dirname(fileURLToPath(import.meta.url));
const ZARR = resolve(here, '../../../../../shared/data/pusht/pusht_cchi_v7_replay.zarr');

test.skipIf(!process.env.MIPJS_PHYSICS_FULL || !existsSync(ZARR))(
  'full physics measurement (206 episodes)',
  async () => {
    const store = await loadPushTZarr(ZARR, ['state', 'action']);
    const rec = {
      states: store.get('state').data,
      actions: store.get('action').data,
      episodeEnds: store.episodeEnds,
    };
    const m = measurePhysics(rec);
    console.log(JSON.stringify(m, null, 1));
    const speed = benchControlSteps(rec, () => performance.now(), 3);
    const lines = [`TS control steps/s (one core): ${speed.toFixed(0)}`];
    if (buildOracle()) {
      const ts = replayOpenLoop(rec);
      const c = runOracleBench(rec.states, rec.actions, rec.episodeEnds);
      const steps = ts.length / 3;
      const e: number[] = [];
      let start = 0;
      let diverging = 0;
      for (const end of rec.episodeEnds) {
        let bad = false;
        for (let i = start; i < end; i++) {
          const d = Math.hypot(ts[3 * i]! - c.poses[3 * i]!, ts[3 * i + 1]! - c.poses[3 * i + 1]!);
          e.push(d);
          if (d > 1e-9) bad = true;
        }
        if (bad) diverging++;
        start = end;
      }
      lines.push(
        `C replay: ${steps} steps in ${c.seconds} s = ${(steps / c.seconds).toFixed(0)}/s; TS/C = ${(speed / (steps / c.seconds)).toFixed(3)}`,
      );
      lines.push(
        `TS vs C open loop: ${JSON.stringify(errorStats(e))}; episodes with any step > 1e-9 px: ${diverging}`,
      );
    }
    console.log(lines.join('\n'));
    expect(m.oneStep.positionErrorPx.median).toBeLessThanOrEqual(0.01);
  },
  300_000,
);
