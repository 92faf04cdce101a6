/**
 * The pages name API symbols (`[x](api:losses#x)`) and source files (`packages/losses/src/mip.ts`).
 * A symbol that a package does not export yet links to the package's API index instead (so the site
 * never has a dead link while the packages grow); this test lists those, and fails on references
 * to packages that do not exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(docsRoot, '..', '..');
const pages = ['index.md', 'quick-start.md', 'architecture.md', 'performance.md'].concat(
  readdirSync(join(docsRoot, 'guides')).map((f) => `guides/${f}`),
);
const text = pages.map((p) => readFileSync(join(docsRoot, p), 'utf8')).join('\n');
const packages = readdirSync(join(repoRoot, 'packages'));

describe('references from the pages to the code', () => {
  it('names only existing packages, and lists the symbols and files not there yet', () => {
    const apiRefs = [...new Set([...text.matchAll(/\(api:([\w-]+)#(\w+)\)/g)].map((m) => `${m[1]}#${m[2]}`))];
    const sourceRefs = [
      ...new Set([...text.matchAll(/packages\/([\w-]+)\/src\/[\w/.-]+\.ts/g)].map((m) => m[0])),
    ];
    const unknownPackages = [
      ...apiRefs.map((r) => r.split('#')[0]),
      ...sourceRefs.map((s) => s.split('/')[1]),
    ].filter((p) => !packages.includes(p));
    expect(unknownPackages).toEqual([]);
    const apiDir = join(docsRoot, 'api', '@mipjs');
    if (existsSync(apiDir)) {
      const missing = apiRefs.filter((ref) => {
        const [p, n] = ref.split('#');
        const dir = join(apiDir, p);
        return !existsSync(dir) || !readdirSync(dir).some((kind) => existsSync(join(dir, kind, `${n}.md`)));
      });
      if (missing.length > 0)
        console.warn(`API symbols named by the pages but not exported yet: ${missing.join(', ')}`);
    }
    const missingFiles = sourceRefs.filter((s) => !existsSync(join(repoRoot, s)));
    if (missingFiles.length > 0)
      console.warn(`source files named by the pages but missing: ${missingFiles.join(', ')}`);
  });
});
