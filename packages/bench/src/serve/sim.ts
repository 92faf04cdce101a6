import { PushTEnv } from '@mipjs/envs';
import { RequestError } from './request.js';

/** Most simulated episodes open at once (each holds a physics world; the oldest is dropped first). */
export const MAX_SIM_EPISODES = 64;

/** What one simulated step answers (JSON). */
export interface SimStep {
  id: string;
  step: number;
  observation: number[];
  reward: number;
  maxReward: number;
  coverage: number;
  terminated: boolean;
  truncated: boolean;
}

interface Episode {
  env: PushTEnv;
  step: number;
  maxReward: number;
  done: boolean;
}

const bad = (field: string, expected: string, message: string) =>
  new RequestError(400, 'bad-request', field, expected, message);

/**
 * A stand-in robot for demos and tests, served by `mipjs serve --sim`: PushT episodes in the
 * server's process, stepped over HTTP (`POST /sim/pusht/episodes`, `POST
 * /sim/pusht/episodes/:id/step`). A robot-side client (the Python example) then drives a real
 * closed loop against the policy server without a simulator of its own. Episodes reset like the
 * bench's closed-loop evaluation (`legacy` order, Diffusion Policy's test seeds from 100000).
 *
 * ```ts
 * const sim = new PushTSimulator();
 * const first = sim.open({ seed: 100000 });            // { id, observation: [5 numbers], ... }
 * const next = sim.step(first.id, { action: [256, 256] });
 * ```
 */
export class PushTSimulator {
  private readonly episodes = new Map<string, Episode>();
  private counter = 0;

  /** Episodes open now. */
  get openEpisodes(): number {
    return this.episodes.size;
  }

  /** Starts an episode: body `{ seed?: 0…2^32−1 (default 100000), observation?: 'state' | 'keypoints' }`. */
  open(body: unknown): SimStep {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const seed = b.seed ?? 100000;
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw bad(
        'seed',
        'an integer in [0, 2^32)',
        `seed: expected an integer in [0, 2^32), got ${JSON.stringify(seed)}`,
      );
    }
    const observation = b.observation ?? 'state';
    if (observation !== 'state' && observation !== 'keypoints') {
      throw bad(
        'observation',
        "'state' or 'keypoints'",
        `observation: expected 'state' or 'keypoints', got ${JSON.stringify(observation)}`,
      );
    }
    if (this.episodes.size >= MAX_SIM_EPISODES) {
      const oldest = this.episodes.keys().next().value as string;
      this.episodes.delete(oldest);
    }
    const env = new PushTEnv({ observation, legacy: true });
    const obs = env.reset(seed);
    const id = `ep${++this.counter}`;
    this.episodes.set(id, { env, step: 0, maxReward: 0, done: false });
    return {
      id,
      step: 0,
      observation: Array.from(obs),
      reward: 0,
      maxReward: 0,
      coverage: env.coverage(),
      terminated: false,
      truncated: false,
    };
  }

  /** Steps an episode towards body `{ action: [x, y] }` (pixels). A finished episode is an error. */
  step(id: string, body: unknown): SimStep {
    const ep = this.episodes.get(id);
    if (!ep) {
      throw new RequestError(
        404,
        'unknown-episode',
        'id',
        'an id from POST /sim/pusht/episodes',
        `episode '${id}' is not open`,
      );
    }
    const action = (body as { action?: unknown } | null)?.action;
    if (
      !Array.isArray(action) ||
      action.length !== 2 ||
      !action.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      throw bad(
        'action',
        '[x, y]: 2 finite numbers (pixels)',
        `action: expected [x, y], 2 finite numbers, got ${JSON.stringify(action)}`,
      );
    }
    if (ep.done) {
      throw bad('id', 'an episode that has not ended', `episode '${id}' has ended; open a new one`);
    }
    const r = ep.env.step(action as number[]);
    ep.step++;
    ep.maxReward = Math.max(ep.maxReward, r.reward);
    ep.done = r.terminated || r.truncated;
    return {
      id,
      step: ep.step,
      observation: Array.from(r.observation),
      reward: r.reward,
      maxReward: ep.maxReward,
      coverage: r.coverage,
      terminated: r.terminated,
      truncated: r.truncated,
    };
  }

  /** Forgets an episode; false when it was not open. */
  close(id: string): boolean {
    return this.episodes.delete(id);
  }
}
