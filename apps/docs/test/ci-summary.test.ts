/**
 * A skip reads as a skip at the end of `pnpm check`: the browser test of this site, run with a
 * chromium path that does not exist, skips and says why; the closing summary of `pnpm check`
 * (.ci/summary.mjs) counts the skipped tests and names the skip with its reason.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const summaryScript = join(docsRoot, '..', '..', '.ci', 'summary.mjs');

/** The environment without the outer vitest's variables, so that the inner run is a plain one. */
function plainEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  return { ...env, ...extra };
}

describe('the closing summary of pnpm check', () => {
  it('names a skipped browser test and its reason', () => {
    const run = spawnSync('pnpm', ['exec', 'vitest', 'run', 'test/site.test.ts'], {
      cwd: docsRoot,
      encoding: 'utf8',
      env: plainEnv({ MIPJS_CHROMIUM: '/no/such/chromium', NO_COLOR: '1' }),
      timeout: 120_000,
    });
    const log = `${run.stdout}\n${run.stderr}`;
    expect(run.status, log).toBe(0);
    // What turbo shows: every line prefixed with the package and task.
    const turboLog = log
      .split('\n')
      .map((line) => `docs:test: ${line}`)
      .join('\n');
    const summary = execFileSync(process.execPath, [summaryScript], { input: turboLog, encoding: 'utf8' });
    const [counts, ...skips] = summary.trim().split('\n');
    expect(counts).toMatch(/^Tests: 0 passed, 0 failed, [1-9]\d* skipped$/);
    expect(skips).toEqual([
      "  skipped: docs: the browser test of the docs site: /no/such/chromium is missing (install Debian's chromium: sudo apt-get install -y chromium)",
    ]);
  });

  it('adds up the counts of several packages', () => {
    const log = [
      '@mipjs/nets:test:       Tests  3 failed | 40 passed | 1 skipped (44)',
      '@mipjs/nets:test:  Test Files  1 failed | 9 passed (10)',
      'playground:test: SKIPPING the WebGL check: no WebGL context',
      'playground:test:       Tests  7 passed (7)',
    ].join('\n');
    const summary = execFileSync(process.execPath, [summaryScript], { input: log, encoding: 'utf8' });
    expect(summary.trim().split('\n')).toEqual([
      'Tests: 47 passed, 3 failed, 1 skipped',
      '  skipped: playground: the WebGL check: no WebGL context',
    ]);
  });
});
