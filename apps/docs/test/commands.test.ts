/**
 * Every shell command the README, the package READMEs and these pages show (```sh blocks and
 * inline `pnpm ...` / `mipjs ...` spans) names things that exist: root scripts, workspace packages
 * and their scripts, turbo tasks, `mipjs` commands and each of their flags, presets, files, the
 * pinned versions. A page is read top to bottom from a fresh clone: a command that needs built
 * packages (a package's build, `pnpm mipjs`, `node packages/x/dist/...`) must come after a command
 * that builds them (the README's `pnpm --filter docs build` failed on a fresh clone for lack of
 * one). The cheap commands (`mipjs info`, `... --help`) are run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(docsRoot, '..', '..');
const CLI = join(repoRoot, 'packages', 'bench', 'dist', 'cli.js');

/** Packages a page may install that are not in the workspace, and why they are not. */
const NAMED_ELSEWHERE: Record<string, string> = {
  'mipjs-algo-denoiser': 'the package the add-algorithm guide has the reader write and publish',
};
/** System commands the pages may show. */
const SYSTEM_COMMANDS = new Set(['nvidia-smi', 'sudo', 'apt-get', 'git', 'cd', 'openssl']);

// ---- the workspace --------------------------------------------------------------------------------

interface Pkg {
  name: string;
  dir: string;
  scripts: Record<string, string>;
  deps: string[];
  private: boolean;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

const rootManifest = readJson(join(repoRoot, 'package.json')) as {
  scripts: Record<string, string>;
  packageManager: string;
};
const workspace = new Map<string, Pkg>();
for (const group of ['packages', 'apps', 'examples']) {
  const base = join(repoRoot, group);
  if (!existsSync(base)) continue;
  for (const entry of readdirSync(base)) {
    const manifest = join(base, entry, 'package.json');
    if (!existsSync(manifest)) continue;
    const m = readJson(manifest) as {
      name: string;
      scripts?: Record<string, string>;
      private?: boolean;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const all = { ...m.dependencies, ...m.devDependencies, ...m.peerDependencies };
    workspace.set(m.name, {
      name: m.name,
      dir: join(base, entry),
      scripts: m.scripts ?? {},
      deps: Object.keys(all),
      private: m.private === true,
    });
  }
}
/** Every dependency named by some workspace package.json, with its version ranges. */
const externalDeps = new Map<string, Set<string>>();
for (const pkg of [...workspace.values(), { dir: repoRoot }]) {
  const m = readJson(join(pkg.dir, 'package.json')) as Record<string, Record<string, string> | undefined>;
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(m[field] ?? {})) {
      if (workspace.has(name)) continue;
      externalDeps.set(name, (externalDeps.get(name) ?? new Set()).add(range));
    }
  }
}

/** A workspace package and all the workspace packages it depends on, transitively. */
function withWorkspaceDeps(name: string, out = new Set<string>()): Set<string> {
  if (out.has(name)) return out;
  out.add(name);
  for (const d of workspace.get(name)?.deps ?? []) if (workspace.has(d)) withWorkspaceDeps(d, out);
  return out;
}
function workspaceDepsOf(name: string): Set<string> {
  const all = withWorkspaceDeps(name);
  all.delete(name);
  return all;
}
/** Packages that have a build step (a `dist`), i.e. whose users need them built first. */
const needsBuild = (name: string) => workspace.get(name)?.scripts.build !== undefined;

const turboTasks = new Set(Object.keys((readJson(join(repoRoot, 'turbo.json')) as { tasks: object }).tasks));
const presets = new Set(
  readdirSync(join(repoRoot, 'packages', 'bench', 'presets')).map((f) => f.replace(/\.ya?ml$/, '')),
);
const sourceText = (() => {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.(ts|mjs)$/.test(e.name)) texts.push(readFileSync(join(dir, e.name), 'utf8'));
    }
  };
  for (const pkg of workspace.values()) {
    for (const sub of ['src', 'scripts', 'test'])
      if (existsSync(join(pkg.dir, sub))) walk(join(pkg.dir, sub));
  }
  return texts.join('\n');
})();

// ---- the mipjs CLI, as its --help tells ------------------------------------------------------------

const help = (args: string[]) =>
  execFileSync(process.execPath, [CLI, ...args, '--help'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
/** `--flag` names of one help text (the Options section). */
function optionsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^\s{2}(?:-\w, )?(--[\w-]+)/gm)) out.add(m[1]);
  return out;
}
const globalHelp = help([]);
const globalOptions = optionsOf(globalHelp.split(/^Commands:/m)[0]);
const cliCommands = new Set(
  [...(globalHelp.split(/^Commands:/m)[1] ?? '').matchAll(/^\s{2}([\w-]+)/gm)].map((m) => m[1]),
);
const commandOptions = new Map<string, Set<string>>();
function optionsOfCommand(command: string): Set<string> {
  if (!commandOptions.has(command)) commandOptions.set(command, optionsOf(help([command])));
  return commandOptions.get(command)!;
}

// ---- extraction ---------------------------------------------------------------------------------

interface Command {
  /** `README.md:12` */
  where: string;
  text: string;
}

function pages(): string[] {
  const out = ['README.md'];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!['node_modules', 'api', '.vitepress', '.tmp', 'test', 'public', 'dist'].includes(e.name))
          walk(join(dir, e.name));
      } else if (e.name.endsWith('.md')) out.push(join(dir, e.name));
    }
  };
  walk('apps/docs');
  for (const group of ['packages', 'apps', 'examples']) {
    for (const entry of readdirSync(join(repoRoot, group))) {
      const readme = join(group, entry, 'README.md');
      if (existsSync(join(repoRoot, readme)) && readme !== 'apps/docs/README.md') out.push(readme);
    }
  }
  out.push('apps/docs/README.md');
  return [...new Set(out)];
}

const COMMAND_START = /^(?:[A-Z_]+=\S+\s+)*(pnpm|npm|npx|node|mipjs|turbo|sudo|apt-get)(\s|$)/;

/** The commands of one page in reading order: lines of ```sh blocks and inline command spans. */
function commandsOf(page: string): Command[] {
  const lines = readFileSync(join(repoRoot, page), 'utf8').split('\n');
  const out: Command[] = [];
  let fence: string | null = null;
  let pending = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const open = /^\s*```(\S*)/.exec(line);
    if (open && fence === null) {
      fence = open[1];
      continue;
    }
    if (open && fence !== null) {
      fence = null;
      continue;
    }
    if (fence !== null) {
      if (!/^(sh|bash|shell|console)$/.test(fence)) continue;
      const code = stripComment(line.replace(/^\s*\$ /, ''));
      if (code.trimEnd().endsWith('\\')) {
        pending += `${code.trimEnd().slice(0, -1)} `;
        continue;
      }
      const text = (pending + code).trim();
      pending = '';
      if (text) out.push({ where: `${page}:${i + 1}`, text });
      continue;
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      if (COMMAND_START.test(m[1])) out.push({ where: `${page}:${i + 1}`, text: m[1].trim() });
    }
  }
  return out;
}

/** The line without its shell comment (a # at the start or after a space, outside quotes). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Shell words and the operators && || ; | ( ) > between them. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let word = '';
  let has = false;
  let quote: string | null = null;
  const flush = () => {
    if (has) tokens.push(word);
    word = '';
    has = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '<' && text.indexOf('>', i) > i) {
      // a placeholder such as <command>, one word
      const end = text.indexOf('>', i);
      word += text.slice(i, end + 1);
      has = true;
      i = end;
    } else if (/\s/.test(c)) flush();
    else if (text.startsWith('&&', i) || text.startsWith('||', i)) {
      flush();
      tokens.push(text.slice(i, i + 2));
      i++;
    } else if (c === '|' && !/\s/.test(text[i + 1] ?? ' ')) {
      // `FILE.gif|.png` in a synopsis: one word, not a pipe
      word += c;
      has = true;
    } else if (';|()>'.includes(c)) {
      flush();
      tokens.push(c);
    } else {
      word += c;
      has = true;
    }
  }
  flush();
  return tokens;
}

// ---- checking --------------------------------------------------------------------------------------

/** What a page has built so far, read from its top ('*' = everything). */
class PageState {
  built = new Set<string>();
  has(name: string): boolean {
    return this.built.has('*') || this.built.has(name);
  }
  missing(names: Iterable<string>): string[] {
    return [...names].filter((n) => needsBuild(n) && !this.has(n));
  }
  add(names: Iterable<string>): void {
    for (const n of names) this.built.add(n);
  }
}

interface Outcome {
  problems: string[];
  /** Commands cheap enough to run: argument lists of the mipjs CLI. */
  runs: string[][];
}

/** Root scripts that build: what each leaves built. */
function builtByRootScript(script: string): Set<string> | '*' | null {
  const body = rootManifest.scripts[script] ?? '';
  if (/^node \.ci\/check\.mjs|turbo run build(?! --filter)|turbo run build typecheck/.test(body)) return '*';
  const filter = /turbo run build --filter=(\S+?)(\.\.\.)?(?:\s|$)/.exec(body);
  if (filter) return selectorPackages(filter[1] + (filter[2] ?? ''), true);
  return null;
}

/** The workspace packages a pnpm / turbo selector names (`x`, `x...`, `x^...`); empty when unknown. */
function selectorPackages(selector: string, turbo: boolean): Set<string> {
  const m = /^(\.\.\.)?(.+?)(\^)?(\.\.\.)?$/.exec(selector);
  if (!m || !workspace.has(m[2])) return new Set();
  if (m[3]) return workspaceDepsOf(m[2]);
  // turbo runs a task's ^build dependencies whatever the filter says
  if (m[4] || turbo) return withWorkspaceDeps(m[2]);
  return new Set([m[2]]);
}

function checkCli(args: string[], where: string, outcome: Outcome): void {
  const placeholder = args.findIndex((a) => /^<.*>$/.test(a));
  const real = placeholder >= 0 ? args.slice(0, placeholder) : args;
  let i = 0;
  while (i < real.length && real[i].startsWith('-')) {
    const flag = real[i].split('=')[0];
    if (!globalOptions.has(flag) && flag !== '--help' && flag !== '-h')
      outcome.problems.push(`${where}: mipjs has no global option ${flag}`);
    i += flag === '--threads' && !real[i].includes('=') ? 2 : 1;
  }
  const command = real[i];
  if (command === undefined) return;
  if (!cliCommands.has(command)) {
    outcome.problems.push(
      `${where}: mipjs has no command '${command}' (commands: ${[...cliCommands].join(', ')})`,
    );
    return;
  }
  const options = optionsOfCommand(command);
  const rest = real.slice(i + 1);
  for (let j = 0; j < rest.length; j++) {
    const a = rest[j];
    if (!a.startsWith('--')) continue;
    const flag = a.split('=')[0];
    if (!options.has(flag) && !globalOptions.has(flag) && flag !== '--help')
      outcome.problems.push(`${where}: mipjs ${command} has no option ${flag}`);
    if (flag === '--preset' && !presets.has(rest[j + 1]))
      outcome.problems.push(`${where}: no preset '${rest[j + 1]}' in packages/bench/presets`);
  }
  const cheap =
    placeholder < 0 &&
    ((command === 'info' && rest.length === 0) || rest.includes('--help') || rest.includes('-h'));
  if (cheap) outcome.runs.push(real.slice(i));
}

function checkInstall(specs: string[], page: string, where: string, outcome: Outcome, global: boolean): void {
  const pageText = readFileSync(join(repoRoot, page), 'utf8');
  for (const spec of specs.filter((s) => !s.startsWith('-'))) {
    const at = spec.lastIndexOf('@');
    const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
    if (name === 'pnpm' && global) {
      const pinned = rootManifest.packageManager.replace(/^pnpm@/, '');
      if (version !== pinned)
        outcome.problems.push(`${where}: installs pnpm@${version}, the repo pins ${pinned}`);
    } else if (name.startsWith('@mipjs/')) {
      const pkg = workspace.get(name);
      if (!pkg) outcome.problems.push(`${where}: no workspace package ${name}`);
      else if (pkg.private) outcome.problems.push(`${where}: ${name} is private (not published)`);
    } else if (name.startsWith('@tensorflow/')) {
      if (version !== undefined && version !== '4.22.0')
        outcome.problems.push(`${where}: ${name}@${version}, the workspace pins TF.js 4.22.0`);
    } else if (!externalDeps.has(name) && !NAMED_ELSEWHERE[name] && !pageText.includes(`"name": "${name}"`)) {
      outcome.problems.push(`${where}: installs ${name}, which no workspace package depends on`);
    }
  }
}

/** Checks one simple command (no operators); `cwd` is relative to the repository root. */
function checkSimple(
  words: string[],
  cwd: { dir: string },
  state: PageState,
  page: string,
  where: string,
  outcome: Outcome,
): void {
  // `export NAME=value` sets a variable like a `NAME=value` prefix does
  let w = words[0] === 'export' ? words.slice(1) : words;
  while (w.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(w[0])) {
    const name = w[0].split('=')[0];
    if (name.startsWith('MIPJS_') && !sourceText.includes(name))
      outcome.problems.push(`${where}: no package reads the environment variable ${name}`);
    w = w.slice(1);
  }
  const [head, ...args] = w;
  if (head === undefined) return;
  if (head === 'cd') {
    const dir = join(cwd.dir, args[0] ?? '');
    if (!existsSync(join(repoRoot, dir))) outcome.problems.push(`${where}: cd ${args[0]}: no such folder`);
    cwd.dir = dir;
    return;
  }
  if (head === 'mipjs') {
    checkCli(args, where, outcome);
    return;
  }
  if (head === 'npm') {
    if (['i', 'install', 'add'].includes(args[0])) {
      const global = args.includes('-g') || args.includes('--global');
      checkInstall(args.slice(1), page, where, outcome, global);
    } else outcome.problems.push(`${where}: unexpected npm command '${args[0]}'`);
    return;
  }
  if (head === 'node') {
    if (args.includes('-e')) return;
    const script = args.find((a) => !a.startsWith('-'));
    if (script === undefined) return;
    const file = join(cwd.dir, script);
    const dist = /^(packages|apps)\/([\w-]+)\/dist\//.exec(file);
    if (dist) {
      const pkg = [...workspace.values()].find((p) => relative(repoRoot, p.dir) === `${dist[1]}/${dist[2]}`);
      if (pkg && state.missing([pkg.name, ...workspaceDepsOf(pkg.name)]).length > 0)
        outcome.problems.push(`${where}: runs ${file} before the page builds ${pkg.name}`);
    } else if (!existsSync(join(repoRoot, file)))
      outcome.problems.push(`${where}: node ${script}: no such file`);
    if (file === 'packages/bench/dist/cli.js') checkCli(args.slice(args.indexOf(script) + 1), where, outcome);
    return;
  }
  if (/python3$/.test(head)) {
    if (!existsSync(join(repoRoot, cwd.dir, args[0] ?? '')))
      outcome.problems.push(`${where}: ${args[0]}: no such file`);
    return;
  }
  if (head === 'sudo') {
    checkSimple(args, cwd, state, page, where, outcome);
    return;
  }
  if (head === 'turbo') {
    checkTurbo(args, state, where, outcome);
    return;
  }
  if (head === 'pnpm') {
    checkPnpm(args, state, page, where, outcome);
    return;
  }
  if (!SYSTEM_COMMANDS.has(head)) outcome.problems.push(`${where}: unknown command '${head}'`);
}

function checkTurbo(args: string[], state: PageState, where: string, outcome: Outcome): void {
  if (args[0] !== 'run') {
    outcome.problems.push(`${where}: turbo ${args[0]}: expected turbo run`);
    return;
  }
  const tasks = args.slice(1).filter((a) => !a.startsWith('-'));
  for (const t of tasks)
    if (!turboTasks.has(t)) outcome.problems.push(`${where}: turbo.json has no task '${t}'`);
  const filters = args.filter((a) => a.startsWith('--filter=')).map((a) => a.slice('--filter='.length));
  for (const f of filters)
    if (selectorPackages(f, true).size === 0)
      outcome.problems.push(`${where}: turbo filter ${f} names no package`);
  if (tasks.includes('build'))
    filters.length === 0 ? state.add(['*']) : filters.forEach((f) => state.add(selectorPackages(f, true)));
}

const PNPM_BUILTINS = new Set(['install', 'i', 'add', 'exec', 'approve-builds']);
/**
 * pnpm's own commands that win over a root script of the same name: `pnpm docs` opens a package's
 * home page in a browser instead of running a `docs` script (as the README's did). `pnpm help`
 * lists them; `test`, `start` and `run` are the ones that do run scripts.
 */
const PNPM_COMMANDS = new Set(
  (
    'add audit bin bugs c config create dedupe deploy dlx docs doctor env exec fetch home i import init ' +
    'install install-test it licenses link list ln ls outdated pack patch patch-commit prune publish rb ' +
    'rebuild remove repo rm root server setup store un uninstall unlink up update upgrade why'
  ).split(' '),
);

function checkPnpm(args: string[], state: PageState, page: string, where: string, outcome: Outcome): void {
  const selectors: string[] = [];
  let i = 0;
  while (args[i] === '--filter' || args[i]?.startsWith('--filter=')) {
    if (args[i] === '--filter') {
      selectors.push(args[i + 1]);
      i += 2;
    } else {
      selectors.push(args[i].slice('--filter='.length));
      i++;
    }
  }
  const [script, ...rest] = args.slice(i);
  if (script === undefined) return;
  if (script === 'add') {
    checkInstall(rest, page, where, outcome, false);
    return;
  }
  if (script === 'install' || script === 'i') return;
  if (script === 'turbo') {
    checkTurbo(rest, state, where, outcome);
    return;
  }
  if (selectors.length === 0) {
    if (PNPM_BUILTINS.has(script)) return;
    if (PNPM_COMMANDS.has(script)) {
      outcome.problems.push(`${where}: \`pnpm ${script}\` runs pnpm's own ${script} command, not a script`);
      return;
    }
    if (rootManifest.scripts[script] === undefined) {
      outcome.problems.push(`${where}: no root script '${script}' in package.json`);
      return;
    }
    if (script === 'mipjs') {
      const missing = state.missing(withWorkspaceDeps('@mipjs/bench'));
      if (missing.length > 0)
        outcome.problems.push(`${where}: pnpm mipjs before the page builds ${missing.join(', ')}`);
      checkCli(rest, where, outcome);
      return;
    }
    const built = builtByRootScript(script);
    if (built === '*') state.add(['*']);
    else if (built) state.add(built);
    if (script === 'docs:dev') state.add(['docs']);
    return;
  }
  const bases = selectors.map((s) => /^(?:\.\.\.)?(.+?)(?:\^)?(?:\.\.\.)?$/.exec(s)?.[1] ?? s);
  const selected = new Set<string>();
  for (const [k, s] of selectors.entries()) {
    const pkgs = selectorPackages(s, false);
    if (pkgs.size === 0) outcome.problems.push(`${where}: --filter ${s} names no workspace package`);
    else if (!PNPM_BUILTINS.has(script) && workspace.get(bases[k])?.scripts[script] === undefined)
      outcome.problems.push(`${where}: ${bases[k]} has no script '${script}'`);
    for (const p of pkgs) selected.add(p);
  }
  // What the script needs built first: every workspace dependency of a selected package that this
  // command does not build itself (a build in dependency order builds them), and the package itself
  // for what runs its build output (preview, test).
  const needed = new Set<string>();
  for (const p of selected) {
    for (const d of workspaceDepsOf(p)) if (!(script === 'build' && selected.has(d))) needed.add(d);
    if (['preview', 'test'].includes(script)) needed.add(p);
  }
  const missing = state.missing(needed);
  if (missing.length > 0)
    outcome.problems.push(
      `${where}: \`pnpm --filter ${selectors.join(' --filter ')} ${script}\` needs ${missing.join(', ')} built first (fresh clone)`,
    );
  if (script === 'build') state.add(selected);
}

function checkPage(page: string): Outcome {
  const outcome: Outcome = { problems: [], runs: [] };
  const state = new PageState();
  for (const command of commandsOf(page)) {
    const tokens = tokenize(command.text);
    const cwdStack = [{ dir: '.' }];
    let words: string[] = [];
    const flush = () => {
      if (words.length > 0) checkSimple(words, cwdStack.at(-1)!, state, page, command.where, outcome);
      words = [];
    };
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k];
      if (t === '>') {
        k++; // the redirection target
      } else if (['&&', '||', ';', '|'].includes(t)) flush();
      else if (t === '(') {
        flush();
        cwdStack.push({ dir: cwdStack.at(-1)!.dir });
      } else if (t === ')') {
        flush();
        cwdStack.pop();
      } else words.push(t);
    }
    flush();
  }
  return outcome;
}

describe('the commands of the README and the docs', () => {
  const all = pages();

  it('finds the commands of every page', () => {
    const counts = Object.fromEntries(all.map((p) => [p, commandsOf(p).length]));
    expect(counts['README.md']).toBeGreaterThanOrEqual(5);
    expect(counts['apps/docs/quick-start.md']).toBeGreaterThanOrEqual(5);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(60);
  });

  it.each(all)(
    '%s names only scripts, packages, commands, flags and files that exist, in a buildable order',
    (page) => {
      expect(checkPage(page).problems).toEqual([]);
    },
  );

  it('gives no root script the name of a pnpm command (pnpm would run its own)', () => {
    expect(Object.keys(rootManifest.scripts).filter((name) => PNPM_COMMANDS.has(name))).toEqual([]);
  });

  it('catches what a fresh clone trips over', () => {
    const problems = (text: string) => {
      const outcome: Outcome = { problems: [], runs: [] };
      const state = new PageState();
      for (const part of text.split(' && '))
        checkSimple(tokenize(part), { dir: '.' }, state, 'README.md', 'x', outcome);
      return outcome.problems;
    };
    expect(problems('pnpm --filter docs build')[0]).toMatch(/needs .*@mipjs\/nets.* built first/);
    expect(problems('pnpm docs:build')).toEqual([]);
    expect(problems('pnpm docs')).toEqual(["x: `pnpm docs` runs pnpm's own docs command, not a script"]);
    expect(problems('pnpm --filter "@mipjs/policy..." build && pnpm --filter playground build')[0]).toMatch(
      /@mipjs\/envs/,
    );
    expect(problems('pnpm mipjs train --steps 3')[0]).toMatch(/before the page builds/);
    expect(problems('mipjs train --no-such-flag 1')).toEqual(['x: mipjs train has no option --no-such-flag']);
    expect(problems('mipjs compare --preset nope')).toEqual([
      "x: no preset 'nope' in packages/bench/presets",
    ]);
    expect(problems('npm i -g pnpm@9.0.0')[0]).toMatch(/the repo pins 10\./);
    expect(problems('pnpm nope')).toEqual(["x: no root script 'nope' in package.json"]);
  });

  it('runs the cheap ones', () => {
    const runs = all.flatMap((p) => checkPage(p).runs);
    expect(runs.some((r) => r[0] === 'info')).toBe(true);
    for (const args of runs) {
      const out = execFileSync(process.execPath, [CLI, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.length, `mipjs ${args.join(' ')}`).toBeGreaterThan(0);
    }
  });
});
