/**
 * Every ```ts block of the pages is a sample that must compile against the workspace packages, and,
 * unless it is marked `no-run` (```ts no-run, or an `<!-- no-run -->` comment on the line above the
 * fence), must run with node and exit 0. The docs therefore cannot drift from the API.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(docsRoot, '..', '..');
// Inside apps/docs (git-ignored), so that node and tsc resolve @mipjs/* through apps/docs/node_modules.
const workDir = join(docsRoot, '.tmp', 'samples');

interface Sample {
  /** `guides/add-network.md:42`, the line of the opening fence. */
  where: string;
  file: string;
  code: string;
  run: boolean;
}

function markdownFiles(dir: string): string[] {
  const skip = new Set(['node_modules', 'api', '.vitepress', '.tmp', 'test', 'public']);
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return skip.has(entry.name) ? [] : markdownFiles(join(dir, entry.name));
    return entry.name.endsWith('.md') ? [join(dir, entry.name)] : [];
  });
}

function extractSamples(): Sample[] {
  const samples: Sample[] = [];
  for (const path of markdownFiles(docsRoot).sort()) {
    const page = relative(docsRoot, path);
    const lines = readFileSync(path, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i]);
      if (!open) continue;
      const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
      if (end < 0) throw new Error(`${page}:${i + 1}: unclosed code fence`);
      const attrs = open[2];
      const noRun = /\bno-run\b/.test(attrs) || /<!--\s*no-run\s*-->/.test(lines[i - 1] ?? '');
      const body = lines.slice(i + 1, end).join('\n');
      // Samples of one page share a folder: `ts file=denoiser.ts` names a sample so that a later
      // sample of the same page can import it ('./denoiser.js').
      const slug = page.replace(/\.md$/, '').replace(/[^a-z0-9]+/gi, '-');
      const named = /\bfile=([\w.-]+\.ts)\b/.exec(attrs)?.[1];
      // A sample with no import or export would be a script sharing one global scope with the others.
      const code = /^\s*(import|export)\s/m.test(body) ? `${body}\n` : `${body}\nexport {};\n`;
      samples.push({
        where: `${page}:${i + 1}`,
        file: `${slug}/${named ?? `L${i + 1}.ts`}`,
        code,
        run: !noRun,
      });
      i = end;
    }
  }
  return samples;
}

const samples = extractSamples();
const typeErrors = new Map<string, string[]>();

beforeAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(join(workDir, 'out'), { recursive: true });
  writeFileSync(join(workDir, 'package.json'), '{ "type": "module", "private": true }\n');
  const benchTypes = join(repoRoot, 'packages', 'bench', 'dist', 'index.d.ts');
  writeFileSync(
    join(workDir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          verbatimModuleSyntax: true,
          isolatedModules: true,
          skipLibCheck: true,
          noEmit: true,
          types: ['node'],
          // @mipjs/bench is an application, not a dependency of the docs: its types come from its build.
          // So do those of @mipjs/policy and @mipjs/envs (and the wasm backend the browser guide
          // shows), which only `no-run` samples import: type-checked, not executed.
          paths: {
            '@mipjs/bench': [benchTypes],
            '@mipjs/policy': [join(repoRoot, 'packages', 'policy', 'dist', 'index.d.ts')],
            '@mipjs/policy/node': [join(repoRoot, 'packages', 'policy', 'dist', 'node', 'index.d.ts')],
            '@mipjs/envs': [join(repoRoot, 'packages', 'envs', 'dist', 'index.d.ts')],
            '@tensorflow/tfjs-backend-wasm': [
              join(
                repoRoot,
                'packages',
                'policy',
                'node_modules',
                '@tensorflow',
                'tfjs-backend-wasm',
                'dist',
                'index.d.ts',
              ),
            ],
          },
        },
        files: samples.map((s) => s.file),
      },
      null,
      2,
    ),
  );
  for (const sample of samples) {
    mkdirSync(dirname(join(workDir, sample.file)), { recursive: true });
    writeFileSync(join(workDir, sample.file), sample.code);
  }
  if (samples.some((s) => s.code.includes("'@mipjs/bench'")) && !existsSync(benchTypes)) {
    throw new Error(
      `${benchTypes} is missing: build the bench first (pnpm turbo run build --filter=docs...)`,
    );
  }
  let output = '';
  try {
    execFileSync(
      join(docsRoot, 'node_modules', '.bin', 'tsc'),
      ['-p', join(workDir, 'tsconfig.json'), '--pretty', 'false'],
      {
        cwd: workDir,
        encoding: 'utf8',
      },
    );
  } catch (error) {
    output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    if (!output.trim()) throw error;
  }
  for (const sample of samples) {
    const js = ts.transpileModule(sample.code, {
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
      },
      fileName: sample.file,
    }).outputText;
    const out = join(workDir, 'out', sample.file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, js);
  }
  for (const line of output.split('\n').filter(Boolean)) {
    const sample = samples.find((s) => line.startsWith(s.file));
    const key = sample?.file ?? '(other)';
    typeErrors.set(key, [...(typeErrors.get(key) ?? []), line]);
  }
});

describe('code samples of the docs', () => {
  it('finds samples in the guides', () => {
    expect(samples.filter((s) => s.where.startsWith('guides/')).length).toBeGreaterThanOrEqual(5);
    expect(typeErrors.get('(other)') ?? []).toEqual([]);
  });

  for (const sample of samples) {
    it(`${sample.where} type-checks${sample.run ? ' and runs' : ''}`, async () => {
      const errors = (typeErrors.get(sample.file) ?? []).map((line) =>
        line.replace(sample.file, `${sample.where} (${sample.file})`),
      );
      expect(errors, `type errors in the sample at ${sample.where}`).toEqual([]);
      if (!sample.run) return;
      const out = join(workDir, 'out', sample.file.replace(/\.ts$/, '.js'));
      try {
        await promisify(execFile)(process.execPath, [out], { cwd: workDir, timeout: 90_000 });
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string };
        throw new Error(
          `the sample at ${sample.where} failed when run:\n${e.stderr || e.stdout || e.message}`,
        );
      }
    });
  }
});
