// The closing summary of a test log (what `pnpm check` prints last, and `.ci/run` after it): one
// "Tests:" line summed over every package's vitest summary, then every skip, by name and reason,
// so that a skipped test is never hidden inside a pass.
//
// Convention: a test that cannot run here prints one line `SKIPPING <what>: <why>` (console.warn)
// and skips itself (describe.skipIf / it.skipIf / an early return after the line).
//
//   node .ci/summary.mjs < check.log
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

/**
 * The summary lines of a log: `Tests: N passed, N failed, N skipped`, then `  skipped: <pkg>: <what>: <why>`
 * for each distinct SKIPPING line (turbo's `pkg:task: ` prefix names the package).
 */
export function summarize(log) {
  const text = stripVTControlCharacters(log);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const skips = new Set();
  for (const line of text.split('\n')) {
    // vitest: " Tests  3 failed | 40 passed | 1 skipped (44)" (not the "Test Files" line)
    const tests = /(?:^|\s)Tests\s+(\d.*)$/.exec(line);
    if (tests && !/Test Files/.test(line)) {
      for (const [, n, kind] of tests[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
        if (kind === 'passed') passed += Number(n);
        else if (kind === 'failed') failed += Number(n);
        else skipped += Number(n);
      }
    }
    const skip = /^(?:([\w@/.-]+):[\w:-]+: )?.*?SKIPPING (.*)$/.exec(line);
    if (skip) skips.add(skip[1] ? `${skip[1]}: ${skip[2].trim()}` : skip[2].trim());
  }
  const lines = [`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`];
  for (const s of [...skips].sort()) lines.push(`  skipped: ${s}`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${summarize(readFileSync(0, 'utf8')).join('\n')}\n`);
}
