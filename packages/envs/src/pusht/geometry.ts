/**
 * PushT geometry (Diffusion Policy's `pusht_env.py`): a 512 x 512 world with y pointing down, a
 * T block made of two boxes in body coordinates (scale 30)
 *
 *   bar  = (-60, 30), (60, 30), (60, 0), (-60, 0)       120 x 30
 *   stem = (-15, 30), (-15, 120), (15, 120), (15, 30)   30 x 90
 *
 * whose world vertices are `p + R(angle) v` with `p` the reported block position (the body
 * origin, not the centre of gravity, which sits at (0, 45)). The goal is the same T at
 * (256, 256, pi/4); its area is 120 * 30 + 30 * 90 = 6300.
 */

/** Side of the square world and of the full-size render, in pixels. */
export const WORLD_SIZE = 512;
/** Agent (kinematic circle) radius. */
export const AGENT_RADIUS = 15;
/** Goal pose `[x, y, angle]` of the T. */
export const GOAL_POSE: readonly [number, number, number] = [256, 256, Math.PI / 4];
/** Area of one T (and of the goal T): 6300 px^2. */
export const T_AREA = 6300;
/** Coverage above which an episode is a success (and terminates). */
export const SUCCESS_THRESHOLD = 0.95;
/** Control steps per episode before truncation. */
export const MAX_EPISODE_STEPS = 300;

/** The bar's vertices in body coordinates, flat `[x0, y0, x1, y1, ...]`, in `pusht_env.py` order. */
export const T_BAR_LOCAL: readonly number[] = [-60, 30, 60, 30, 60, 0, -60, 0];
/** The stem's vertices in body coordinates, flat, in `pusht_env.py` order. */
export const T_STEM_LOCAL: readonly number[] = [-15, 30, -15, 120, 15, 120, 15, 30];
/** Both boxes of the T. */
export const T_BOXES_LOCAL: readonly (readonly number[])[] = [T_BAR_LOCAL, T_STEM_LOCAL];
/** The T's centre of gravity in body coordinates (mean of the two box centroids). */
export const T_COG_LOCAL: readonly [number, number] = [0, 45];

/** The four static wall segments `[ax, ay, bx, by]` (radius 2). */
export const WALLS: readonly (readonly [number, number, number, number])[] = [
  [5, 506, 5, 5],
  [5, 5, 506, 5],
  [506, 5, 506, 506],
  [5, 506, 506, 506],
];
/** Radius of the wall segments. */
export const WALL_RADIUS = 2;

/**
 * World coordinates of a body-frame polygon at pose `(x, y, angle)`: `out[i] = p + R(angle) v[i]`,
 * flat `[x0, y0, ...]`, written into `out` (allocated when omitted).
 */
export function toWorld(
  local: readonly number[],
  x: number,
  y: number,
  angle: number,
  out: Float64Array = new Float64Array(local.length),
): Float64Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let i = 0; i < local.length; i += 2) {
    const lx = local[i]!;
    const ly = local[i + 1]!;
    out[i] = x + c * lx - s * ly;
    out[i + 1] = y + s * lx + c * ly;
  }
  return out;
}
