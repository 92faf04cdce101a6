// The bin entry, kept at dist/cli.js: `node packages/bench/dist/cli.js ...` (the root scripts `demo`,
// `bench:perf`, `mipjs`), bin/mipjs.js, perf/threaded.ts and the CLI tests all start the CLI here.
// The program itself (commands, flags) is cli/program.ts.
import { runCli } from './cli/program.js';

export { buildProgram, main, runCli } from './cli/program.js';

// `node packages/bench/dist/cli.js ...`; the installed `mipjs` bin (bin/mipjs.js) calls runCli itself.
if (process.argv[1]?.endsWith('/cli.js')) runCli();
