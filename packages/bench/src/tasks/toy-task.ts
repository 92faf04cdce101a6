// tasks/toy-task.ts: the toy study's regression tasks (recon, proj, lie; spec §11) as bench tasks.
import {
  boundaryPoints,
  createLieTask,
  createProjectionTask,
  createReconTask,
  intervalPoints,
  type LieTask,
  l1Error,
  l2Error,
  lieMetrics,
  PROJECTION_INTERVALS,
  type ProjectionTask,
  projectionMetrics,
  type ToyTask,
  toyGrid,
} from '@mipjs/data';
import { mixSeed, type PolicySampler, type Task } from './task.js';

/** Training points of every toy task (the study's `linspace(0, 1, 50)`). */
export const TOY_TRAIN_POINTS = 50;

/**
 * A toy regression task (recon / proj / lie, spec §11): condition c in [0, 1] (To 1, D 1),
 * horizon 1, the 50 grid points `toyGrid(50)` as training data (batch element i of step k is
 * point `mixSeed(seed, k B + i) mod 50`), and the study's metrics on `toyGrid(n)`: l1 / l2 error,
 * proj's subspace and boundary metrics, lie's cosine and perpendicular errors.
 *
 * ```ts
 * const task = toyTask('recon', 'toy recon');
 * const { action, obs } = task.trainBatch(0, 0, 32); // 32 targets and their conditions
 * ```
 */
export function toyTask(name: 'recon' | 'proj' | 'lie', description: string): Task {
  const toy: ToyTask =
    name === 'recon' ? createReconTask() : name === 'proj' ? createProjectionTask() : createLieTask();
  const train = toyGrid(TOY_TRAIN_POINTS);
  const targets = Array.from(train, (c) => toy.target(c));
  return {
    name,
    description,
    horizon: 1,
    actDim: toy.dim,
    obsSteps: 1,
    obsDim: 1,
    trainBatch(seed, index, batchSize) {
      const action = new Float32Array(batchSize * toy.dim);
      const obs = new Float32Array(batchSize);
      for (let i = 0; i < batchSize; i++) {
        const k = mixSeed(seed, index * batchSize + i, 0x70e) % train.length;
        obs[i] = train[k];
        action.set(targets[k], i * toy.dim);
      }
      return { action, obs };
    },
    async evaluate(policy, nfe, seed, n) {
      const cs = toyGrid(n);
      const pred = await policy(Float32Array.from(cs), n, nfe, seed);
      const truth = new Float32Array(n * toy.dim);
      for (let i = 0; i < n; i++) truth.set(toy.target(cs[i]), i * toy.dim);
      const metrics: Record<string, number> = {
        l1_error: l1Error(pred, truth),
        l2_error: l2Error(pred, truth),
      };
      if (name === 'proj') {
        const pm = projectionMetrics(
          toy as ProjectionTask,
          await batchedPredictor(policy, toy.dim, nfe, seed),
        );
        Object.assign(metrics, {
          subspaceDiag: pm.subspaceDiag,
          subspaceOffDiag: pm.subspaceOffDiag,
          boundary: pm.boundary,
        });
      } else if (name === 'lie') {
        const lm = lieMetrics(toy as LieTask, cs, pred);
        Object.assign(metrics, {
          avgCosSimilarity: lm.avgCosSimilarity,
          minCosSimilarity: lm.minCosSimilarity,
          avgPerpError: lm.avgPerpError,
          maxPerpError: lm.maxPerpError,
        });
      }
      return { metrics };
    },
  };
}

/**
 * The conditions `projectionMetrics` asks about (20 points inside each of the 10 intervals, 20
 * around each of the 9 boundaries), predicted in ONE policy call, as the `predict(c)` it takes.
 *
 * Why: asked one condition at a time, the 380 conditions cost 380 sampler calls per NFE (3,420
 * network calls of batch 1 at NFE 9), the larger part of a 600-step proj run's evaluation. In one
 * batch every condition draws its own start (the study draws each metric point's x0 from its
 * training distribution); one at a time, every condition reused the first draw of the seed.
 */
export async function batchedPredictor(
  policy: PolicySampler,
  dim: number,
  nfe: number,
  seed: number,
): Promise<(c: number) => Float32Array> {
  const cs: number[] = [];
  for (let i = 0; i < PROJECTION_INTERVALS; i++) cs.push(...intervalPoints(i));
  for (let i = 1; i < PROJECTION_INTERVALS; i++) cs.push(...boundaryPoints(i));
  const pred = await policy(Float32Array.from(cs), cs.length, nfe, seed);
  const at = new Map<number, Float32Array>();
  cs.forEach((c, k) => at.set(c, pred.subarray(k * dim, (k + 1) * dim)));
  return (c) => {
    const p = at.get(c);
    if (!p) throw new Error(`proj metrics: condition ${c} was not among the batched conditions`);
    return p;
  };
}
