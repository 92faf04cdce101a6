// perf/eval.ts: the cost of a closed-loop evaluation, split into the policy's time and the environment's.
import type { Policy } from '@mipjs/policy';
import { evaluatePushT } from '../evaluate/closed-loop.js';

/** Options of {@link timeClosedLoop}. */
export interface ClosedLoopTimingOptions {
  /** Environments stepped together as one batch (the policy acts on all of them at once). */
  episodes: number;
  /** Control steps per episode; default the environment's limit (300). */
  maxSteps?: number;
  /** NFE of every chunk; default the policy's (mip: 2). */
  nfe?: number;
}

/** Where the wall time of one closed-loop evaluation went. */
export interface ClosedLoopTiming {
  episodes: number;
  /** Control steps the batch took (fewer than maxSteps when every episode succeeded early). */
  steps: number;
  /** Chunks the policy produced (one `act` over the whole batch each). */
  chunks: number;
  /** Wall time of the control loop, ms. */
  wallMs: number;
  /** Σ over chunks of the wall time of `policy.act` (normalize, sample, unnormalize), ms. */
  policyMs: number;
  /** wallMs − policyMs: physics, observations, rewards and the receding-horizon bookkeeping, ms. */
  envMs: number;
  /** Wall time of each chunk, ms, in order. */
  chunkMs: number[];
  /** The evaluation's score (mean over episodes of the best reward), to show the policy did its job. */
  meanMaxReward: number;
  successRate: number;
}

/**
 * Times a PushT closed-loop evaluation ({@link evaluatePushT}, the bench's own, unchanged) of
 * `policy`, and splits its wall time in two:
 *
 *   policyMs = Σ_k t(act_k),   envMs = wallMs − policyMs,
 *
 * where act_k is the k-th chunk over the whole batch. The policy is wrapped, not changed: the
 * wrapper forwards every read to it and only clocks `act`, so the score equals an untimed run's.
 *
 * ```ts
 * const policy = await loadPolicyFromRun('apps/playground/public/policies/mip');
 * const t = await timeClosedLoop(policy, { episodes: 50 }); // 2 NFE, seeds 100000 … 100049
 * console.log(t.policyMs, t.envMs, t.steps);
 * ```
 */
export async function timeClosedLoop(policy: Policy, o: ClosedLoopTimingOptions): Promise<ClosedLoopTiming> {
  const chunkMs: number[] = [];
  // A view of the policy with a clocked act: its getters read the real policy's fields through
  // the prototype chain (Policy keeps no #private state), so nothing else changes. The
  // evaluation reads chunks with actAsync (closed-loop.ts), so that is the one clocked.
  const timed = Object.create(policy) as Policy;
  timed.actAsync = async (obs, opts) => {
    const t0 = performance.now();
    const chunk = await policy.actAsync(obs, opts);
    chunkMs.push(performance.now() - t0);
    return chunk;
  };
  let steps = 0;
  const t0 = performance.now();
  const r = await evaluatePushT(timed, {
    episodes: o.episodes,
    maxSteps: o.maxSteps,
    nfe: o.nfe,
    onStep: (step) => {
      steps = step;
    },
  });
  const wallMs = performance.now() - t0;
  const policyMs = chunkMs.reduce((a, b) => a + b, 0);
  return {
    episodes: o.episodes,
    steps,
    chunks: chunkMs.length,
    wallMs,
    policyMs,
    envMs: wallMs - policyMs,
    chunkMs,
    meanMaxReward: r.meanMaxReward,
    successRate: r.successRate,
  };
}
