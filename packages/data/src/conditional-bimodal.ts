import { createRng } from './rng.js';
import type { TensorData } from './tensor-data.js';

/** Options of {@link sampleConditionalBimodal}. */
export interface ConditionalBimodalOptions {
  seed: number;
  /** Standard deviation of the Gaussian noise around each mode. Default 0.05. */
  noise?: number;
}

/**
 * Mode centre for condition c in [-1, 1] and sign s = ±1: `[0.5 c, s (0.5 + 0.25 c)]`. The two modes
 * are at least 0.5 apart for every c, and their mean `[0.5 c, 0]` lies on neither, so a regression
 * (mean-predicting) policy scores badly while a generative one can put its samples on the modes.
 */
export function bimodalModeCenter(c: number, sign: 1 | -1): [number, number] {
  return [0.5 * c, sign * (0.5 + 0.25 * c)];
}

/**
 * A conditional bimodal 2-D task: c ~ U[-1, 1], a fair coin picks the mode, action = mode centre +
 * noise. Returns conditions `[n, 1]`, actions `[n, 2]` and the sign of each sample's mode.
 */
export function sampleConditionalBimodal(
  n: number,
  options: ConditionalBimodalOptions,
): { condition: TensorData; action: TensorData; mode: Int8Array } {
  const rng = createRng(options.seed);
  const noise = options.noise ?? 0.05;
  const condition = new Float32Array(n);
  const action = new Float32Array(2 * n);
  const mode = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const c = 2 * rng.uniform() - 1;
    const s: 1 | -1 = rng.uniform() < 0.5 ? 1 : -1;
    const [x, y] = bimodalModeCenter(c, s);
    condition[i] = c;
    action[2 * i] = x + noise * rng.normal();
    action[2 * i + 1] = y + noise * rng.normal();
    mode[i] = s;
  }
  return { condition: { data: condition, shape: [n, 1] }, action: { data: action, shape: [n, 2] }, mode };
}

/**
 * Evaluation of predicted actions `[N, 2]` at conditions `[N]`: mean distance to the nearest mode
 * centre, and the fraction of predictions nearer the + mode (0.5 for a policy that keeps both modes,
 * 0 or 1 for one that collapsed).
 */
export function bimodalMetrics(
  conditions: ArrayLike<number>,
  actions: ArrayLike<number>,
): { meanNearestModeDistance: number; positiveModeFraction: number } {
  const n = conditions.length;
  if (actions.length !== 2 * n || n === 0)
    throw new RangeError(`bimodalMetrics: need ${2 * n} action values for ${n} conditions`);
  let dist = 0;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const c = conditions[i]!;
    const [px, py] = bimodalModeCenter(c, 1);
    const [mx, my] = bimodalModeCenter(c, -1);
    const dp = Math.hypot(actions[2 * i]! - px, actions[2 * i + 1]! - py);
    const dm = Math.hypot(actions[2 * i]! - mx, actions[2 * i + 1]! - my);
    dist += Math.min(dp, dm);
    if (dp < dm) pos++;
  }
  return { meanNearestModeDistance: dist / n, positiveModeFraction: pos / n };
}
