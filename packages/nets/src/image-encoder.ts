import * as tf from '@tensorflow/tfjs-core';
import type { EncodeOptions, EncoderOptions, ObsEncoder } from './encoders.js';
import { leakyRelu } from './layers/activations.js';
import { Dense } from './layers/dense.js';
import { InitRandom, mixSeed } from './layers/init.js';
import { drawSeed, type NamedVariable, VariableStore } from './layers/module.js';
import { RESNET18_BLOCKS, RESNET18_WIDTHS, ResNet } from './resnet.js';

/** Options of {@link MultiImageObsEncoder} (beyond obsDim, obsSteps, embDim, dropout, seed). */
export interface ImageEncoderOptions extends EncoderOptions {
  /** One camera's frame `[H, W, C]` (PushT: `[96, 96, 3]`). Required. */
  imageShape?: readonly number[];
  /** Cameras, each a frame of `imageShape` (default 1). */
  cameras?: number;
  /** Crop `[h, w]` (PushT: `[84, 84]`; default: the whole frame, no crop). */
  cropShape?: readonly number[];
  /** Random crop in training (default true); evaluation always takes the centre crop. */
  randomCrop?: boolean;
  /** ResNet stage widths (default ResNet-18's `[64, 128, 256, 512]`; small ones for tests). */
  widths?: readonly number[];
  /** Basic blocks per stage (default `[2, 2, 2, 2]`). */
  blocks?: readonly number[];
  /** Channels per GroupNorm group (default 16). */
  groupChannels?: number;
}

/** The PushT image task's layout: one 96 x 96 RGB camera cropped to 84 x 84, then agent_pos. */
export const PUSHT_IMAGE_ENCODER = { imageShape: [96, 96, 3], cropShape: [84, 84] } as const;

function positiveInts(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => Number.isInteger(x) && x > 0);
}

/**
 * The reference's `MultiImageObsEncoder` (spec §5.10) on flat observation rows: each step of
 * `obs: [B, To, D]` is `cameras` frames `[H, W, C]` (HWC, row-major, already normalised; the
 * reference feeds `[-1, 1]`) followed by the low-dimensional keys (`D - cameras H W C` values,
 * e.g. PushT's normalised agent position). Steps are folded into the batch (`B To` images),
 *
 *   crop (random in training, centre in evaluation; `floor((H - h) / 2)` as robomimic's
 *   CropRandomizer) -> one ResNet-18 per camera (from scratch, GroupNorm with C/16 groups,
 *   global average pool, 512 features) -> concat [features of each camera, low-dim keys] (F wide)
 *   -> Linear(F, E) -> LeakyReLU -> Linear(E, E) -> [B, To, E],
 *
 * then the per-sample condition dropout of every encoder. Crop offsets are drawn per image from
 * the call's seed (`dropoutSeed`), so a seeded training step is reproducible. The projection has
 * PyTorch's default Linear init. Parameters at the PushT config (one camera, low-dim 2, E = 512):
 * 11,176,512 (ResNet-18 trunk) + 263,680 + 262,656 = 11,702,848.
 *
 * Encoder parameters train with the policy network and are covered by its EMA like any encoder's.
 *
 * @example
 * ```ts
 * const encoder = createEncoder('image', {
 *   obsDim: 96 * 96 * 3 + 2, obsSteps: 2, embDim: 256, imageShape: [96, 96, 3], cropShape: [84, 84],
 * });
 * const cond = encoder.encode(obs, { training: true, dropoutSeed: step }); // [B, 2, 256]
 * ```
 */
export class MultiImageObsEncoder implements ObsEncoder {
  readonly kind = 'image';
  readonly config: Readonly<Record<string, unknown>>;
  readonly obsSteps: number;
  readonly obsDim: number;
  readonly embDim: number;
  readonly dropout: number;
  readonly imageShape: readonly [number, number, number];
  readonly cameras: number;
  readonly cropShape: readonly [number, number];
  /** Low-dimensional values after the frames of each step. */
  readonly lowDim: number;
  readonly randomCrop: boolean;
  private readonly store: VariableStore;
  private readonly trunks: ResNet[] = [];
  private readonly project: [Dense, Dense];

  constructor(o: ImageEncoderOptions) {
    const fail = (key: string, want: string, got: unknown) => {
      throw new Error(`image encoder: option ${key} must be ${want}, got ${JSON.stringify(got)}`);
    };
    for (const key of ['obsDim', 'obsSteps', 'embDim'] as const)
      if (!Number.isInteger(o[key]) || (o[key] as number) <= 0) fail(key, 'a positive integer', o[key]);
    if (!positiveInts(o.imageShape, 3)) fail('imageShape', '[H, W, C] of positive integers', o.imageShape);
    const [H, W, C] = o.imageShape as number[];
    const crop = o.cropShape ?? [H, W];
    if (!positiveInts(crop, 2) || crop[0]! > H! || crop[1]! > W!)
      fail('cropShape', `[h, w] of positive integers no larger than the frame ${H} x ${W}`, crop);
    const cameras = o.cameras ?? 1;
    if (!Number.isInteger(cameras) || cameras <= 0) fail('cameras', 'a positive integer', cameras);
    const lowDim = o.obsDim - cameras * H! * W! * C!;
    if (lowDim < 0)
      fail(
        'obsDim',
        `at least cameras x H x W x C = ${cameras * H! * W! * C!} (the frames of one step)`,
        o.obsDim,
      );
    const dropout = o.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1)) fail('dropout', 'in [0, 1)', dropout);
    this.obsDim = o.obsDim;
    this.obsSteps = o.obsSteps;
    this.embDim = o.embDim as number;
    this.dropout = dropout;
    this.imageShape = [H!, W!, C!];
    this.cameras = cameras;
    this.cropShape = [crop[0]!, crop[1]!];
    this.lowDim = lowDim;
    this.randomCrop = o.randomCrop ?? true;
    const widths = o.widths ?? RESNET18_WIDTHS;
    const blocks = o.blocks ?? RESNET18_BLOCKS;
    const groupChannels = o.groupChannels ?? 16;
    this.config = {
      kind: 'image',
      obsDim: o.obsDim,
      obsSteps: o.obsSteps,
      embDim: this.embDim,
      imageShape: [...this.imageShape],
      cameras,
      cropShape: [...this.cropShape],
      randomCrop: this.randomCrop,
      widths: [...widths],
      blocks: [...blocks],
      groupChannels,
      dropout,
      seed: o.seed ?? 0,
    };
    this.store = new VariableStore(o.seed ?? 0);
    const root = this.store.root();
    try {
      for (let c = 0; c < cameras; c++)
        this.trunks.push(
          new ResNet(root.child(`cameras.${c}`), { inChannels: C, widths, blocks, groupChannels }),
        );
      const features = cameras * this.trunks[0]!.outDim + lowDim;
      this.project = [
        new Dense(root.child('projection.0'), features, this.embDim),
        new Dense(root.child('projection.2'), this.embDim, this.embDim),
      ];
    } catch (error) {
      this.store.dispose();
      throw new Error(`image encoder: ${(error as Error).message}`);
    }
  }

  get variables(): tf.Variable[] {
    return this.store.variables;
  }

  get namedVariables(): readonly NamedVariable[] {
    return this.store.namedVariables;
  }

  /**
   * Crop offsets `[row, col]` of `n` images: the centre in evaluation (or without random crop),
   * else uniform over the valid range, drawn from `seed` (one pair per image, camera-salted).
   */
  cropOffsets(n: number, training: boolean, seed: number, camera = 0): [number, number][] {
    const [H, W] = this.imageShape;
    const [h, w] = this.cropShape;
    if (!training || !this.randomCrop) {
      const centre: [number, number] = [Math.floor((H - h) / 2), Math.floor((W - w) / 2)];
      return Array.from({ length: n }, () => centre);
    }
    const rng = new InitRandom(mixSeed(seed, 0xc40b + camera));
    return Array.from({ length: n }, () => [
      Math.floor(rng.uniform() * (H - h + 1)),
      Math.floor(rng.uniform() * (W - w + 1)),
    ]);
  }

  private crop(images: tf.Tensor4D, offsets: [number, number][]): tf.Tensor4D {
    const [n, H, W, C] = images.shape;
    const [h, w] = this.cropShape;
    if (h === H && w === W) return images;
    const first = offsets[0]!;
    if (offsets.every((o) => o[0] === first[0] && o[1] === first[1]))
      return tf.slice(images, [0, first[0], first[1], 0], [n, h, w, C]);
    return tf.concat(
      offsets.map(([r, c], i) => tf.slice(images, [i, r, c, 0], [1, h, w, C])),
      0,
    ) as tf.Tensor4D;
  }

  encode(obs: tf.Tensor3D, options?: EncodeOptions): tf.Tensor3D {
    if (obs.rank !== 3 || obs.shape[1] !== this.obsSteps || obs.shape[2] !== this.obsDim) {
      throw new Error(
        `image encoder: obs must have shape [B, To=${this.obsSteps}, D=${this.obsDim}], got [${obs.shape.join(', ')}]`,
      );
    }
    const training = options?.training ?? false;
    const seed = options?.dropoutSeed ?? (training ? drawSeed() : 0);
    return tf.tidy(() => {
      const b = obs.shape[0];
      const n = b * this.obsSteps;
      const [H, W, C] = this.imageShape;
      const frame = H * W * C;
      const rows = tf.reshape(obs, [n, this.obsDim]) as tf.Tensor2D;
      const parts: tf.Tensor[] = this.trunks.map((trunk, c) => {
        const images = tf.reshape(tf.slice(rows, [0, c * frame], [n, frame]), [n, H, W, C]) as tf.Tensor4D;
        return trunk.apply(this.crop(images, this.cropOffsets(n, training, seed, c)));
      });
      if (this.lowDim > 0) parts.push(tf.slice(rows, [0, this.cameras * frame], [n, this.lowDim]));
      const features = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
      const h = this.project[1].apply(leakyRelu.apply(this.project[0].apply(features)));
      let y = tf.reshape(h, [b, this.obsSteps, this.embDim]);
      if (training && this.dropout > 0) {
        // Condition dropout as every encoder: a per-sample keep mask u > p, no rescaling.
        const keep = tf.cast(
          tf.greater(tf.randomUniform([b], 0, 1, 'float32', mixSeed(seed, 0xd409)), this.dropout),
          'float32',
        );
        y = tf.mul(y, tf.reshape(keep, [b, 1, 1]));
      }
      return y as tf.Tensor3D;
    });
  }

  dispose(): void {
    this.store.dispose();
  }
}
