// `pnpm check`: build, typecheck, lint and test every package (turbo), then the closing summary of
// .ci/summary.mjs: the test counts and every skipped test with its reason, so that a skip reads
// as a skip at the end of the log, not as a pass. Extra arguments go to turbo
// (`pnpm check --filter=@mipjs/nets`). Exits with turbo's status.
import { spawn } from 'node:child_process';
import { summarize } from './summary.mjs';

const args = ['run', 'build', 'typecheck', 'lint', 'test', ...process.argv.slice(2)];
const child = spawn('turbo', args, {
  stdio: ['inherit', 'pipe', 'pipe'],
  env: process.stdout.isTTY ? { FORCE_COLOR: '1', ...process.env } : process.env,
});
let log = '';
for (const [from, to] of [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
]) {
  from.on('data', (chunk) => {
    log += chunk;
    to.write(chunk);
  });
}
child.on('error', (error) => {
  process.stderr.write(`pnpm check: cannot start turbo: ${error.message}\n`);
  process.exit(1);
});
child.on('close', (code, signal) => {
  process.stdout.write(`\n${summarize(log).join('\n')}\n`);
  process.exit(code ?? (signal ? 1 : 0));
});
