// Recorded vs simulated block paths of a few PushT demonstrations, as 512 x 512 PNGs (the docs'
// PushT page). Each episode is replayed open loop from its first recorded state with its recorded
// actions (`replayOpenLoop`, the open-loop row of `mipjs validate-env`); the picture is the scene
// at the first state with the centre of gravity of the T along the recorded states (black, wide)
// and along the simulation (red, thin, on top).
//
//   pnpm --filter @mipjs/envs build
//   node packages/envs/scripts/pusht-trajectories.mjs [--data ZARR] [--out DIR] [--episodes 0,1,2,186]
//
// Defaults: the repository's copy datasets/pusht/pusht_cchi_v7_lowdim.zarr, apps/docs/public.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPushTZarr } from '@mipjs/data';
import { renderPushT, replayOpenLoop, T_COG_LOCAL, toWorld } from '../dist/index.js';
import { writePng } from '../dist/node/index.js';

const repo = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(repo, 'datasets/pusht/pusht_cchi_v7_lowdim.zarr') },
    out: { type: 'string', default: join(repo, 'apps/docs/public') },
    episodes: { type: 'string', default: '0,1,2,186' },
  },
});

const RECORDED = [0, 0, 0];
const SIMULATED = [230, 30, 30];
const SIZE = 512;

const store = await loadPushTZarr(values.data, ['state', 'action']);
const states = store.get('state').data;
const actions = store.get('action').data;
const ends = [...store.episodeEnds];
const poses = replayOpenLoop({ states, actions, episodeEnds: ends });
const cog = (x, y, a) => toWorld(T_COG_LOCAL, x, y, a);

mkdirSync(values.out, { recursive: true });
for (const e of values.episodes.split(',').map(Number)) {
  if (!Number.isInteger(e) || e < 0 || e >= ends.length) {
    console.error(`pusht-trajectories: episode ${e} is not in 0..${ends.length - 1}`);
    process.exit(1);
  }
  const start = e === 0 ? 0 : ends[e - 1];
  const end = ends[e];
  const recorded = [];
  const simulated = [];
  let maxError = 0;
  for (let t = start; t < end; t++) {
    const r = cog(states[5 * t + 2], states[5 * t + 3], states[5 * t + 4]);
    recorded.push(r[0], r[1]);
    // Row t - 1 of the replay is the prediction of state t; the first state is the start.
    const s = t === start ? r : cog(poses[3 * (t - 1)], poses[3 * (t - 1) + 1], poses[3 * (t - 1) + 2]);
    simulated.push(s[0], s[1]);
    maxError = Math.max(maxError, Math.hypot(s[0] - r[0], s[1] - r[1]));
  }
  const first = Array.from(states.subarray(5 * start, 5 * start + 5));
  const img = renderPushT(first, {
    size: SIZE,
    trails: [
      { points: recorded, color: RECORDED, width: 7 },
      { points: simulated, color: SIMULATED, width: 3 },
    ],
  });
  const file = join(values.out, `pusht-episode-${e}.png`);
  writePng(file, img, SIZE, SIZE);
  console.log(
    `episode ${e}: ${end - start} states, largest recorded-simulated distance ${maxError.toPrecision(3)} px -> ${file}`,
  );
}
