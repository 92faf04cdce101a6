import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PushTEnv } from '@mipjs/envs';
import { type Policy, RecedingHorizon } from '@mipjs/policy';
import { loadPolicyFromRun } from '@mipjs/policy/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_PUSHT_DATA, trainTinyPushTRun } from '../test-utils/pusht-run.js';
import { loadCatalog, type ServedPolicy } from './catalog.js';
import { type RunningPolicyServer, startPolicyServer } from './server.js';

/** Debian's interpreter (the example needs only its standard library, plus python3-websockets for ws). */
/** MIPJS_PYTHON overrides it (e.g. a path that does not exist, to see the skip). */
const PYTHON = process.env.MIPJS_PYTHON ?? '/usr/bin/python3';
const CLIENT = join(import.meta.dirname, '../../../../examples/python-client/mipjs_client.py');
const HAVE_PYTHON = existsSync(PYTHON);
const HAVE_WEBSOCKETS = HAVE_PYTHON && spawnSync(PYTHON, ['-c', 'import websockets']).status === 0;
// The convention of .ci/summary.mjs: one `SKIPPING <what>: <why>` line per skipped case.
if (!HAVE_PUSHT_DATA)
  console.warn('SKIPPING the Python client test: no PushT dataset (datasets/pusht) to train a run on');
else if (!HAVE_PYTHON)
  console.warn(`SKIPPING the Python client test: ${PYTHON} is missing (apt-get install python3)`);
else if (!HAVE_WEBSOCKETS) {
  console.warn(
    'SKIPPING the Python client over WebSocket: python3-websockets is missing (apt-get install python3-websockets)',
  );
}

const STEPS = 40;
const SEED = 100003;
const dir = mkdtempSync(join(tmpdir(), 'mipjs-serve-py-'));
let served: ServedPolicy;
let oracle: Policy;
let server: RunningPolicyServer;

beforeAll(async () => {
  if (!HAVE_PUSHT_DATA || !HAVE_PYTHON) return;
  await trainTinyPushTRun(dir);
  [served] = (await loadCatalog([`tiny=${dir}`])) as [ServedPolicy];
  oracle = await loadPolicyFromRun(dir);
  server = await startPolicyServer({ policies: [served], port: 0, sim: true });
}, 120_000);

afterAll(async () => {
  await server?.close();
  served?.policy.dispose();
  oracle?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The same episode in this process: PushT reset like the simulator, RecedingHorizon in the loop. */
function inProcessEpisode(steps: number) {
  const env = new PushTEnv({ legacy: true });
  let obs: ArrayLike<number> = env.reset(SEED);
  const control = new RecedingHorizon(oracle);
  const actions: number[][] = [];
  const rewards: number[] = [];
  for (let t = 0; t < steps; t++) {
    const action = control.step(obs);
    actions.push(Array.from(action));
    const r = env.step(action);
    rewards.push(r.reward);
    obs = r.observation;
    if (r.terminated || r.truncated) break;
  }
  return { actions, rewards };
}

async function runClient(transport: 'http' | 'ws', prefetch = 0) {
  const out = join(dir, `episode-${transport}.json`);
  const args = [CLIENT, '--url', server.url, '--policy', 'tiny', '--transport', transport];
  args.push('--seed', String(SEED), '--steps', String(STEPS), '--prefetch', String(prefetch), '--json', out);
  // Asynchronous on purpose: the server answers from this process's event loop.
  const { stdout } = await promisify(execFile)(PYTHON, args, { timeout: 60_000 });
  return { summary: JSON.parse(stdout), episode: JSON.parse(readFileSync(out, 'utf8')) };
}

describe('the Python robot-side example (examples/python-client)', () => {
  it.skipIf(!HAVE_PUSHT_DATA || !HAVE_PYTHON)(
    'drives a simulated PushT episode over HTTP (raw float32) with the in-process actions',
    async () => {
      const want = inProcessEpisode(STEPS);
      const { summary, episode } = await runClient('http');
      expect(summary).toEqual({ transport: 'http', steps: STEPS, maxReward: Math.max(...want.rewards) });
      expect(episode.actions).toEqual(want.actions);
      expect(episode.rewards).toEqual(want.rewards);
    },
    60_000,
  );

  it.skipIf(!HAVE_PUSHT_DATA || !HAVE_WEBSOCKETS)(
    'drives the same episode over a WebSocket session (server-side receding horizon)',
    async () => {
      const want = inProcessEpisode(STEPS);
      const { summary, episode } = await runClient('ws');
      expect(summary.steps).toBe(STEPS);
      expect(episode.actions).toEqual(want.actions);
      expect(episode.rewards).toEqual(want.rewards);
    },
    60_000,
  );
});
