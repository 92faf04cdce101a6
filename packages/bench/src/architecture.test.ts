/**
 * The bench's layout as a test: every source file's relative imports are parsed, and
 *
 * - no file imports itself through others (no import cycles, type-only imports included);
 * - a folder imports only folders of a lower layer (the diagram in the bench README);
 * - every folder has a place in the layers and a main module that opens with `// <folder>/ ...`;
 * - the files that forked processes and spawned children start (`new URL('./worker.js',
 *   import.meta.url)` and the like) exist at the same relative place in src/ (dist/ mirrors it).
 *
 * A new folder fails the second check until it is given a layer here and in the README.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

/** Top to bottom: a folder may import the folders of the layers below its own, never above or beside. */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['perf'],
  ['sweep'],
  ['run', 'report', 'serve'],
  ['train', 'evaluate'],
  ['model'],
  ['algorithms', 'tasks'],
  ['plugins'],
  ['config'],
  ['backend'],
  ['io'],
];

/** Each folder's main module: the one that says, in its first line, what the folder owns. */
const MAIN_MODULES: Record<string, string> = {
  cli: 'cli/program.ts',
  perf: 'perf/command.ts',
  sweep: 'sweep/sweep.ts',
  serve: 'serve/server.ts',
  run: 'run/run.ts',
  report: 'report/report.ts',
  train: 'train/trainer.ts',
  evaluate: 'evaluate/evaluate.ts',
  model: 'model/model.ts',
  algorithms: 'algorithms/algorithms.ts',
  tasks: 'tasks/tasks.ts',
  plugins: 'plugins/plugins.ts',
  config: 'config/config.ts',
  backend: 'backend/backend.ts',
  io: 'io/io.ts',
};

/** The files allowed at the top of src/: the package entry, the bin entry, this test. */
const TOP_LEVEL = ['architecture.test.ts', 'cli.ts', 'index.ts'];

/** Folders that are not part of the shipped code. */
const NOT_LAYERED = new Set(['test-utils']);

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [relative(SRC, path).split('\\').join('/')] : [];
  });
}

const files = sourceFiles().filter((f) => !f.endsWith('.test.ts') && !f.startsWith('test-utils/'));

/** The src-relative files a module imports (static, dynamic and re-exports; `import type` too). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.\.?\/[^']+)'/gm)].map(
    (m) => m[1],
  );
  return specs.map((spec) => posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));

const folderOf = (file: string): string | null => (file.includes('/') ? file.split('/')[0] : null);
const layerOf = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder));

describe('the layout of packages/bench/src', () => {
  it('finds the modules it checks', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files).toContain('index.ts');
  });

  it('imports only files that exist', () => {
    const missing = [...graph].flatMap(([from, to]) =>
      to.filter((t) => !graph.has(t)).map((t) => `${from} -> ${t}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) visit(next);
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) visit(file);
    expect(cycles).toEqual([]);
  });

  it('keeps only the entry points at the top of src/', () => {
    const top = readdirSync(SRC).filter((name) => !statSync(join(SRC, name)).isDirectory());
    expect(top.sort()).toEqual(TOP_LEVEL);
  });

  it('gives every folder a layer and a main module that says what the folder owns', () => {
    const folders = readdirSync(SRC).filter(
      (name) => statSync(join(SRC, name)).isDirectory() && !NOT_LAYERED.has(name),
    );
    expect(folders.filter((f) => layerOf(f) < 0)).toEqual([]);
    expect(folders.sort()).toEqual(Object.keys(MAIN_MODULES).sort());
    for (const [folder, main] of Object.entries(MAIN_MODULES)) {
      const firstLine = readFileSync(join(SRC, main), 'utf8').split('\n')[0];
      expect(firstLine, main).toMatch(new RegExp(`^// ${folder}/ owns \\S`));
    }
  });

  it('makes folders depend on lower layers only (cli -> perf -> sweep -> run -> train / evaluate -> ...)', () => {
    const upward: string[] = [];
    for (const [from, to] of graph) {
      const a = folderOf(from);
      if (a === null) continue; // index.ts and cli.ts sit above every folder
      for (const target of to) {
        const b = folderOf(target);
        if (b === null) {
          upward.push(`${from} -> ${target} (a folder imports a top-level entry)`);
        } else if (a !== b && !(layerOf(b) > layerOf(a))) {
          upward.push(`${from} -> ${target} (${a} is in layer ${layerOf(a)}, ${b} in layer ${layerOf(b)})`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('points the entries of forked and spawned processes at files that exist', () => {
    const dangling: string[] = [];
    let entries = 0;
    for (const file of files) {
      const text = readFileSync(join(SRC, file), 'utf8');
      for (const m of text.matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)) {
        entries++;
        // dist/ mirrors src/, so a path relative to the compiled module is the same relative to its source.
        const target = posix.normalize(posix.join(posix.dirname(file), m[1]));
        const exists = target.endsWith('.js')
          ? existsSync(join(SRC, target.replace(/\.js$/, '.ts')))
          : existsSync(join(SRC, target));
        if (!exists) dangling.push(`${file}: ${m[1]}`);
      }
    }
    expect(entries).toBeGreaterThanOrEqual(4);
    expect(dangling).toEqual([]);
  });
});
