import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils/fixtures.js';
import { FileError, makeDir, readJsonFile, readJsonLines, removeStaleTemps, writeJsonAtomic } from './io.js';

describe('io', () => {
  it('makeDir creates missing parents and fails at once, naming the folder, where none can be made', () => {
    const root = tempDir();
    makeDir(join(root, 'a', 'b', 'c'));
    makeDir(join(root, 'a', 'b', 'c')); // exists: nothing to do
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
    // Node 20's mkdirSync(..., { recursive: true }) spins forever on these.
    expect(() => makeDir('/proc/mipjs-no/such/dir')).toThrow(
      new FileError('cannot create folder /proc/mipjs-no: ENOENT (for /proc/mipjs-no/such/dir)'),
    );
    expect(() => writeJsonAtomic('/proc/mipjs-no/x.json', {})).toThrow(
      /cannot create folder \/proc\/mipjs-no/,
    );
    writeFileSync(join(root, 'file'), 'x');
    expect(() => makeDir(join(root, 'file', 'sub'))).toThrow(/is a file, not a folder/);
  });

  it('JSON readers name the file, what it should hold, and the parser message', () => {
    const root = tempDir();
    const path = join(root, 'config.json');
    writeFileSync(path, '{"task": "chec');
    expect(() => readJsonFile(path, 'a run config')).toThrow(
      new RegExp(`^${path}: expected a run config as JSON, found malformed JSON \\(.+\\)$`),
    );
    expect(() => readJsonFile(join(root, 'none.json'), 'a run config')).toThrow(
      /cannot read .*none\.json \(a run config\): ENOENT/,
    );
    const lines = join(root, 'metrics.jsonl');
    writeFileSync(lines, '{"step": 2}\n{"step": 4\n{"step": 6}\n');
    expect(() => readJsonLines(lines, 'metrics lines')).toThrow(
      /metrics\.jsonl: line 2: expected metrics lines/,
    );
    // A last line cut off mid-append is dropped where the caller allows it.
    writeFileSync(lines, '{"step": 2}\n{"step": 4}\n{"st');
    expect(readJsonLines(lines, 'metrics lines', { allowTruncatedTail: true })).toEqual([
      { step: 2 },
      { step: 4 },
    ]);
    expect(() => readJsonLines(lines, 'metrics lines')).toThrow(/line 3/);
    writeFileSync(lines, '[1]\n');
    expect(() => readJsonLines(lines, 'metrics lines')).toThrow(/line 1: .* found \[1\]/);
  });

  it('removeStaleTemps removes what interrupted atomic writes left, and only that', () => {
    const root = tempDir();
    writeFileSync(join(root, '.tmp-0a1b-config.json'), '{');
    makeDir(join(root, '.tmp-0a1c-checkpoint', 'model'));
    writeFileSync(join(root, 'config.json'), '{}');
    expect(removeStaleTemps(root).sort()).toEqual(['.tmp-0a1b-config.json', '.tmp-0a1c-checkpoint']);
    expect(readdirSync(root)).toEqual(['config.json']);
  });
});
