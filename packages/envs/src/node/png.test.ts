import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { renderPushT } from '../pusht/render.js';
import { encodePng } from './png.js';

describe('node entry', () => {
  it('encodes a PNG whose pixels decode back', () => {
    const rgb = renderPushT([100, 100, 256, 300, 0.3], { size: 64 });
    const png = encodePng(rgb, 64, 64);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(view.getUint32(16)).toBe(64);
    const idatLen = view.getUint32(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe(64 * (1 + 64 * 3));
    expect(Array.from(raw.subarray(1, 1 + 64 * 3))).toEqual(Array.from(rgb.subarray(0, 64 * 3)));
    expect(() => encodePng(rgb, 63, 64)).toThrow(RangeError);
  });

  it('the main entry imports nothing from node:', () => {
    const root = join(import.meta.dirname, '..');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) {
          if (f !== 'node' && f !== 'test-utils') walk(p);
        } else if (f.endsWith('.ts') && !f.endsWith('.test.ts')) files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/from '(node:|@mipjs\/data)/);
  });
});
