import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from './layers/conv2d.js';
import { GroupNorm } from './layers/group-norm.js';
import { groupNormLean } from './layers/group-norm-lean.js';
import type { VariableScope } from './layers/module.js';

/** The torchvision ResNet-18 stage widths and blocks per stage. */
export const RESNET18_WIDTHS = [64, 128, 256, 512] as const;
export const RESNET18_BLOCKS = [2, 2, 2, 2] as const;

/** Options of {@link ResNet}. */
export interface ResNetOptions {
  /** Input channels (default 3, RGB). */
  inChannels?: number;
  /** Output channels of each stage (default ResNet-18's `[64, 128, 256, 512]`); the stem has the first. */
  widths?: readonly number[];
  /** Basic blocks per stage (default `[2, 2, 2, 2]`). */
  blocks?: readonly number[];
  /**
   * Channels per GroupNorm group: each norm of C channels has `max(1, floor(C / groupChannels))`
   * groups (default 16: the reference's `GroupNorm(num_channels // 16)` in place of BatchNorm).
   */
  groupChannels?: number;
}

/**
 * GroupNorm on NHWC feature maps `[N, H, W, C]`: the 1-D {@link GroupNorm} on `[N, H W, C]`
 * (statistics over the group's H W C/G values per sample, via moments), reshaped back.
 */
class GroupNorm2d {
  private readonly norm: GroupNorm;

  constructor(scope: VariableScope, channels: number, groupChannels: number) {
    this.norm = new GroupNorm(scope, channels, { groups: Math.max(1, Math.floor(channels / groupChannels)) });
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      const flat = tf.reshape(x, [n, h * w, c]);
      // The lean gradient keeps x, mean and rstd only (not the moments' intermediates).
      const y =
        this.norm.gamma && this.norm.beta
          ? groupNormLean(flat, this.norm.gamma, this.norm.beta, this.norm.groups, this.norm.eps)
          : this.norm.apply(flat);
      return tf.reshape(y, [n, h, w, c]) as tf.Tensor4D;
    });
  }
}

/**
 * torchvision's `BasicBlock`: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`, 3x3
 * convolutions (the first with the block's stride), the shortcut a 1x1 strided conv + norm
 * (`downsample`) when the stride or width changes, else the identity.
 */
class BasicBlock {
  private readonly conv1: Conv2d;
  private readonly bn1: GroupNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: GroupNorm2d;
  private readonly downsample: [Conv2d, GroupNorm2d] | null;

  constructor(scope: VariableScope, inC: number, outC: number, stride: number, groupChannels: number) {
    this.conv1 = new Conv2d(scope.child('conv1'), inC, outC, 3, { stride, padding: 1 });
    this.bn1 = new GroupNorm2d(scope.child('bn1'), outC, groupChannels);
    this.conv2 = new Conv2d(scope.child('conv2'), outC, outC, 3, { padding: 1 });
    this.bn2 = new GroupNorm2d(scope.child('bn2'), outC, groupChannels);
    this.downsample =
      stride !== 1 || inC !== outC
        ? [
            new Conv2d(scope.child('downsample').child(0), inC, outC, 1, { stride }),
            new GroupNorm2d(scope.child('downsample').child(1), outC, groupChannels),
          ]
        : null;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const h = tf.relu(this.bn1.apply(this.conv1.apply(x))) as tf.Tensor4D;
      const y = this.bn2.apply(this.conv2.apply(h));
      const shortcut = this.downsample ? this.downsample[1].apply(this.downsample[0].apply(x)) : x;
      return tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    });
  }
}

/**
 * A ResNet trunk from scratch (torchvision `resnet18(weights=None)` with `fc = Identity`, every
 * BatchNorm2d a GroupNorm as in the reference's image encoder), on NHWC images:
 *
 *   conv1 7x7 stride 2 pad 3 (no bias) -> norm -> ReLU -> max-pool 3x3 stride 2 pad 1
 *   -> stages of basic blocks (the first block of every stage but the first has stride 2)
 *   -> global average pool -> `[N, widths[last]]`.
 *
 * Convolutions use torchvision's init (kaiming-normal, fan-out, ReLU gain), norms weight 1 and
 * bias 0. Variable names follow torchvision's state dict (`conv1`, `bn1`, `layer1/0/conv1`,
 * `layer2/0/downsample/0`, ...). At the defaults it has 11,176,512 parameters (torchvision's
 * 11,689,512 less the 513,000 of its classifier; GroupNorm has the same affine parameters as
 * BatchNorm and no running statistics). Every op has a wasm gradient (conv2d's is explicit, see
 * `conv2dValid`).
 *
 * @example
 * ```ts
 * const store = new VariableStore(0);
 * const trunk = new ResNet(store.root(), {});
 * const features = trunk.apply(images); // [N, 84, 84, 3] -> [N, 512]
 * ```
 */
export class ResNet {
  readonly outDim: number;
  private readonly conv1: Conv2d;
  private readonly bn1: GroupNorm2d;
  private readonly stages: BasicBlock[][] = [];

  constructor(scope: VariableScope, options: ResNetOptions = {}) {
    const widths = options.widths ?? RESNET18_WIDTHS;
    const blocks = options.blocks ?? RESNET18_BLOCKS;
    const groupChannels = options.groupChannels ?? 16;
    const inChannels = options.inChannels ?? 3;
    const positive = (xs: readonly number[]) =>
      xs.length > 0 && xs.every((v) => Number.isInteger(v) && v > 0);
    if (!positive(widths)) throw new Error(`ResNet: widths must be positive integers, got [${widths}]`);
    if (!positive(blocks) || blocks.length !== widths.length)
      throw new Error(
        `ResNet: blocks must be ${widths.length} positive integers (one per width), got [${blocks}]`,
      );
    if (!Number.isInteger(groupChannels) || groupChannels <= 0)
      throw new Error(`ResNet: groupChannels must be a positive integer, got ${groupChannels}`);
    // The stem's input is the image itself: no dx needed.
    this.conv1 = new Conv2d(scope.child('conv1'), inChannels, widths[0]!, 7, {
      stride: 2,
      padding: 3,
      inputGradient: false,
    });
    this.bn1 = new GroupNorm2d(scope.child('bn1'), widths[0]!, groupChannels);
    let inC = widths[0]!;
    widths.forEach((outC, s) => {
      const layer = scope.child(`layer${s + 1}`);
      const stage: BasicBlock[] = [];
      for (let b = 0; b < blocks[s]!; b++) {
        stage.push(new BasicBlock(layer.child(b), inC, outC, b === 0 && s > 0 ? 2 : 1, groupChannels));
        inC = outC;
      }
      this.stages.push(stage);
    });
    this.outDim = inC;
  }

  /** `[N, H, W, C]` -> `[N, outDim]`. */
  apply(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = tf.relu(this.bn1.apply(this.conv1.apply(x))) as tf.Tensor4D;
      // Max-pool 3x3 / 2 with one pixel of padding: zero padding equals PyTorch's -inf padding
      // here because the input is a ReLU output (>= 0).
      h = tf.maxPool(
        tf.pad(h, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]) as tf.Tensor4D,
        3,
        2,
        'valid',
      );
      for (const stage of this.stages) for (const block of stage) h = block.apply(h);
      return tf.mean(h, [1, 2]) as tf.Tensor2D;
    });
  }
}
