/** Drawing the scene (the envs package's software renderer) and the coverage / reward plot. */
import { AGENT_RADIUS, MAX_EPISODE_STEPS, renderPushTCanvas, T_BOXES_LOCAL, WORLD_SIZE } from '@mipjs/envs';

/** The plan drawn over the scene: the whole predicted chunk, and the rows being executed. */
export interface Plan {
  chunk: Float32Array | null;
  /** First executed row (To - 1) and the number executed (Ta). */
  from: number;
  count: number;
  /** Agent positions so far (world points, flat). */
  path: number[];
}

const rgba = new Uint8ClampedArray(WORLD_SIZE * WORLD_SIZE * 4);

export function drawScene(ctx: CanvasRenderingContext2D, state: ArrayLike<number>, plan: Plan): void {
  const trails: { points: ArrayLike<number>; color: number[]; width: number }[] = [];
  if (plan.path.length >= 4) trails.push({ points: plan.path, color: [150, 180, 240], width: 2 });
  if (plan.chunk) {
    trails.push({ points: plan.chunk, color: [245, 160, 140], width: 2 });
    const executed = plan.chunk.subarray(plan.from * 2, (plan.from + plan.count) * 2);
    trails.push({ points: executed, color: [230, 60, 30], width: 4 });
  }
  const img = renderPushTCanvas(state, { trails });
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    rgba[j] = img.data[i]!;
    rgba[j + 1] = img.data[i + 1]!;
    rgba[j + 2] = img.data[i + 2]!;
    rgba[j + 3] = 255;
  }
  ctx.putImageData(new ImageData(rgba, WORLD_SIZE, WORLD_SIZE), 0, 0);
}

export function drawPlot(ctx: CanvasRenderingContext2D, coverages: number[], rewards: number[]): void {
  const { width: w, height: h } = ctx.canvas;
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = '#eee';
  ctx.beginPath();
  for (const y of [0.25, 0.5, 0.75]) {
    ctx.moveTo(0, h - y * h);
    ctx.lineTo(w, h - y * h);
  }
  ctx.stroke();
  const n = Math.max(MAX_EPISODE_STEPS, coverages.length);
  const line = (values: number[], color: string) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = ((i + 1) / n) * w;
      const y = h - 2 - v * (h - 4);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line(rewards, '#4169e1');
  line(coverages, '#2a9d3a');
}

/** What the mouse grabbed at world point `p`: the agent, the T, or nothing. */
export function hitTest(state: ArrayLike<number>, px: number, py: number): 'agent' | 'block' | null {
  if (Math.hypot(px - state[0]!, py - state[1]!) <= AGENT_RADIUS + 4) return 'agent';
  // The point in the T's body frame: R(-angle) (p - origin).
  const c = Math.cos(state[4]!);
  const s = Math.sin(state[4]!);
  const dx = px - state[2]!;
  const dy = py - state[3]!;
  const lx = c * dx + s * dy;
  const ly = -s * dx + c * dy;
  for (const box of T_BOXES_LOCAL) {
    const xs = [box[0]!, box[2]!, box[4]!, box[6]!];
    const ys = [box[1]!, box[3]!, box[5]!, box[7]!];
    const pad = 3;
    if (
      lx >= Math.min(...xs) - pad &&
      lx <= Math.max(...xs) + pad &&
      ly >= Math.min(...ys) - pad &&
      ly <= Math.max(...ys) + pad
    )
      return 'block';
  }
  return null;
}

/** A world point inside the T (the middle of its bar), e.g. to grab it. */
export function blockPoint(state: ArrayLike<number>): [number, number] {
  const c = Math.cos(state[4]!);
  const s = Math.sin(state[4]!);
  const [lx, ly] = [0, 15];
  return [state[2]! + c * lx - s * ly, state[3]! + s * lx + c * ly];
}
