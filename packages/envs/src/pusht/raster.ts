/**
 * A small software rasteriser that reproduces pygame 2's `pygame.draw` primitives pixel for pixel
 * (no anti-aliasing: `polygon`, `circle` and wide `lines` all fill whole pixels), and OpenCV's
 * `cv2.resize(..., INTER_LINEAR)` for 8-bit images with its fixed-point arithmetic. PushT's frames
 * are drawn with these, so matching them matters more than looking smooth.
 */

/** An RGB image, row-major `[height][width][3]` bytes. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A `width x height` RGB image filled with `color`. */
export function createImage(
  width: number,
  height: number,
  color: readonly number[] = [255, 255, 255],
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = color[0]!;
    data[i + 1] = color[1]!;
    data[i + 2] = color[2]!;
  }
  return { width, height, data };
}

/** pygame's `drawhorzlineclipbounding`: pixels `x1..x2` (inclusive, either order) of row `y`. */
export function hline(img: RgbImage, x1: number, y: number, x2: number, color: readonly number[]): void {
  if (y < 0 || y >= img.height) return;
  let a = Math.min(x1, x2);
  let b = Math.max(x1, x2);
  if (a < 0) a = 0;
  if (b >= img.width) b = img.width - 1;
  const d = img.data;
  const r = color[0]!;
  const g = color[1]!;
  const bl = color[2]!;
  for (let i = (y * img.width + a) * 3, end = (y * img.width + b) * 3; i <= end; i += 3) {
    d[i] = r;
    d[i + 1] = g;
    d[i + 2] = bl;
  }
}

function vline(img: RgbImage, x: number, y1: number, y2: number, color: readonly number[]): void {
  const a = Math.min(y1, y2);
  const b = Math.max(y1, y2);
  for (let y = a; y <= b; y++) hline(img, x, y, x, color);
}

/**
 * `pygame.draw.polygon(surface, color, points)` (width 0): pygame's `draw_fillpoly` scanline
 * fill on integer vertices `[x0, y0, ...]`; for each row the edge crossings
 * `x = (y - y1) (x2 - x1) / (y2 - y1) + x1` (C integer division, truncating), sorted and filled
 * pairwise inclusive, then the horizontal edges.
 */
export function fillPolygon(img: RgbImage, pts: readonly number[], color: readonly number[]): void {
  const n = pts.length / 2;
  if (n === 0) return;
  let miny = pts[1]!;
  let maxy = pts[1]!;
  for (let i = 1; i < n; i++) {
    miny = Math.min(miny, pts[2 * i + 1]!);
    maxy = Math.max(maxy, pts[2 * i + 1]!);
  }
  if (miny === maxy) {
    let minx = pts[0]!;
    let maxx = pts[0]!;
    for (let i = 1; i < n; i++) {
      minx = Math.min(minx, pts[2 * i]!);
      maxx = Math.max(maxx, pts[2 * i]!);
    }
    hline(img, minx, miny, maxx, color);
    return;
  }
  const xs: number[] = [];
  for (let y = miny; y <= maxy; y++) {
    xs.length = 0;
    for (let i = 0; i < n; i++) {
      const p = i ? i - 1 : n - 1;
      let y1 = pts[2 * p + 1]!;
      let y2 = pts[2 * i + 1]!;
      let x1: number;
      let x2: number;
      if (y1 < y2) {
        x1 = pts[2 * p]!;
        x2 = pts[2 * i]!;
      } else if (y1 > y2) {
        y2 = pts[2 * p + 1]!;
        y1 = pts[2 * i + 1]!;
        x2 = pts[2 * p]!;
        x1 = pts[2 * i]!;
      } else continue;
      if ((y >= y1 && y < y2) || (y === maxy && y2 === maxy)) {
        xs.push(Math.trunc(((y - y1) * (x2 - x1)) / (y2 - y1)) + x1);
      }
    }
    xs.sort((a, b) => a - b);
    for (let i = 0; i + 1 < xs.length; i += 2) hline(img, xs[i]!, y, xs[i + 1]!, color);
  }
  for (let i = 0; i < n; i++) {
    const p = i ? i - 1 : n - 1;
    const y = pts[2 * i + 1]!;
    if (miny < y && pts[2 * p + 1] === y && y < maxy) hline(img, pts[2 * i]!, y, pts[2 * p]!, color);
  }
}

/**
 * `pygame.draw.circle(surface, color, (x0, y0), radius)` (filled): pygame 2's midpoint
 * `draw_circle_filled`, which covers the pixels `x0 - r .. x0 + r - 1` (the centre is the
 * corner between four pixels).
 */
export function fillCircle(
  img: RgbImage,
  x0: number,
  y0: number,
  radius: number,
  color: readonly number[],
): void {
  if (radius < 1) {
    if (radius === 0) return;
  }
  if (radius === 1) {
    hline(img, x0 - 1, y0 - 1, x0, color);
    hline(img, x0 - 1, y0, x0, color);
    return;
  }
  let f = 1 - radius;
  let ddFx = 0;
  let ddFy = -2 * radius;
  let x = 0;
  let y = radius;
  while (x < y) {
    if (f >= 0) {
      y--;
      ddFy += 2;
      f += ddFy;
    }
    x++;
    ddFx += 2;
    f += ddFx + 1;
    if (f >= 0) {
      hline(img, x0 - x, y0 + y - 1, x0 + x - 1, color);
      hline(img, x0 - x, y0 - y, x0 + x - 1, color);
    }
    hline(img, x0 - y, y0 + x - 1, x0 + y - 1, color);
    hline(img, x0 - y, y0 - x, x0 + y - 1, color);
  }
}

/**
 * `pygame.draw.line(surface, color, p1, p2, width)`: Bresenham from p1 to p2 (inclusive), each
 * point widened to `width` pixels across the line's minor axis (`x - w/2 + (1 - w % 2) .. x + w/2`).
 */
export function drawLine(
  img: RgbImage,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  width: number,
  color: readonly number[],
): void {
  if (width < 1) return;
  const extra = 1 - (width % 2);
  const half = Math.floor(width / 2);
  const xinc = Math.abs(x1 - x2) <= Math.abs(y1 - y2);
  const dx = Math.abs(x2 - x1);
  const dy = Math.abs(y2 - y1);
  const sx = x2 > x1 ? 1 : -1;
  const sy = y2 > y1 ? 1 : -1;
  let err = Math.trunc((dx > dy ? dx : -dy) / 2);
  let x = x1;
  let y = y1;
  for (;;) {
    if (width === 1) hline(img, x, y, x, color);
    else if (xinc) hline(img, x - half + extra, y, x + half, color);
    else vline(img, x, y - half + extra, y + half, color);
    if (x === x2 && y === y2) break;
    const e2 = err;
    if (e2 > -dx) {
      err -= dy;
      x += sx;
    }
    if (e2 < dy) {
      err += dx;
      y += sy;
    }
  }
}

/** Python's `round` (half to even), as `pymunk.pygame_util.to_pygame` uses. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `cv2.resize(src, (w, h), interpolation=INTER_LINEAR)` for 8-bit RGB: half-pixel-centred
 * bilinear taps `sx = floor((dx + 0.5) * scale - 0.5)` with 11-bit weights
 * `a0 = round((1 - fx) * 2048)`, a horizontal pass in integers and the vertical pass
 * `((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2`, exactly as OpenCV's
 * `HResizeLinear` / `VResizeLinear<uchar>`. Downscaling samples only 2 x 2 source pixels.
 */
export function resizeLinear(src: RgbImage, width: number, height: number): RgbImage {
  const xs = taps(src.width, width);
  const ys = taps(src.height, height);
  const out = new Uint8Array(width * height * 3);
  const row0 = new Int32Array(width * 3);
  const row1 = new Int32Array(width * 3);
  const hpass = (sy: number, row: Int32Array) => {
    const base = sy * src.width * 3;
    for (let dx = 0; dx < width; dx++) {
      const sx = xs.index[dx]!;
      const a0 = xs.w0[dx]!;
      const a1 = 2048 - a0;
      const i0 = base + sx * 3;
      const i1 = base + Math.min(sx + 1, src.width - 1) * 3;
      for (let c = 0; c < 3; c++) row[dx * 3 + c] = src.data[i0 + c]! * a0 + src.data[i1 + c]! * a1;
    }
  };
  for (let dy = 0; dy < height; dy++) {
    const sy = ys.index[dy]!;
    hpass(sy, row0);
    hpass(Math.min(sy + 1, src.height - 1), row1);
    const b0 = ys.w0[dy]!;
    const b1 = 2048 - b0;
    const o = dy * width * 3;
    for (let i = 0; i < width * 3; i++) {
      out[o + i] = (((b0 * (row0[i]! >> 4)) >> 16) + ((b1 * (row1[i]! >> 4)) >> 16) + 2) >> 2;
    }
  }
  return { width, height, data: out };
}

function taps(srcSize: number, dstSize: number): { index: Int32Array; w0: Int32Array } {
  const scale = srcSize / dstSize;
  const index = new Int32Array(dstSize);
  const w0 = new Int32Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    let fx = Math.fround((d + 0.5) * scale - 0.5);
    let sx = Math.floor(fx);
    fx = Math.fround(fx - sx);
    if (sx < 0) {
      fx = 0;
      sx = 0;
    }
    if (sx >= srcSize - 1) {
      fx = 0;
      sx = srcSize - 1;
    }
    index[d] = sx;
    w0[d] = roundHalfEven(Math.fround(Math.fround(1 - fx) * 2048));
  }
  return { index, w0 };
}

/** Area-average downscale by an integer factor (for clean pictures, not the dataset frames). */
export function downscaleBox(src: RgbImage, factor: number): RgbImage {
  const w = Math.floor(src.width / factor);
  const h = Math.floor(src.height / factor);
  const out = new Uint8Array(w * h * 3);
  const n = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let j = 0; j < factor; j++) {
          const row = ((y * factor + j) * src.width + x * factor) * 3 + c;
          for (let i = 0; i < factor; i++) s += src.data[row + i * 3]!;
        }
        out[(y * w + x) * 3 + c] = Math.round(s / n);
      }
    }
  }
  return { width: w, height: h, data: out };
}
