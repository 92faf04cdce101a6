import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetwork, FlowMap, type Network } from '@mipjs/nets';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, type RunConfig, validateRunConfig } from './config.js';
import { writeJsonAtomic } from './io.js';
import type { Task } from './task.js';
import { type NamedArray, readTensorStore, writeTensorStore } from './tensor-store.js';

/** A policy network with its observation encoding. */
export interface Model {
  readonly network: Network;
  readonly flowMap: FlowMap;
  /** Every variable (network, then encoder), trainable ones first within each. */
  readonly variables: readonly tf.Variable[];
  /** Observations `[B, To, D]` (or null) -> condition `[B, To, E]` (or null). */
  encode(obs: tf.Tensor3D | null, training: boolean): tf.Tensor3D | null;
  dispose(): void;
}

/**
 * The network shape of a task. Tasks without observations (checkerboard) still give the
 * network a one-step, one-wide condition slot and pass `cond = null` (read as zeros).
 */
export function networkShape(task: Task): {
  horizon: number;
  actDim: number;
  obsSteps: number;
  condDim: number;
} {
  return {
    horizon: task.horizon,
    actDim: task.actDim,
    obsSteps: Math.max(1, task.obsSteps),
    condDim: Math.max(1, task.obsDim),
  };
}

/**
 * Builds the model of a config for a task. The identity encoder passes observations through
 * (the network's condition width is the observation width). Weights are seeded by the run seed
 * (same seed, same initial weights).
 */
export function buildModel(config: RunConfig, task: Task, _role: 'model' | 'ema' | 'teacher'): Model {
  let network: Network;
  try {
    network = createNetwork(config.network, {
      ...config.networkOptions,
      ...networkShape(task),
      seed: config.seed,
    });
  } catch (error) {
    throw new ConfigError(`invalid network options for '${config.network}': ${(error as Error).message}`);
  }
  const flowMap = new FlowMap(network);
  return {
    network,
    flowMap,
    variables: network.variables,
    encode: (obs) => obs,
    dispose: () => network.dispose(),
  };
}

/** The model's variables as named arrays (`<prefix>/<index>`). */
export function modelArrays(model: Model, prefix: string): NamedArray[] {
  return model.variables.map((v, i) => ({
    name: `${prefix}/${i}`,
    shape: [...v.shape],
    data: Float32Array.from(v.dataSync() as Float32Array),
  }));
}

/** Assigns the arrays saved by {@link modelArrays}; a shape mismatch names the variable. */
export function restoreModelArrays(
  model: Model,
  arrays: ReadonlyMap<string, NamedArray>,
  prefix: string,
): void {
  const wanted = model.variables.length;
  const have = [...arrays.keys()].filter((k) => k.startsWith(`${prefix}/`)).length;
  if (have !== wanted) {
    throw new ConfigError(
      `saved weights hold ${have} tensors, the model has ${wanted}: different architecture`,
    );
  }
  model.variables.forEach((v, i) => {
    const a = arrays.get(`${prefix}/${i}`)!;
    if (a.shape.length !== v.shape.length || a.shape.some((d, k) => d !== v.shape[k])) {
      throw new ConfigError(
        `saved weight ${i} has shape [${a.shape.join(', ')}], the model's has [${v.shape.join(', ')}]: different architecture`,
      );
    }
    const t = tf.tensor(a.data, a.shape);
    v.assign(t);
    t.dispose();
  });
}

/** Writes a model's weights (with the config that rebuilds it) into `dir`. */
export async function saveModelWeights(model: Model, dir: string): Promise<void> {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeTensorStore(dir, 'weights', modelArrays(model, 'w'));
  writeJsonAtomic(join(dir, 'network.json'), {
    kind: model.network.kind,
    config: model.network.config,
    horizon: model.network.horizon,
    actDim: model.network.actDim,
    obsSteps: model.network.obsSteps,
    condDim: model.network.condDim,
  });
}

/** Builds the model of `config` and loads weights saved by {@link saveModelWeights}. */
export function loadModelWeights(dir: string, config: RunConfig, task: Task): Model {
  const model = buildModel(config, task, 'ema');
  try {
    restoreModelArrays(model, readTensorStore(dir, 'weights'), 'w');
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** A frozen teacher velocity. */
export interface Teacher {
  flowMap: FlowMap;
  dispose(): void;
}

/**
 * Loads a flow-matching teacher from a run folder (its EMA weights). The teacher's network must
 * fit the task (same horizon, action and condition sizes); anything else is a clear error.
 */
export function loadTeacher(path: string, task: Task): Teacher {
  const runDir = existsSync(join(path, 'checkpoint')) ? path : join(path, '..');
  const configPath = join(runDir, 'config.json');
  const weights = join(runDir, 'checkpoint', 'ema-weights');
  if (!existsSync(configPath) || !existsSync(join(weights, 'weights.json'))) {
    throw new ConfigError(
      `teacher ${path} is not a run folder with a checkpoint (config.json + checkpoint/ema-weights)`,
    );
  }
  const config = validateRunConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  const saved = JSON.parse(readFileSync(join(weights, 'network.json'), 'utf8')) as {
    horizon: number;
    actDim: number;
    obsSteps: number;
    condDim: number;
  };
  const want = networkShape(task);
  const diffs = (['horizon', 'actDim', 'obsSteps', 'condDim'] as const)
    .filter((k) => saved[k] !== want[k])
    .map((k) => `${k} ${saved[k]} (task needs ${want[k]})`);
  if (diffs.length > 0) {
    throw new ConfigError(`teacher ${path} has the wrong shape for task '${task.name}': ${diffs.join(', ')}`);
  }
  if (config.algorithm !== 'flow') {
    throw new ConfigError(
      `teacher ${path} was trained with '${config.algorithm}'; a teacher must be a 'flow' run`,
    );
  }
  const model = loadModelWeights(weights, config, task);
  return { flowMap: model.flowMap, dispose: () => model.dispose() };
}
