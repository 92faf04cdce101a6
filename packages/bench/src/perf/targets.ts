import type { PerfRow } from './stats.js';

/** A target of issue 8, checked (never asserted) against a row. */
export interface Target {
  /** Shown in the table, e.g. `<= 1.5x`. */
  text: string;
  met: boolean;
}

/**
 * The targets the perf command reports against:
 * - a W512 MLP flow train step within 2x of PyTorch (row `vs-pytorch/train/mlp-w512/flow`);
 * - a JVP-loss step (lsd, esd, mf) at most 1.5x a flow step (rows `train-ratio/.../<alg>-vs-flow`);
 * - mip chunk latency at batch 1 with the default MLP at most 1 ms on wasm;
 * - numTensors flat over the memory run (max - min = 0);
 * - two sweep workers at least 1.8x the throughput of one, on the local pool and on the queue;
 * - the queue's overhead per run against the local pool under 50 ms (issue 18).
 */
export function targetOf(row: PerfRow): Target | null {
  const { name, median } = row;
  if (name === 'vs-pytorch/train/mlp-w512/flow') return { text: '<= 2x', met: median <= 2 };
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
