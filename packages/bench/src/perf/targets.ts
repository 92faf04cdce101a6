import type { PerfRow } from './stats.js';

/** A target of issues 8 and 21, checked (never asserted) against a row. */
export interface Target {
  /** Shown in the table, e.g. `<= 1.5x`. */
  text: string;
  met: boolean;
  /** Set when the row cannot be judged (e.g. its PyTorch peer ran on a busy machine): why. */
  notJudged?: string;
}

/** A target's table cell: `<= 1.2x met`, `<= 1.2x NOT met` or `<= 1.2x not judged (why)`. */
export function targetCell(t: Target, notMet = 'NOT met'): string {
  return t.notJudged ? `${t.text} not judged (${t.notJudged})` : `${t.text} ${t.met ? 'met' : notMet}`;
}

/** Algorithms held to the tighter PyTorch target (issue 21): the ones the paper leans on most. */
export const TIGHT_PYTORCH_ALGORITHMS = ['flow', 'mip'];

/**
 * The targets the perf command reports against:
 * - every train step on threaded wasm (`wasm-Nt`) against PyTorch on as many threads
 *   (rows `vs-pytorch/train/<network>/<alg>`): at most 1.2x for flow and mip, 1.5x for the rest,
 *   JVP losses included (issue 21);
 * - a JVP-loss step (lsd, esd, mf) at most 1.5x a flow step (rows `train-ratio/.../<alg>-vs-flow`);
 * - mip chunk latency at batch 1 with the default MLP at most 1 ms on wasm;
 * - numTensors flat over the memory run (max - min = 0);
 * - two sweep workers at least 1.8x the throughput of one, on the local pool and on the queue;
 * - the queue's overhead per run against the local pool under 50 ms (issue 18).
 */
export function targetOf(row: PerfRow): Target | null {
  const { name, median } = row;
  const vs = /^vs-pytorch\/train\/[^/]+\/([^/]+)$/.exec(name);
  if (vs && /^wasm-\d+t$/.test(row.backend)) {
    const limit = TIGHT_PYTORCH_ALGORITHMS.includes(vs[1]) ? 1.2 : 1.5;
    const loaded = row.note?.includes('LOADED')
      ? "PyTorch's threads were no faster than one (busy or non-scaling cores)"
      : undefined;
    return { text: `<= ${limit}x`, met: median <= limit, ...(loaded ? { notJudged: loaded } : {}) };
  }
  if (/^train-ratio\/.*\/(lsd|esd|mf)-vs-flow$/.test(name)) return { text: '<= 1.5x', met: median <= 1.5 };
  if (name === 'sample/mlp-w512/mip-2nfe' && row.backend.startsWith('wasm'))
    return { text: '<= 1 ms', met: median <= 1 };
  if (name.startsWith('memory/') && name.endsWith('/numTensors'))
    return { text: 'flat', met: row.max === row.min };
  if (name === 'sweep/speedup-2-vs-1' || name === 'sweep/queue-speedup-2-vs-1')
    return { text: '>= 1.8x', met: median >= 1.8 };
  if (name === 'sweep/queue-overhead-per-job') return { text: '< 50 ms', met: median < 50 };
  return null;
}
