import { EnvError } from '../errors.js';
import {
  AGENT_RADIUS,
  GOAL_POSE,
  T_BOXES_LOCAL,
  toWorld,
  WALL_RADIUS,
  WALLS,
  WORLD_SIZE,
} from './geometry.js';
import {
  createImage,
  downscaleBox,
  drawLine,
  fillCircle,
  fillPolygon,
  type RgbImage,
  resizeLinear,
  roundHalfEven,
} from './raster.js';

/** pygame `LightGreen`: the goal T. */
export const GOAL_COLOR = [144, 238, 144] as const;
/** pygame `LightSlateGray`: the T's edges. */
export const BLOCK_COLOR = [119, 136, 153] as const;
/** `RoyalBlue`: the agent's outer disc. */
export const AGENT_COLOR = [65, 105, 225] as const;
/** `LightGray`: the walls. */
export const WALL_COLOR = [211, 211, 211] as const;

/**
 * Diffusion Policy's `light_color`: `min(float32(1.2) * c, 255)` per channel, rounded to the
 * nearest integer (the dataset's T fill is (143, 163, 184), so it rounds rather than truncates).
 */
export function lightColor(c: readonly number[]): [number, number, number] {
  const k = Math.fround(1.2);
  return [0, 1, 2].map((i) => Math.round(Math.min(Math.fround(k * c[i]!), 255))) as [number, number, number];
}

/** Options of {@link renderPushTCanvas} and {@link renderPushT}. */
export interface PushTRenderOptions {
  /**
   * Output side in pixels. 96 (default) resizes the 512 canvas with OpenCV-style bilinear taps as
   * the dataset's frames were made; 512 returns the canvas; a divisor of 512 (256, 128) averages
   * boxes (for pictures); any other size uses the bilinear taps.
   */
  size?: number;
  /**
   * A trail drawn on the canvas after the scene, world points `[x0, y0, x1, y1, ...]` (e.g. the
   * actions or agent positions so far), as connected lines; for GIFs and figures.
   */
  trail?: ArrayLike<number>;
  /** Trail colour, default red `[255, 0, 0]`. */
  trailColor?: readonly number[];
  /** Trail width on the 512 canvas, default 3 px. */
  trailWidth?: number;
  /**
   * More trails, each with its own colour and width (e.g. the recorded and the simulated block
   * positions of an episode), drawn in order after `trail`.
   */
  trails?: readonly { points: ArrayLike<number>; color?: readonly number[]; width?: number }[];
  /**
   * The latest action `[x, y]`: a red cross marker on the output image, like the evaluation env's
   * `render_action` (`cv2.drawMarker`, size 8/96 of the image). The dataset frames have none.
   */
  action?: ArrayLike<number>;
  /** Draw the agent before the block instead of after (default false: the agent is on top). */
  agentBelow?: boolean;
}

/** `pymunk_override.DrawOptions.draw_fat_segment` with radius 2: a 4 px line, a quad, two discs. */
function fatSegment(
  img: RgbImage,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  radius: number,
  color: readonly number[],
): void {
  const x1 = roundHalfEven(ax);
  const y1 = roundHalfEven(ay);
  const x2 = roundHalfEven(bx);
  const y2 = roundHalfEven(by);
  const r = roundHalfEven(Math.max(1, radius * 2));
  drawLine(img, x1, y1, x2, y2, r, color);
  if (r > 2) {
    // The original's "orthogonal" is (|dy|, |dx|), which is only perpendicular for some
    // directions; reproduced as is.
    let ox = Math.abs(y2 - y1);
    let oy = Math.abs(x2 - x1);
    if (ox === 0 && oy === 0) return;
    const scale = radius / Math.sqrt(ox * ox + oy * oy);
    ox = roundHalfEven(ox * scale);
    oy = roundHalfEven(oy * scale);
    fillPolygon(img, [x1 - ox, y1 - oy, x1 + ox, y1 + oy, x2 + ox, y2 + oy, x2 - ox, y2 - oy], color);
    const rr = roundHalfEven(radius);
    fillCircle(img, x1, y1, rr, color);
    fillCircle(img, x2, y2, rr, color);
  }
}

const blockFill = lightColor(BLOCK_COLOR);
const agentFill = lightColor(AGENT_COLOR);
const goalPixels = T_BOXES_LOCAL.map((b) =>
  Array.from(toWorld(b, GOAL_POSE[0], GOAL_POSE[1], GOAL_POSE[2]), roundHalfEven),
);

function checkState(state: ArrayLike<number>): void {
  if (state == null || state.length !== 5) {
    throw new EnvError(`render: state must have 5 numbers, got ${state == null ? state : state.length}`);
  }
  for (let i = 0; i < 5; i++) {
    if (!Number.isFinite(state[i]!)) throw new EnvError(`render: state[${i}] is ${state[i]}`);
  }
}

function drawPolyline(img: RgbImage, pts: ArrayLike<number>, width: number, color: readonly number[]): void {
  for (let i = 2; i + 1 < pts.length; i += 2) {
    drawLine(
      img,
      Math.round(pts[i - 2]!),
      Math.round(pts[i - 1]!),
      Math.round(pts[i]!),
      Math.round(pts[i + 1]!),
      width,
      color,
    );
  }
}

/**
 * The full 512 x 512 canvas of `pusht_env.py`'s `_render_frame` for `state = [agent x, agent y,
 * block x, block y, block angle]`: white; the goal T as two `LightGreen` polygons; each T box
 * filled `LightSlateGray * 1.2` with its edges as 4 px round-ended lines in the plain colour;
 * the agent as a `RoyalBlue` disc of radius 15 with a 1.2x brighter disc of radius 11; the walls
 * as 4 px `LightGray` lines. No anti-aliasing, as pygame draws them.
 */
export function renderPushTCanvas(state: ArrayLike<number>, options: PushTRenderOptions = {}): RgbImage {
  checkState(state);
  const img = createImage(WORLD_SIZE, WORLD_SIZE);
  for (const g of goalPixels) fillPolygon(img, [...g, g[0]!, g[1]!], GOAL_COLOR);
  const drawAgent = () => {
    const x = roundHalfEven(state[0]!);
    const y = roundHalfEven(state[1]!);
    fillCircle(img, x, y, AGENT_RADIUS, AGENT_COLOR);
    fillCircle(img, x, y, AGENT_RADIUS - 4, agentFill);
  };
  if (options.agentBelow) drawAgent();
  for (const local of T_BOXES_LOCAL) {
    const v = toWorld(local, state[2]!, state[3]!, state[4]!);
    const px = Array.from(v, roundHalfEven);
    fillPolygon(img, [...px, px[0]!, px[1]!], blockFill);
    const n = v.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      fatSegment(img, v[2 * i]!, v[2 * i + 1]!, v[2 * j]!, v[2 * j + 1]!, 2, BLOCK_COLOR);
    }
  }
  if (!options.agentBelow) drawAgent();
  for (const [ax, ay, bx, by] of WALLS) fatSegment(img, ax, ay, bx, by, WALL_RADIUS, WALL_COLOR);
  const trails = options.trail
    ? [
        { points: options.trail, color: options.trailColor, width: options.trailWidth },
        ...(options.trails ?? []),
      ]
    : (options.trails ?? []);
  for (const t of trails) drawPolyline(img, t.points, t.width ?? 3, t.color ?? [255, 0, 0]);
  return img;
}

/**
 * Renders a PushT state like the dataset's `data/img` frames: the 512 canvas of
 * {@link renderPushTCanvas} resized to `size` x `size` (default 96, OpenCV `INTER_LINEAR`),
 * HWC RGB bytes.
 *
 * @example
 * ```ts
 * const frame = renderPushT([256, 400, 256, 300, 0]); // Uint8Array(96 * 96 * 3)
 * const big = renderPushT(state, { size: 256, trail: actionsSoFar });
 * ```
 */
export function renderPushT(state: ArrayLike<number>, options: PushTRenderOptions = {}): Uint8Array {
  const size = options.size ?? 96;
  if (!Number.isInteger(size) || size < 1)
    throw new EnvError(`render: size must be a positive integer, got ${size}`);
  const canvas = renderPushTCanvas(state, options);
  let img: RgbImage;
  if (size === WORLD_SIZE) img = canvas;
  else if (size < WORLD_SIZE && WORLD_SIZE % size === 0 && size !== 96)
    img = downscaleBox(canvas, WORLD_SIZE / size);
  else img = resizeLinear(canvas, size, size);
  const action = options.action;
  if (action && action.length >= 2 && Number.isFinite(action[0]!) && Number.isFinite(action[1]!)) {
    const cx = Math.trunc((action[0]! / WORLD_SIZE) * size);
    const cy = Math.trunc((action[1]! / WORLD_SIZE) * size);
    const half = Math.trunc(Math.trunc((8 / 96) * size) / 2);
    const thick = Math.max(1, Math.trunc((1 / 96) * size));
    drawLine(img, cx - half, cy, cx + half, cy, thick, [255, 0, 0]);
    drawLine(img, cx, cy - half, cx, cy + half, thick, [255, 0, 0]);
  }
  return img.data;
}

/**
 * Mean absolute difference (0-255) between two images of equal size (bytes or floats), e.g. a
 * rendered frame and a recorded `data/img` frame.
 */
export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new EnvError(`meanAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return a.length ? s / a.length : 0;
}
