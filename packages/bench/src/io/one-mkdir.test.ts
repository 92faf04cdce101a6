import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(dirname(fileURLToPath(import.meta.url)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'test-utils' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('folders are made through io/makeDir', () => {
  it('no other module of the bench calls mkdir (Node 20 recursive mkdir hangs under /proc)', () => {
    const offenders = sources(SRC)
      .filter((f) => relative(SRC, f) !== join('io', 'io.ts'))
      .filter((f) =>
        /\bmkdir(Sync)?\s*\(|promises\.mkdir|\bmkdir\b.*from 'node:fs/.test(readFileSync(f, 'utf8')),
      )
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });
});
