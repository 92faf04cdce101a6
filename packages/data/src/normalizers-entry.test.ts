import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as main from './index.js';
import * as browser from './normalizers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module specifier a source file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/g)) found.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) found.push(m[1]!);
  return found;
}

/** The transitive closure of relative imports from `entry`, and the bare specifiers it reaches. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const s of specifiers(file)) {
      if (s.startsWith('.')) visit(join(dirname(file), s.replace(/\.js$/, '.ts')));
      else external.add(s);
    }
  };
  visit(join(here, entry));
  return { files: [...seen], external: [...external] };
}

describe('@mipjs/data/normalizers (browser-safe entry)', () => {
  it('reaches no node: module and no file-format library', () => {
    const { files, external } = importGraph('normalizers.ts');
    expect(files.length).toBeGreaterThan(5);
    expect(external).toEqual([]);
  });

  it('the main entry still exports everything the subpath does, plus the file I/O', () => {
    for (const name of Object.keys(browser)) expect(main).toHaveProperty(name);
    for (const name of ['saveNormalizers', 'loadNormalizers', 'readNormalizersJSON', 'writeFileAtomic'])
      expect(main).toHaveProperty(name);
  });

  it('parseNormalizers rebuilds the statistics of formatNormalizersJSON bit for bit, with named errors', () => {
    const obs = new browser.MinMaxNormalizer([0, -1.5, 1 / 3], [512, 2.25, 0.7]);
    const action = new browser.GaussianNormalizer([0.1, 0.2], [1, 3]);
    const text = browser.formatNormalizersJSON({ obs, action });
    const back = browser.parseNormalizers(text, 'run/normalizers.json');
    expect(back.obs!.toJSON()).toEqual(obs.toJSON());
    expect(back.action!.toJSON()).toEqual(action.toJSON());
    expect(browser.parseNormalizers(JSON.parse(text)).obs!.dim).toBe(3);
    expect(() => browser.parseNormalizers('{"format":"x"}', 'u/n.json')).toThrow(
      "u/n.json: not a mipjs normalizer file (expected format 'mipjs-normalizers')",
    );
    expect(() => browser.parseNormalizers('{oops', 'u/n.json')).toThrow(/^u\/n\.json: not JSON/);
  });
});
