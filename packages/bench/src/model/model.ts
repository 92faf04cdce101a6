// model/ owns the trained model: network + observation encoder built from a config, saved and loaded, teachers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createEncoder,
  createNetwork,
  FlowMap,
  loadWeightsInto,
  type Network,
  type ObsEncoder,
  saveWeights,
  type WeightsManifest,
} from '@mipjs/nets';
import type * as tf from '@tensorflow/tfjs';
import { ConfigError, type RunConfig, validateRunConfig } from '../config/config.js';
import { readJsonFile } from '../io/io.js';
import { pluginEncoder, pluginNetwork } from '../plugins/plugins.js';
import type { Task } from '../tasks/task.js';

/** A policy: the network, its flow map, and the observation encoder trained with it. */
export interface Model {
  readonly network: Network;
  readonly flowMap: FlowMap;
  /** The observation encoder (null for tasks without observations). */
  readonly encoder: ObsEncoder | null;
  /** Every variable: the network's, then the encoder's. */
  readonly variables: readonly tf.Variable[];
  /** Observations `[B, To, D]` (or null) -> condition `[B, To, E]` (or null). */
  encode(obs: tf.Tensor3D | null, training: boolean, dropoutSeed?: number): tf.Tensor3D | null;
  dispose(): void;
}

/** Folder names of a model's weights (each a @mipjs/nets `saveWeights` directory). */
export const MODEL_PARTS = { network: 'network', encoder: 'encoder' } as const;

/**
 * The encoder as the weights I/O and `Ema` of @mipjs/nets see a network: they read only `kind`,
 * `config`, `variables` and `namedVariables`, which an `ObsEncoder` has too.
 */
export function encoderAsWeights(encoder: ObsEncoder): Network {
  return encoder as unknown as Network;
}

/** Width E of the condition the network reads: the encoder's output, or the raw observation. */
function encoderFor(config: RunConfig, task: Task): ObsEncoder | null {
  if (task.obsSteps === 0 || task.obsDim === 0) return null;
  const embDim =
    (config.encoderOptions.embDim as number | undefined) ??
    (config.networkOptions.embDim as number | undefined) ??
    256;
  try {
    const options = {
      ...config.encoderOptions,
      embDim,
      obsDim: task.obsDim,
      obsSteps: task.obsSteps,
      seed: config.seed + 1,
    };
    // A package encoder (--encoder-package, loaded by openTask) or a built-in one.
    return pluginEncoder(config.encoder)?.create(options) ?? createEncoder(config.encoder, options);
  } catch (error) {
    throw new ConfigError(`invalid encoder options for '${config.encoder}': ${(error as Error).message}`);
  }
}

/**
 * The network shape of a task. Tasks without observations (checkerboard) still give the
 * network a one-step, one-wide condition slot and pass `cond = null` (read as zeros).
 */
export function networkShape(
  task: Task,
  condDim = task.obsDim,
): {
  horizon: number;
  actDim: number;
  obsSteps: number;
  condDim: number;
} {
  return {
    horizon: task.horizon,
    actDim: task.actDim,
    obsSteps: Math.max(1, task.obsSteps),
    condDim: Math.max(1, condDim),
  };
}

/**
 * Builds the model of a config for a task: the observation encoder (`config.encoder`; the
 * identity encoder passes observations through, so the condition width is the observation
 * width) and the network conditioned on its output. Weights are seeded by the run seed (same
 * seed, same initial weights).
 */
export function buildModel(config: RunConfig, task: Task): Model {
  const encoder = encoderFor(config, task);
  let network: Network;
  try {
    const options = {
      ...config.networkOptions,
      ...networkShape(task, encoder?.embDim ?? task.obsDim),
      seed: config.seed,
    };
    // A package network (--network-package, loaded by openTask) or a built-in one.
    network = pluginNetwork(config.network)?.create(options) ?? createNetwork(config.network, options);
  } catch (error) {
    encoder?.dispose();
    throw new ConfigError(`invalid network options for '${config.network}': ${(error as Error).message}`);
  }
  const flowMap = new FlowMap(network);
  return {
    network,
    flowMap,
    encoder,
    variables: [...network.variables, ...(encoder?.variables ?? [])],
    encode: (obs, training, dropoutSeed) =>
      obs && encoder ? encoder.encode(obs, { training, dropoutSeed }) : obs,
    dispose: () => {
      network.dispose();
      encoder?.dispose();
    },
  };
}

/** Saves a model's weights into `dir` (`network/` and, with an encoder, `encoder/`). */
export async function saveModel(model: Model, dir: string): Promise<void> {
  await saveWeights(model.network, join(dir, MODEL_PARTS.network));
  if (model.encoder) await saveWeights(encoderAsWeights(model.encoder), join(dir, MODEL_PARTS.encoder));
}

/** Loads weights saved by {@link saveModel} into a model of the same architecture. */
export async function loadModelInto(model: Model, dir: string): Promise<void> {
  try {
    await loadWeightsInto(model.network, join(dir, MODEL_PARTS.network));
    if (model.encoder) await loadWeightsInto(encoderAsWeights(model.encoder), join(dir, MODEL_PARTS.encoder));
  } catch (error) {
    throw new ConfigError(`cannot load the weights in ${dir}: ${(error as Error).message}`);
  }
}

/** Builds the model of `config` and loads weights saved by {@link saveModel}. */
export async function loadModel(dir: string, config: RunConfig, task: Task): Promise<Model> {
  const model = buildModel(config, task);
  try {
    await loadModelInto(model, dir);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/**
 * A frozen flow-matching teacher with its own observation encoder (ctm / lmd).
 *
 * The teacher was trained with its encoder, so its velocity is only meaningful on its own
 * encoding of the observations: b^teacher_t(x | E_teacher(obs)). The student learns its own
 * encoder E_student; the loss passes the student's condition, which the teacher ignores. (The
 * reference never wires a teacher into its agent, spec §12.5, so there is no reference choice.)
 *
 * ```ts
 * const teacher = await loadTeacher('runs/flow', task);
 * const ctx = { flowMap: student.flowMap, teacher: teacher.on(obs), ... }; // obs [B, To, D], raw
 * ```
 */
export interface Teacher {
  /** The teacher's flow map on the condition it is given (tasks without observations). */
  readonly flowMap: FlowMap;
  /**
   * The teacher for one batch of raw observations `[B, To, D]`: its flow map reading its own
   * frozen encoding of `obs` (eval mode, no dropout) in place of the condition the loss passes.
   * The tensors it makes belong to the caller's tidy scope.
   */
  on(obs: tf.Tensor3D | null): FlowMap;
  dispose(): void;
}

/**
 * A flow map over the same network that reads `cond` whatever condition it is called with, so a
 * loss that passes the student's encoding still queries the teacher on the teacher's own.
 */
export function conditionedFlowMap(flowMap: FlowMap, cond: tf.Tensor3D | null): FlowMap {
  const net = flowMap.net;
  const bound: Network = Object.create(net, {
    apply: {
      value: (x: tf.Tensor3D, s: tf.Tensor1D, t: tf.Tensor1D, _c: unknown, o?: unknown) =>
        net.apply(x, s, t, cond, o as Parameters<Network['apply']>[4]),
    },
    ...(net.applyWithTangent
      ? {
          applyWithTangent: {
            value: (...args: Parameters<NonNullable<Network['applyWithTangent']>>) =>
              net.applyWithTangent!(args[0], args[1], args[2], cond, args[4], args[5]),
          },
        }
      : {}),
  });
  return new FlowMap(bound, { jvpMode: flowMap.jvpMode });
}

/** A teacher whose velocity reads the condition the loss passes (a bare flow map: perf, tests). */
export function teacherOfFlowMap(flowMap: FlowMap, dispose: () => void = () => {}): Teacher {
  return { flowMap, on: () => flowMap, dispose };
}

/**
 * Loads a flow-matching teacher from a run folder (its EMA weights: network and, when it learned
 * one, its observation encoder). The teacher's network must fit the task (same horizon, action
 * and observation sizes); anything else is a clear error. Its encoder may differ from the
 * student's: {@link Teacher.on} encodes the observations with the teacher's own.
 */
export async function loadTeacher(path: string, task: Task): Promise<Teacher> {
  const runDir = existsSync(join(path, 'checkpoint')) ? path : join(path, '..');
  const configPath = join(runDir, 'config.json');
  const weights = join(runDir, 'checkpoint', 'ema');
  const manifestPath = join(weights, MODEL_PARTS.network, 'manifest.json');
  if (!existsSync(configPath) || !existsSync(manifestPath)) {
    throw new ConfigError(
      `teacher ${path} is not a run folder with a checkpoint (config.json + checkpoint/ema/network)`,
    );
  }
  const config = validateRunConfig(readJsonFile(configPath, 'a run config'), { file: configPath });
  const saved = ((readJsonFile(manifestPath, 'a weights manifest') as WeightsManifest | null)?.config ??
    {}) as Record<'horizon' | 'actDim' | 'obsSteps' | 'condDim', number>;
  // The condition width is the teacher's encoder output (its own embDim), not the task's.
  const teacherEncoder = encoderFor(config, task);
  const want = networkShape(task, teacherEncoder?.embDim ?? task.obsDim);
  teacherEncoder?.dispose();
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
  const model = await loadModel(weights, config, task);
  return {
    flowMap: model.flowMap,
    on: (obs) =>
      obs && model.encoder ? conditionedFlowMap(model.flowMap, model.encode(obs, false)) : model.flowMap,
    dispose: () => model.dispose(),
  };
}
